// The JSON beside a TorchScript encoder (TorchScriptEncoderConfig), and the encoder's
// configJson(): Qt's JSON here because TorchScriptEncoder.cpp includes LibTorch, whose headers
// do not survive Qt's macros.
#include "core/model/TorchScriptEncoder.h"

#include "core/Error.h"
#include "core/util/JsonFields.h"
#include "core/util/RegularFile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <string>

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
    const QJsonObject o = parseJsonObject(json, fileForErrors);
    const JsonFields r(fileForErrors);
    TorchScriptEncoderConfig c;
    // A key that is present but null is a mistake in the file, not a request for the default.
    auto present = [&](const char *key) { return o.contains(QLatin1String(key)); };
    auto value = [&](const char *key) { return o.value(QLatin1String(key)); };
    // Far beyond any CNN input, and keeps 3 * H * W well inside int64 and memory.
    auto size = [&](const QJsonValue &v, const char *key) { return r.integer(v, key, 1, 16384); };

    if (present("input_size")) {
        const QJsonValue v = value("input_size");
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.size() != 2)
                r.invalid("input_size", "expected [height, width], got " + std::to_string(a.size()) + " values");
            c.height = size(a.at(0), "input_size[0]");
            c.width = size(a.at(1), "input_size[1]");
        } else if (v.isDouble()) {
            c.height = c.width = size(v, "input_size");
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
    requireRegularFile(json, kJsonSettingsLimit);
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

std::string TorchScriptEncoder::configJson() const
{
    const QJsonObject preprocessing = QJsonDocument::fromJson(QByteArray::fromStdString(config().toJson())).object();
    return QJsonDocument(QJsonObject{{QStringLiteral("preprocessing"), preprocessing}})
        .toJson(QJsonDocument::Compact)
        .toStdString();
}

} // namespace lookalike
