// SiglipImageProcessor (transformers v4.45) for one image, with HF's dtypes at every step so
// that pixel_values are bit-identical to Hugging Face's: uint8 resize (Pillow), rescale in
// float64 cast to float32, normalize in float32.
#include "core/model/ImagePreprocessor.h"

#include "core/Error.h"
#include "core/model/PillowResize.h"

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

[[noreturn]] void malformed(
    const std::string &file, const std::string &key, const std::string &expected, const QJsonValue &got)
{
    throw Error(ErrorCode::MalformedConfig, file, key, "expected " + expected + ", got " + jsonTypeName(got));
}

// Number formatting that round-trips, for messages.
std::string numberText(double v)
{
    return QByteArray::number(v, 'g', 17).toStdString();
}

class ConfigReader {
public:
    ConfigReader(const QJsonObject &object, const std::string &file)
        : m_object(object)
        , m_file(file)
    {
    }

    // HF passes a JSON null through as None, and `if do_resize:` treats None as false.
    bool boolean(const char *key, bool fallback) const
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined())
            return fallback;
        if (v.isNull())
            return false;
        if (!v.isBool())
            malformed(m_file, key, "true or false", v);
        return v.toBool();
    }

    int integer(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isDouble())
            malformed(m_file, key, "an integer", v);
        const double d = v.toDouble();
        if (d != std::floor(d) || std::abs(d) > 1e9)
            throw Error(ErrorCode::MalformedConfig, m_file, key, "expected an integer, got " + numberText(d));
        return static_cast<int>(d);
    }

    double number(const QJsonValue &v, const std::string &key) const
    {
        if (!v.isDouble())
            malformed(m_file, key, "a number", v);
        const double d = v.toDouble();
        if (!std::isfinite(d))
            throw Error(ErrorCode::InvalidConfig, m_file, key, "must be finite");
        return d;
    }

    // image_mean / image_std: one number for all channels or one per channel; null or
    // missing gives HF's default (IMAGENET_STANDARD_MEAN / _STD, all 0.5).
    std::array<double, 3> perChannel(const char *key, const std::array<double, 3> &fallback) const
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (v.isDouble()) {
            const double d = number(v, key);
            return {d, d, d};
        }
        if (!v.isArray())
            malformed(m_file, key, "a number or an array of 3 numbers", v);
        const QJsonArray a = v.toArray();
        // A one-element list broadcasts in NumPy like a scalar.
        if (a.size() != 3 && a.size() != 1)
            throw Error(ErrorCode::InvalidConfig, m_file, key,
                "expected 3 values (one per RGB channel), got " + std::to_string(a.size()));
        std::array<double, 3> out{};
        for (int c = 0; c < 3; ++c)
            out[static_cast<std::size_t>(c)] = number(
                a.at(a.size() == 1 ? 0 : c), std::string(key) + "[" + std::to_string(a.size() == 1 ? 0 : c) + "]");
        return out;
    }

    const QJsonObject &object() const { return m_object; }
    const std::string &file() const { return m_file; }

private:
    QJsonObject m_object;
    std::string m_file;
};

PillowFilter filterFor(int resample)
{
    return static_cast<PillowFilter>(resample);
}

} // namespace

ImagePreprocessorConfig ImagePreprocessorConfig::fromJson(const std::string &json, const std::string &fileForErrors)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw Error(ErrorCode::MalformedConfig, fileForErrors,
            "not valid JSON: " + parseError.errorString().toStdString() + " at offset "
                + std::to_string(parseError.offset));
    if (!doc.isObject())
        throw Error(ErrorCode::MalformedConfig, fileForErrors, "expected a JSON object at the top level");

    const ConfigReader r(doc.object(), fileForErrors);
    ImagePreprocessorConfig c;

    c.doResize = r.boolean("do_resize", c.doResize);
    c.doRescale = r.boolean("do_rescale", c.doRescale);
    c.doNormalize = r.boolean("do_normalize", c.doNormalize);

    const QJsonValue size = r.object().value(QLatin1String("size"));
    if (size.isObject()) {
        const QJsonObject s = size.toObject();
        for (const char *key : {"height", "width"}) {
            if (!s.contains(QLatin1String(key)))
                throw Error(ErrorCode::InvalidConfig, fileForErrors, std::string("size.") + key,
                    "missing (SigLIP resizes to an exact height and width)");
        }
        c.height = r.integer(s.value(QLatin1String("height")), "size.height");
        c.width = r.integer(s.value(QLatin1String("width")), "size.width");
    } else if (size.isArray()) { // get_size_dict() reads a pair as (height, width)
        const QJsonArray a = size.toArray();
        if (a.size() != 2)
            throw Error(ErrorCode::InvalidConfig, fileForErrors, "size",
                "expected [height, width], got " + std::to_string(a.size()) + " values");
        c.height = r.integer(a.at(0), "size[0]");
        c.width = r.integer(a.at(1), "size[1]");
    } else if (!size.isUndefined() && !size.isNull()) {
        malformed(fileForErrors, "size", "an object {\"height\": h, \"width\": w}", size);
    }
    if (c.height <= 0 || c.width <= 0)
        throw Error(ErrorCode::InvalidConfig, fileForErrors, "size",
            "height and width must be positive, got " + std::to_string(c.height) + "x" + std::to_string(c.width));
    if (static_cast<long long>(c.height) * c.width > 16384LL * 16384LL)
        throw Error(ErrorCode::InvalidConfig, fileForErrors, "size",
            "unreasonably large: " + std::to_string(c.width) + "x" + std::to_string(c.height));

    const QJsonValue resample = r.object().value(QLatin1String("resample"));
    if (!resample.isUndefined()) {
        c.resample = r.integer(resample, "resample");
        if (c.resample < 0 || c.resample > 5)
            throw Error(ErrorCode::InvalidConfig, fileForErrors, "resample",
                "unsupported Pillow resample filter " + std::to_string(c.resample)
                    + " (supported: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
    }

    const QJsonValue rescale = r.object().value(QLatin1String("rescale_factor"));
    if (!rescale.isUndefined()) {
        c.rescaleFactor = r.number(rescale, "rescale_factor");
        if (!(c.rescaleFactor > 0))
            throw Error(ErrorCode::InvalidConfig, fileForErrors, "rescale_factor",
                "must be positive, got " + numberText(c.rescaleFactor));
    }

    c.mean = r.perChannel("image_mean", c.mean);
    c.std = r.perChannel("image_std", c.std);
    for (double s : c.std) {
        if (s == 0 || static_cast<float>(s) == 0.0f)
            throw Error(ErrorCode::InvalidConfig, fileForErrors, "image_std", "must not be zero");
    }
    return c;
}

