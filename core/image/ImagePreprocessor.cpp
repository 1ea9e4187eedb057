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

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
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
    QJsonObject o = parseJsonObject(QByteArray::fromStdString(json), fileForErrors);
    std::string prefix;
    if (const QJsonValue nested = o.value(QLatin1String("image_processor")); !nested.isUndefined()) {
        if (!nested.isObject())
            JsonFields(fileForErrors).malformed("image_processor", "a JSON object", nested);
        o = nested.toObject(); // processor_config.json (transformers 5)
        prefix = "image_processor.";
    }
    const JsonFields f(fileForErrors, prefix);
    ImagePreprocessorConfig c;
    if (const QJsonValue type = o.value(QLatin1String("image_processor_type")); !type.isUndefined() && !type.isNull())
        c.processorType = f.string(type, "image_processor_type");
    if (c.processorType == "Siglip2ImageProcessor" || c.processorType == "Siglip2ImageProcessorFast") {
        // Siglip2ImageProcessor's defaults.
        c.resample = 2;
        c.patchSize = 16;
        c.maxNumPatches = 256;
        if (const QJsonValue v = o.value(QLatin1String("patch_size")); !v.isUndefined() && !v.isNull())
            c.patchSize = f.integer(v, "patch_size", 1, 4096);
        if (const QJsonValue v = o.value(QLatin1String("max_num_patches")); !v.isUndefined() && !v.isNull())
            c.maxNumPatches = f.integer(v, "max_num_patches", 1, 1 << 20);
    } else if (c.processorType != "SiglipImageProcessor" && c.processorType != "SiglipImageProcessorFast") {
        f.invalid("image_processor_type",
                  "'" + c.processorType + "' is not a SigLIP image processor (SiglipImageProcessor or "
                  "Siglip2ImageProcessor)");
    }

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
    } else if (!size.isUndefined() && !size.isNull() && !c.isNaflex()) {
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
    o.insert(QLatin1String("image_processor_type"), QString::fromStdString(processorType));
    o.insert(QLatin1String("image_std"), channels(std));
    o.insert(QLatin1String("resample"), resample);
    o.insert(QLatin1String("rescale_factor"), rescaleFactor);
    if (isNaflex()) {
        o.insert(QLatin1String("patch_size"), patchSize);
        o.insert(QLatin1String("max_num_patches"), maxNumPatches);
    } else {
        o.insert(QLatin1String("size"), QJsonObject{{QLatin1String("height"), height}, {QLatin1String("width"), width}});
    }
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

std::string ImagePreprocessorConfig::resampleName() const
{
    static const char *const names[] = {"nearest", "lanczos", "bilinear", "bicubic", "box", "hamming"};
    return resample >= 0 && resample <= 5 ? names[resample] : "filter " + std::to_string(resample);
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
    // rescale(): image.astype(float64) * scale, then astype(float32); normalize(): (x - mean) / std
    // with float32 constants (np.array(mean, dtype=image.dtype)). A table over the 256 byte
    // values gives exactly that per pixel.
    for (std::size_t c = 0; c < 3; ++c) {
        const auto mean = static_cast<float>(m_config.mean[c]);
        const auto deviation = static_cast<float>(m_config.std[c]);
        for (int v = 0; v < 256; ++v) {
            float x = m_config.doRescale ? static_cast<float>(static_cast<double>(v) * m_config.rescaleFactor)
                                         : static_cast<float>(v);
            if (m_config.doNormalize)
                x = (x - mean) / deviation;
            m_values[c][static_cast<std::size_t>(v)] = x;
        }
    }
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

    const std::size_t plane = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    const std::uint8_t *px = source->pixels.data();
    for (std::size_t i = 0; i < plane; ++i)
        for (std::size_t c = 0; c < 3; ++c)
            out[c * plane + i] = m_values[c][px[i * 3 + c]];
}

std::pair<int, int> ImagePreprocessor::naflexGrid(int height, int width) const
{
    LOOKALIKE_CHECK(m_config.isNaflex(), "naflexGrid() on a FixRes preprocessor");
    // get_image_size_for_max_num_patches, operation for operation in double as Python does.
    const int p = m_config.patchSize;
    auto scaled = [p](double scale, int size) {
        const double s = static_cast<double>(size) * scale;
        const double rounded = std::ceil(s / p) * p; // math.ceil(s / p) * p, an int in Python
        return std::max(static_cast<double>(p), rounded);
    };
    const double eps = 1e-5;
    double lo = eps / 10, hi = 100.0;
    while ((hi - lo) >= eps) {
        const double scale = (lo + hi) / 2;
        const double patches = (scaled(scale, height) / p) * (scaled(scale, width) / p);
        if (patches <= m_config.maxNumPatches)
            lo = scale;
        else
            hi = scale;
    }
    return {static_cast<int>(scaled(lo, height)) / p, static_cast<int>(scaled(lo, width)) / p};
}

PatchedImage ImagePreprocessor::patchedImage(const RgbImage &image) const
{
    if (!m_config.isNaflex())
        throw Error(ErrorCode::InvalidArgument, std::string(), "patched images need a NaFlex (Siglip2ImageProcessor) preprocessor");
    if (image.isNull())
        throw Error(ErrorCode::InvalidArgument, std::string(), "cannot preprocess an empty image");
    const int p = m_config.patchSize;
    PatchedImage out;
    RgbImage resized;
    const RgbImage *source = &image;
    if (m_config.doResize) {
        std::tie(out.rows, out.cols) = naflexGrid(image.height, image.width);
        resized = pillowResize(image, out.cols * p, out.rows * p, filterFor(m_config.resample));
        source = &resized;
    } else {
        if (image.width % p != 0 || image.height % p != 0)
            throw Error(ErrorCode::InvalidArgument, std::string(),
                        "image is " + std::to_string(image.width) + "x" + std::to_string(image.height)
                            + ", not a whole number of " + std::to_string(p) + "-pixel patches, and do_resize is false");
        out.rows = image.height / p;
        out.cols = image.width / p;
        if (out.patchCount() > m_config.maxNumPatches)
            throw Error(ErrorCode::InvalidArgument, std::string(),
                        "image has " + std::to_string(out.patchCount()) + " patches, more than max_num_patches "
                            + std::to_string(m_config.maxNumPatches) + ", and do_resize is false");
    }
    // convert_image_to_patches: (rows, cols, patch row, patch column, channel), row-major.
    out.values.resize(static_cast<std::size_t>(out.patchCount()) * static_cast<std::size_t>(p) * p * 3);
    const std::size_t stride = static_cast<std::size_t>(source->width) * 3;
    const std::uint8_t *px = source->pixels.data();
    float *o = out.values.data();
    for (int r = 0; r < out.rows; ++r)
        for (int c = 0; c < out.cols; ++c)
            for (int y = 0; y < p; ++y) {
                const std::uint8_t *row = px + static_cast<std::size_t>(r * p + y) * stride + static_cast<std::size_t>(c * p) * 3;
                for (int x = 0; x < p * 3; x += 3) {
                    *o++ = m_values[0][row[x]];
                    *o++ = m_values[1][row[x + 1]];
                    *o++ = m_values[2][row[x + 2]];
                }
            }
    return out;
}

} // namespace lookalike
