// SiglipImageProcessor (transformers v4.45) for one image, with HF's dtypes at every step so
// that pixel_values are bit-identical to Hugging Face's: uint8 resize (Pillow), rescale in
// float64 cast to float32, normalize in float32.
#include "core/image/ImagePreprocessor.h"

#include "core/Error.h"
#include "core/image/PillowResize.h"
#include "core/util/JsonFields.h"
#include "core/util/RegularFile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <string>
#include <utility>

namespace lookalike {

namespace {

PillowFilter filterFor(int resample)
{
    return static_cast<PillowFilter>(resample);
}

} // namespace

ImagePreprocessorConfig ImagePreprocessorConfig::fromJson(const std::string &json, const std::string &fileForErrors)
{
    const QJsonObject o = parseJsonObject(QByteArray::fromStdString(json), fileForErrors);
    const JsonFields f(fileForErrors);
    ImagePreprocessorConfig c;

    // HF passes a JSON null through as None, and `if do_resize:` treats None as false.
    auto flag = [&](const char *key, bool fallback) {
        const QJsonValue v = o.value(QLatin1String(key));
        return v.isUndefined() ? fallback : !v.isNull() && f.boolean(v, key);
    };
    c.doResize = flag("do_resize", c.doResize);
    c.doRescale = flag("do_rescale", c.doRescale);
    c.doNormalize = flag("do_normalize", c.doNormalize);

    const QJsonValue size = o.value(QLatin1String("size"));
    if (size.isObject()) {
        const QJsonObject s = size.toObject();
        for (const char *key : {"height", "width"}) {
            if (!s.contains(QLatin1String(key)))
                f.invalid(std::string("size.") + key, "missing (SigLIP resizes to an exact height and width)");
        }
        c.height = f.integer(s.value(QLatin1String("height")), "size.height");
        c.width = f.integer(s.value(QLatin1String("width")), "size.width");
    } else if (size.isArray()) { // get_size_dict() reads a pair as (height, width)
        const QJsonArray a = size.toArray();
        if (a.size() != 2)
            f.invalid("size", "expected [height, width], got " + std::to_string(a.size()) + " values");
        c.height = f.integer(a.at(0), "size[0]");
        c.width = f.integer(a.at(1), "size[1]");
    } else if (!size.isUndefined() && !size.isNull()) {
        f.malformed("size", "an object {\"height\": h, \"width\": w}", size);
    }
    if (c.height <= 0 || c.width <= 0)
        f.invalid("size",
            "height and width must be positive, got " + std::to_string(c.height) + "x" + std::to_string(c.width));
    if (static_cast<long long>(c.height) * c.width > 16384LL * 16384LL)
        f.invalid("size", "unreasonably large: " + std::to_string(c.width) + "x" + std::to_string(c.height));

    const QJsonValue resample = o.value(QLatin1String("resample"));
    if (!resample.isUndefined()) {
        c.resample = f.integer(resample, "resample");
        if (c.resample < 0 || c.resample > 5)
            f.invalid("resample",
                "unsupported Pillow resample filter " + std::to_string(c.resample)
                    + " (supported: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
    }

    const QJsonValue rescale = o.value(QLatin1String("rescale_factor"));
    if (!rescale.isUndefined()) {
        c.rescaleFactor = f.number(rescale, "rescale_factor");
        if (!(c.rescaleFactor > 0))
            f.invalid("rescale_factor", "must be positive, got " + numberText(c.rescaleFactor));
    }

    // image_mean / image_std: one number for all channels or one per channel; null or
    // missing gives HF's default (IMAGENET_STANDARD_MEAN / _STD, all 0.5).
    auto perChannel = [&](const char *key, const std::array<double, 3> &fallback) {
        const QJsonValue v = o.value(QLatin1String(key));
        return v.isUndefined() || v.isNull() ? fallback : f.channels(v, key, JsonFields::Broadcast::Yes);
    };
    c.mean = perChannel("image_mean", c.mean);
    c.std = perChannel("image_std", c.std);
    for (double s : c.std) {
        if (s == 0 || static_cast<float>(s) == 0.0f)
            f.invalid("image_std", "must not be zero");
    }
    return c;
}

ImagePreprocessorConfig ImagePreprocessorConfig::fromFile(const std::filesystem::path &path)
{
    const std::string name = path.string();
    QFile file(QString::fromStdString(name));
    if (!file.exists())
        throw Error(ErrorCode::MissingConfig, name, "preprocessor config not found");
    requireRegularFile(path, kJsonSettingsLimit);
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
