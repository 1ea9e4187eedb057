// The JSON beside a TorchScript encoder (TorchScriptEncoderConfig): parsed with Qt here
// because TorchScriptEncoder.cpp includes LibTorch, whose headers do not survive Qt's macros.
#include "core/model/TorchScriptEncoder.h"

#include "core/Error.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <cmath>
#include <string>
#include <utility>

namespace lookalike {

namespace {

struct FilterName {
    const char *name;
    PillowFilter filter;
};

constexpr FilterName kFilters[] = {
    {"nearest", PillowFilter::Nearest},
    {"bilinear", PillowFilter::Bilinear},
    {"bicubic", PillowFilter::Bicubic},
    {"lanczos", PillowFilter::Lanczos},
    {"box", PillowFilter::Box},
    {"hamming", PillowFilter::Hamming},
};

constexpr const char *kSquash = "squash";
constexpr const char *kShorterSideCenterCrop = "shorter_side_center_crop";

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

// Number formatting that round-trips, for messages.
std::string numberText(double v)
{
    return QByteArray::number(v, 'g', 17).toStdString();
}

class Reader {
public:
    explicit Reader(std::string file)
        : m_file(std::move(file))
    {
    }

    [[noreturn]] void malformed(const std::string &key, const std::string &expected, const QJsonValue &got) const
    {
        throw Error(ErrorCode::MalformedConfig, m_file, key, "expected " + expected + ", got " + jsonTypeName(got));
    }
    [[noreturn]] void invalid(const std::string &key, const std::string &problem) const
    {
        throw Error(ErrorCode::InvalidConfig, m_file, key, problem);
    }

    int size(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isDouble())
            malformed(key, "a positive integer", v);
        const double d = v.toDouble();
        if (d != std::floor(d))
            throw Error(ErrorCode::MalformedConfig, m_file, key, "expected a positive integer, got " + numberText(d));
        // Far beyond any CNN input, and keeps 3 * H * W well inside int64 and memory.
        if (d <= 0 || d > 16384)
            invalid(key, "must be between 1 and 16384, got " + numberText(d));
        return static_cast<int>(d);
    }

    double number(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isDouble())
            malformed(key, "a number", v);
        const double d = v.toDouble();
        if (!std::isfinite(d))
            invalid(key, "must be finite");
        return d;
    }

    std::array<double, 3> channels(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isArray())
            malformed(key, "an array of 3 numbers (R, G, B)", v);
        const QJsonArray a = v.toArray();
        if (a.size() != 3)
            invalid(key, "expected 3 values (one per RGB channel), got " + std::to_string(a.size()));
        std::array<double, 3> out{};
        for (int c = 0; c < 3; ++c)
            out[static_cast<std::size_t>(c)] = number(a.at(c), key + "[" + std::to_string(c) + "]");
        return out;
    }

    std::string string(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isString())
            malformed(key, "a string", v);
        return v.toString().toStdString();
    }

    const std::string &file() const { return m_file; }

private:
    std::string m_file;
};

std::string filterName(PillowFilter filter)
{
    for (const FilterName &f : kFilters)
        if (f.filter == filter)
            return f.name;
    return "bicubic";
}

std::string supportedFilters()
{
    std::string out;
    for (const FilterName &f : kFilters)
        out += (out.empty() ? "" : ", ") + std::string(f.name);
    return out;
}

TorchScriptEncoderConfig parse(const QByteArray &json, const std::string &fileForErrors)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw Error(ErrorCode::MalformedConfig, fileForErrors,
            "not valid JSON: " + parseError.errorString().toStdString() + " at offset "
                + std::to_string(parseError.offset));
    if (!doc.isObject())
        throw Error(ErrorCode::MalformedConfig, fileForErrors, "expected a JSON object at the top level");
    const QJsonObject o = doc.object();
    const Reader r(fileForErrors);
    TorchScriptEncoderConfig c;
    // A key that is present but null is a mistake in the file, not a request for the default.
    auto present = [&](const char *key) { return o.contains(QLatin1String(key)); };
    auto value = [&](const char *key) { return o.value(QLatin1String(key)); };

    if (present("input_size")) {
        const QJsonValue v = value("input_size");
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.size() != 2)
                r.invalid("input_size", "expected [height, width], got " + std::to_string(a.size()) + " values");
            c.height = r.size(a.at(0), "input_size[0]");
            c.width = r.size(a.at(1), "input_size[1]");
        } else if (v.isDouble()) {
            c.height = c.width = r.size(v, "input_size");
        } else {
            r.malformed("input_size", "an integer or [height, width]", v);
        }
    }

    if (present("resize")) {
        const std::string name = r.string(value("resize"), "resize");
        bool found = false;
        for (const FilterName &f : kFilters) {
            if (name == f.name) {
                c.filter = f.filter;
                found = true;
            }
        }
        if (!found)
            r.invalid("resize", "unknown Pillow filter '" + name + "' (supported: " + supportedFilters() + ")");
    }

    if (present("resize_mode")) {
        const std::string mode = r.string(value("resize_mode"), "resize_mode");
        if (mode == kSquash)
            c.resizeMode = TorchScriptEncoderConfig::ResizeMode::Squash;
        else if (mode == kShorterSideCenterCrop)
            c.resizeMode = TorchScriptEncoderConfig::ResizeMode::ShorterSideCenterCrop;
        else
            r.invalid("resize_mode",
                "unknown mode '" + mode + "' (supported: " + kSquash + ", " + kShorterSideCenterCrop + ")");
    }

    if (present("mean"))
        c.mean = r.channels(value("mean"), "mean");
    if (present("std")) {
        c.std = r.channels(value("std"), "std");
        for (std::size_t i = 0; i < 3; ++i) {
            // Normalisation divides in float32, so a std that rounds to 0 there is zero too.
            if (c.std[i] == 0 || static_cast<float>(c.std[i]) == 0.0f)
                r.invalid("std[" + std::to_string(i) + "]", "must not be zero");
        }
    }

    if (present("rescale_factor")) {
        c.rescaleFactor = r.number(value("rescale_factor"), "rescale_factor");
        if (!(c.rescaleFactor > 0))
            r.invalid("rescale_factor", "must be positive, got " + numberText(c.rescaleFactor));
    }
    return c;
}

} // namespace

TorchScriptEncoderConfig TorchScriptEncoderConfig::fromFile(const std::filesystem::path &json)
{
    const std::string name = json.string();
    QFile file(QString::fromStdString(name));
    if (!file.exists())
        throw Error(ErrorCode::MissingConfig, name, "TorchScript encoder config not found");
    if (!file.open(QIODevice::ReadOnly))
        throw Error(ErrorCode::FileUnreadable, name, "cannot read file: " + file.errorString().toStdString());
    return parse(file.readAll(), name);
}

std::string TorchScriptEncoderConfig::toJson() const
{
    auto channels = [](const std::array<double, 3> &v) { return QJsonArray{v[0], v[1], v[2]}; };
    QJsonObject o;
    o.insert(QLatin1String("input_size"), height == width ? QJsonValue(height) : QJsonValue(QJsonArray{height, width}));
    o.insert(QLatin1String("resize"), QString::fromStdString(filterName(filter)));
    o.insert(QLatin1String("resize_mode"),
        QLatin1String(resizeMode == ResizeMode::Squash ? kSquash : kShorterSideCenterCrop));
    o.insert(QLatin1String("mean"), channels(mean));
    o.insert(QLatin1String("std"), channels(std));
    o.insert(QLatin1String("rescale_factor"), rescaleFactor);
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

} // namespace lookalike
