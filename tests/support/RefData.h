// Access to the Hugging Face reference vectors in tests/data/siglip_ref (ref_tiny_a.json):
// computed by transformers v4.45.2 itself, see tests/data/siglip_ref/README.md.
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace testsupport {

QString dataDir(); // tests/data
QString refDir(); // tests/data/siglip_ref
QString tinyCheckpointDir(); // tests/data/siglip_ref/tiny_a
std::string tinyCheckpointPath();

// ref_tiny_a.json, parsed once.
const QJsonObject &reference();

// {"shape": [...], "data": [...]} -> flat floats (exact: the JSON holds float32 values as doubles).
std::vector<float> tensorData(const QJsonValue &tensor);
std::vector<std::int64_t> tensorShape(const QJsonValue &tensor);
std::vector<float> floatArray(const QJsonValue &array);
std::vector<std::int64_t> intArray(const QJsonValue &array);
std::vector<std::string> stringArray(const QJsonValue &array);

// Largest absolute difference; sizes must match (returns +inf otherwise).
double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b);

// A fresh empty directory under the system temp dir, removed at exit of the test process.
QString scratchDir(const QString &name);

// The whole file; fails the test process if it cannot be read.
QByteArray readFileBytes(const QString &path);
// Writes `content` as `name` in this process's scratch folder and returns the path.
QString writeScratchFile(const QString &name, const QByteArray &content);

} // namespace testsupport
