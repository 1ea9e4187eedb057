// JSON config readers: type and range checks with one-line errors naming file and key.
#include "core/util/JsonFields.h"

#include "core/Error.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>
#include <limits>
#include <utility>

namespace lookalike {

const char *jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return "null";
    case QJsonValue::Bool:
        return "a boolean";
    case QJsonValue::Double:
        return "a number";
    case QJsonValue::String:
        return "a string";
    case QJsonValue::Array:
        return "an array";
    case QJsonValue::Object:
        return "an object";
    case QJsonValue::Undefined:
        break;
    }
    return "undefined";
}

std::string numberText(double v)
{
    return QByteArray::number(v, 'g', 17).toStdString();
}

QJsonObject parseJsonObject(const QByteArray &json, const std::string &file)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw Error(ErrorCode::MalformedConfig, file,
            "not valid JSON: " + parseError.errorString().toStdString() + " at offset "
                + std::to_string(parseError.offset));
    if (!doc.isObject())
        throw Error(ErrorCode::MalformedConfig, file, "expected a JSON object at the top level");
    return doc.object();
}

std::optional<QJsonObject> readOptionalJsonFile(const std::filesystem::path &path, const FileLimit &limit)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return std::nullopt;
    requireRegularFile(path, limit);
    QFile f(QString::fromStdString(path.string()));
    if (!f.open(QIODevice::ReadOnly))
        throw Error(ErrorCode::FileUnreadable, path.string(), "cannot open: " + f.errorString().toStdString());
    return parseJsonObject(f.readAll(), path.string());
}

JsonFields::JsonFields(std::string file, std::string prefix)
    : m_file(std::move(file))
    , m_prefix(std::move(prefix))
{
}

bool JsonFields::boolean(const QJsonValue &v, const std::string &key) const
{
    if (!v.isBool())
        malformed(key, "true or false", v);
    return v.toBool();
}

double JsonFields::wholeNumber(
    const QJsonValue &v, const std::string &key, const char *what, double low, double high) const
{
    if (!v.isDouble())
        malformed(key, what, v);
    const double d = v.toDouble();
    // A fraction is the wrong type rather than a bad value; so is leaving [low, high], which
    // callers use for what the type rules out (a count of 0, more than an int holds).
    if (d != std::floor(d) || d < low || d > high)
        throw Error(ErrorCode::MalformedConfig, m_file, m_prefix + key,
            "expected " + std::string(what) + ", got " + numberText(d));
    return d;
}

int JsonFields::integer(const QJsonValue &v, const std::string &key) const
{
    return static_cast<int>(wholeNumber(v, key, "an integer", -1e9, 1e9));
}

int JsonFields::integer(const QJsonValue &v, const std::string &key, int min, int max) const
{
    // The bounds are checked after the type so that the message can give the allowed range.
    const double d = wholeNumber(v, key, min > 0 ? "a positive integer" : "an integer",
        -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
    if (d < min || d > max)
        invalid(
            key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + numberText(d));
    return static_cast<int>(d);
}

int JsonFields::positiveInteger(const QJsonValue &v, const std::string &key) const
{
    return static_cast<int>(wholeNumber(v, key, "a positive integer", 1, std::numeric_limits<int>::max()));
}

double JsonFields::number(const QJsonValue &v, const std::string &key) const
{
    if (!v.isDouble())
        malformed(key, "a number", v);
    const double d = v.toDouble();
    if (!std::isfinite(d))
        invalid(key, "must be finite");
    return d;
}

std::string JsonFields::string(const QJsonValue &v, const std::string &key) const
{
    if (!v.isString())
        malformed(key, "a string", v);
    return v.toString().toStdString();
}

std::array<double, 3> JsonFields::channels(const QJsonValue &v, const std::string &key, Broadcast broadcast) const
{
    const bool broadcasts = broadcast == Broadcast::Yes;
    if (broadcasts && v.isDouble()) {
        const double d = number(v, key);
        return {d, d, d};
    }
    if (!v.isArray())
        malformed(key, broadcasts ? "a number or an array of 3 numbers" : "an array of 3 numbers (R, G, B)", v);
    const QJsonArray a = v.toArray();
    const bool single = broadcasts && a.size() == 1;
    if (a.size() != 3 && !single)
        invalid(key, "expected 3 values (one per RGB channel), got " + std::to_string(a.size()));
    std::array<double, 3> out{};
    for (int c = 0; c < 3; ++c) {
        const int i = single ? 0 : c;
        out[static_cast<std::size_t>(c)] = number(a.at(i), key + "[" + std::to_string(i) + "]");
    }
    return out;
}

void JsonFields::malformed(const std::string &key, const std::string &expected, const QJsonValue &got) const
{
    throw Error(
        ErrorCode::MalformedConfig, m_file, m_prefix + key, "expected " + expected + ", got " + jsonTypeName(got));
}

void JsonFields::invalid(const std::string &key, const std::string &problem) const
{
    throw Error(ErrorCode::InvalidConfig, m_file, m_prefix + key, problem);
}

} // namespace lookalike
