// Port of Pillow 9.4's Image.resize for 8-bit RGB images (libImaging/Resample.c for the
// convolution filters, the affine nearest-neighbour scaler of Geometry.c for NEAREST).
// Every floating-point step is written in the order and precision of the C code; the
// project builds with -ffp-contract=off so that no multiply-add is fused.
#include "core/image/PillowResize.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

namespace lookalike {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double boxFilter(double x)
{
    if (x > -0.5 && x <= 0.5)
        return 1.0;
    return 0.0;
}

double bilinearFilter(double x)
{
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return 1.0 - x;
    return 0.0;
}

double hammingFilter(double x)
{
    if (x < 0.0)
        x = -x;
    if (x == 0.0)
        return 1.0;
    if (x >= 1.0)
        return 0.0;
    x = x * std::numbers::pi;
    // Pillow writes these constants as float literals; their float values are part of the result.
    return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}

double bicubicFilter(double x)
{
    constexpr double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

double sincFilter(double x)
{
    if (x == 0.0)
        return 1.0;
    x = x * std::numbers::pi;
    return std::sin(x) / x;
}

double lanczosFilter(double x)
{
    if (-3.0 <= x && x < 3.0)
        return sincFilter(x) * sincFilter(x / 3);
    return 0.0;
}

struct Filter {
    double (*function)(double);
    double support;
};

// Fixed-point weights of one axis: output index i reads `count[i]` source samples starting
// at `first[i]`, weighted by weights[i * kernelSize + k].
struct Coefficients {
    int kernelSize = 0;
    std::vector<int> first;
    std::vector<int> count;
    std::vector<std::int32_t> weights;
};

// precompute_coeffs() followed by normalize_coeffs_8bpc(), for the default box (0, 0, in).
Coefficients precomputeCoefficients(int inSize, int outSize, const Filter &filter)
{
    // The box edges are floats in Pillow: (double)(in1 - in0) with in0 = 0.0f, in1 = (float)inSize.
    const float in0 = 0.0f;
    const float in1 = static_cast<float>(inSize);
    double scale = static_cast<double>(in1 - in0) / outSize;
    double filterScale = scale;
    if (filterScale < 1.0)
        filterScale = 1.0;
    const double support = filter.support * filterScale;

    Coefficients c;
    c.kernelSize = static_cast<int>(std::ceil(support)) * 2 + 1;
    c.first.resize(static_cast<std::size_t>(outSize));
    c.count.resize(static_cast<std::size_t>(outSize));
    c.weights.assign(static_cast<std::size_t>(outSize) * static_cast<std::size_t>(c.kernelSize), 0);

    std::vector<double> k(static_cast<std::size_t>(c.kernelSize));
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = static_cast<double>(in0) + (xx + 0.5) * scale;
        double ww = 0.0;
        const double ss = 1.0 / filterScale;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > inSize)
            xmax = inSize;
        xmax -= xmin;
        for (int x = 0; x < xmax; ++x) {
            const double w = filter.function((x + xmin - center + 0.5) * ss);
            k[static_cast<std::size_t>(x)] = w;
            ww += w;
        }
        for (int x = 0; x < xmax; ++x) {
            if (ww != 0.0)
                k[static_cast<std::size_t>(x)] /= ww;
        }
        std::int32_t *out = &c.weights[static_cast<std::size_t>(xx) * static_cast<std::size_t>(c.kernelSize)];
        for (int x = 0; x < xmax; ++x) {
            const double w = k[static_cast<std::size_t>(x)];
            out[x] = w < 0 ? static_cast<std::int32_t>(-0.5 + w * (1 << kPrecisionBits))
                           : static_cast<std::int32_t>(0.5 + w * (1 << kPrecisionBits));
        }
        c.first[static_cast<std::size_t>(xx)] = xmin;
        c.count[static_cast<std::size_t>(xx)] = xmax;
    }
    return c;
}

// Pillow's clip8(): a lookup on the arithmetic shift, i.e. a clamp of it to [0, 255].
std::uint8_t clip8(std::int32_t in)
{
    return static_cast<std::uint8_t>(std::clamp(in >> kPrecisionBits, 0, 255));
}

// Weighted sums stay far below 2^31 (|weights| sum to at most ~1.3 * 2^22, times 255), so
// the INT32 accumulator of the C code never overflows and int32 reproduces it exactly.
RgbImage resampleHorizontal(const RgbImage &in, int outWidth, const Coefficients &c)
{
    RgbImage out(outWidth, in.height);
    const std::size_t inStride = static_cast<std::size_t>(in.width) * 3;
    const std::size_t outStride = static_cast<std::size_t>(outWidth) * 3;
    for (int yy = 0; yy < in.height; ++yy) {
        const std::uint8_t *row = &in.pixels[static_cast<std::size_t>(yy) * inStride];
        std::uint8_t *dst = &out.pixels[static_cast<std::size_t>(yy) * outStride];
        for (int xx = 0; xx < outWidth; ++xx) {
            const int xmin = c.first[static_cast<std::size_t>(xx)];
            const int n = c.count[static_cast<std::size_t>(xx)];
            const std::int32_t *k = &c.weights[static_cast<std::size_t>(xx) * static_cast<std::size_t>(c.kernelSize)];
            std::int32_t s0 = 1 << (kPrecisionBits - 1);
            std::int32_t s1 = s0;
            std::int32_t s2 = s0;
            for (int x = 0; x < n; ++x) {
                const std::uint8_t *p = row + static_cast<std::size_t>(x + xmin) * 3;
                s0 += p[0] * k[x];
                s1 += p[1] * k[x];
                s2 += p[2] * k[x];
            }
            dst[xx * 3 + 0] = clip8(s0);
            dst[xx * 3 + 1] = clip8(s1);
            dst[xx * 3 + 2] = clip8(s2);
        }
    }
    return out;
}

