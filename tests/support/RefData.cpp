// Loading of the reference vectors for the tests.
#include "support/RefData.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

namespace testsupport {

QString dataDir()
{
    return QStringLiteral(LOOKALIKE_TEST_DATA);
}

QString refDir()
{
    return dataDir() + QStringLiteral("/siglip_ref");
}

QString tinyCheckpointDir()
{
    return refDir() + QStringLiteral("/tiny_a");
}

std::string tinyCheckpointPath()
{
    return tinyCheckpointDir().toStdString();
}

const QJsonObject &reference()
{
    static const QJsonObject ref = [] {
        QFile f(refDir() + QStringLiteral("/ref_tiny_a.json"));
        if (!f.open(QIODevice::ReadOnly))
            throw std::runtime_error("cannot open ref_tiny_a.json");
        return QJsonDocument::fromJson(f.readAll()).object();
    }();
    return ref;
}

std::vector<float> floatArray(const QJsonValue &array)
{
    std::vector<float> out;
    for (const QJsonValue &v : array.toArray()) {
        if (v.isArray()) { // nested rows
            const auto inner = floatArray(v);
            out.insert(out.end(), inner.begin(), inner.end());
        } else {
            out.push_back(static_cast<float>(v.toDouble()));
        }
    }
    return out;
}

std::vector<std::int64_t> intArray(const QJsonValue &array)
{
    std::vector<std::int64_t> out;
    for (const QJsonValue &v : array.toArray())
        out.push_back(v.toInteger());
    return out;
}

std::vector<std::string> stringArray(const QJsonValue &array)
{
    std::vector<std::string> out;
    for (const QJsonValue &v : array.toArray())
        out.push_back(v.toString().toStdString());
    return out;
}

std::vector<float> tensorData(const QJsonValue &tensor)
{
    return floatArray(tensor.toObject().value(QStringLiteral("data")));
}

std::vector<std::int64_t> tensorShape(const QJsonValue &tensor)
{
    return intArray(tensor.toObject().value(QStringLiteral("shape")));
}

double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return std::numeric_limits<double>::infinity();
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        if (std::isnan(d))
            return std::numeric_limits<double>::infinity();
        m = std::max(m, d);
    }
    return m;
}

QString scratchDir(const QString &name)
{
    static std::vector<std::unique_ptr<QTemporaryDir>> dirs; // removed when the process exits
    dirs.push_back(std::make_unique<QTemporaryDir>(
        QDir::tempPath() + QStringLiteral("/lookalike-") + name + QStringLiteral("-XXXXXX")));
    return dirs.back()->path();
}

QByteArray readFileBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(path));
    return f.readAll();
}

QString writeScratchFile(const QString &name, const QByteArray &content)
{
    static const QString dir = scratchDir(QStringLiteral("files"));
    const QString path = dir + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

} // namespace testsupport