ImagePreprocessorConfig ImagePreprocessorConfig::fromFile(const std::filesystem::path &path)
{
    const std::string name = path.string();
    QFile file(QString::fromStdString(name));
    if (!file.exists())
        throw Error(ErrorCode::MissingConfig, name, "preprocessor config not found");
    if (!file.open(QIODevice::ReadOnly))
        throw Error(ErrorCode::FileUnreadable, name, "cannot read file: " + file.errorString().toStdString());
    return fromJson(file.readAll().toStdString(), name);
}

std::string ImagePreprocessorConfig::toJson() const
{
    auto channels = [](const std::array<double, 3> &v) { return QJsonArray{v[0], v[1], v[2]}; };
    QJsonObject o;
    o.insert(QLatin1String("do_normalize"), doNormalize);
    o.insert(QLatin1String("do_rescale"), doRescale);
    o.insert(QLatin1String("do_resize"), doResize);
    o.insert(QLatin1String("image_mean"), channels(mean));
    o.insert(QLatin1String("image_processor_type"), QLatin1String("SiglipImageProcessor"));
    o.insert(QLatin1String("image_std"), channels(std));
    o.insert(QLatin1String("resample"), resample);
    o.insert(QLatin1String("rescale_factor"), rescaleFactor);
    o.insert(QLatin1String("size"), QJsonObject{{QLatin1String("height"), height}, {QLatin1String("width"), width}});
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

ImagePreprocessor::ImagePreprocessor(ImagePreprocessorConfig config)
    : m_config(std::move(config))
{
    if (m_config.width <= 0 || m_config.height <= 0)
        throw Error(ErrorCode::InvalidArgument, std::string(), "size",
            "height and width must be positive, got " + std::to_string(m_config.width) + "x"
                + std::to_string(m_config.height));
    if (m_config.resample < 0 || m_config.resample > 5)
        throw Error(ErrorCode::InvalidArgument, std::string(), "resample",
            "unsupported Pillow resample filter " + std::to_string(m_config.resample));
}

std::size_t ImagePreprocessor::pixelValueCount() const
{
    return 3u * static_cast<std::size_t>(m_config.height) * static_cast<std::size_t>(m_config.width);
}

void ImagePreprocessor::pixelValues(const RgbImage &image, std::span<float> out) const
{
    LOOKALIKE_CHECK(out.size() == pixelValueCount(), "pixel_values buffer has the wrong size");
    if (image.isNull())
        throw Error(ErrorCode::InvalidArgument, std::string(), "cannot preprocess an empty image");
    LOOKALIKE_CHECK(
        image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3,
        "RgbImage pixel buffer does not match its size");

    const int width = m_config.width;
    const int height = m_config.height;
    RgbImage resized;
    const RgbImage *source = &image;
    if (m_config.doResize) {
        resized = pillowResize(image, width, height, filterFor(m_config.resample));
        source = &resized;
    } else if (image.width != width || image.height != height) {
        throw Error(ErrorCode::InvalidArgument, std::string(),
            "image is " + std::to_string(image.width) + "x" + std::to_string(image.height) + " but the model takes "
                + std::to_string(width) + "x" + std::to_string(height) + " and do_resize is false");
    }

    // The float32 constants HF's normalize() builds with np.array(mean, dtype=image.dtype).
    std::array<float, 3> mean{};
    std::array<float, 3> deviation{};
    for (std::size_t c = 0; c < 3; ++c) {
        mean[c] = static_cast<float>(m_config.mean[c]);
        deviation[c] = static_cast<float>(m_config.std[c]);
    }
    // rescale(): image.astype(float64) * scale, then astype(float32). A table over the 256
    // byte values gives exactly that per pixel.
    std::array<float, 256> rescaled{};
    for (int v = 0; v < 256; ++v)
        rescaled[static_cast<std::size_t>(v)] = m_config.doRescale
            ? static_cast<float>(static_cast<double>(v) * m_config.rescaleFactor)
            : static_cast<float>(v);

    const std::size_t plane = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    const std::uint8_t *px = source->pixels.data();
    for (std::size_t i = 0; i < plane; ++i) {
        for (std::size_t c = 0; c < 3; ++c) {
            float x = rescaled[px[i * 3 + c]];
            if (m_config.doNormalize)
                x = (x - mean[c]) / deviation[c];
            out[c * plane + i] = x;
        }
    }
}

} // namespace lookalike