RgbImage resampleVertical(const RgbImage &in, int outHeight, const Coefficients &c)
{
    RgbImage out(in.width, outHeight);
    const std::size_t stride = static_cast<std::size_t>(in.width) * 3;
    for (int yy = 0; yy < outHeight; ++yy) {
        const int ymin = c.first[static_cast<std::size_t>(yy)];
        const int n = c.count[static_cast<std::size_t>(yy)];
        const std::int32_t *k = &c.weights[static_cast<std::size_t>(yy) * static_cast<std::size_t>(c.kernelSize)];
        std::uint8_t *dst = &out.pixels[static_cast<std::size_t>(yy) * stride];
        for (std::size_t i = 0; i < stride; ++i) {
            std::int32_t s = 1 << (kPrecisionBits - 1);
            for (int y = 0; y < n; ++y)
                s += in.pixels[static_cast<std::size_t>(y + ymin) * stride + i] * k[y];
            dst[i] = clip8(s);
        }
    }
    return out;
}

// Pillow resizes with NEAREST through ImagingTransform(AFFINE) -> ImagingScaleAffine: the source
// coordinate is accumulated by repeated addition of the scale, then truncated (COORD()).
std::vector<int> nearestIndices(int inSize, int outSize)
{
    const float in0 = 0.0f;
    const float in1 = static_cast<float>(inSize);
    const double a = static_cast<double>(in1 - in0) / outSize;
    double pos = static_cast<double>(in0) + a * 0.5;
    std::vector<int> indices(static_cast<std::size_t>(outSize), -1);
    for (int i = 0; i < outSize; ++i) {
        const int src = pos < 0.0 ? -1 : static_cast<int>(pos);
        if (src >= 0 && src < inSize)
            indices[static_cast<std::size_t>(i)] = src;
        pos += a;
    }
    return indices;
}

RgbImage resizeNearest(const RgbImage &in, int width, int height)
{
    const std::vector<int> xs = nearestIndices(in.width, width);
    const std::vector<int> ys = nearestIndices(in.height, height);
    // Pillow fills pixels without a source with 0 (fill=1); with the default box every
    // index is in range, but keep the same behaviour rather than read out of bounds.
    RgbImage out(width, height);
    for (int y = 0; y < height; ++y) {
        const int sy = ys[static_cast<std::size_t>(y)];
        if (sy < 0)
            continue;
        const std::uint8_t *row = &in.pixels[static_cast<std::size_t>(sy) * static_cast<std::size_t>(in.width) * 3];
        std::uint8_t *dst = &out.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) * 3];
        for (int x = 0; x < width; ++x) {
            const int sx = xs[static_cast<std::size_t>(x)];
            if (sx < 0)
                continue;
            std::copy_n(row + static_cast<std::size_t>(sx) * 3, 3, dst + static_cast<std::size_t>(x) * 3);
        }
    }
    return out;
}

} // namespace

RgbImage pillowResize(const RgbImage &image, int width, int height, PillowFilter filter)
{
    if (width <= 0 || height <= 0)
        throw Error(ErrorCode::InvalidArgument, std::string(),
            "cannot resize to " + std::to_string(width) + "x" + std::to_string(height));
    if (image.isNull())
        throw Error(ErrorCode::InvalidArgument, std::string(), "cannot resize an empty image");
    LOOKALIKE_CHECK(
        image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3,
        "RgbImage pixel buffer does not match its size");

    const int id = static_cast<int>(filter);
    if (id < static_cast<int>(PillowFilter::Nearest) || id > static_cast<int>(PillowFilter::Hamming))
        throw Error(ErrorCode::Unsupported, std::string(), "unknown Pillow resample filter " + std::to_string(id));

    if (image.width == width && image.height == height)
        return image;

    Filter f{};
    switch (filter) {
    case PillowFilter::Nearest:
        return resizeNearest(image, width, height);
    case PillowFilter::Box:
        f = {boxFilter, 0.5};
        break;
    case PillowFilter::Bilinear:
        f = {bilinearFilter, 1.0};
        break;
    case PillowFilter::Hamming:
        f = {hammingFilter, 1.0};
        break;
    case PillowFilter::Bicubic:
        f = {bicubicFilter, 2.0};
        break;
    case PillowFilter::Lanczos:
        f = {lanczosFilter, 3.0};
        break;
    }

    // Pillow computes both axes' coefficients first and runs the horizontal pass only over the
    // rows the vertical pass reads; running it over all rows gives the same bytes.
    if (width == image.width)
        return resampleVertical(image, height, precomputeCoefficients(image.height, height, f));
    RgbImage horizontal = resampleHorizontal(image, width, precomputeCoefficients(image.width, width, f));
    if (height == image.height)
        return horizontal;
    return resampleVertical(horizontal, height, precomputeCoefficients(image.height, height, f));
}

} // namespace lookalike
