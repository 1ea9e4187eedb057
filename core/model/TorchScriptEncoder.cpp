// TorchScript image encoders on LibTorch: loading and probing a module, preprocessing per its
// JSON, batched encoding, and writing tiny modules from C++ (no Python) for the tests.
// With SiglipModel.cpp, one of the two translation units that include LibTorch; no Qt here
// (the JSON is parsed in TorchScriptEncoderConfig.cpp).
#include "core/model/TorchScriptEncoder.h"

#include "core/Error.h"
#include "core/util/RegularFile.h"

#include <c10/core/InferenceMode.h>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

// LibTorch messages run over many lines (a C++ backtrace, or a TorchScript traceback that ends
// with the Python-style exception line). Our errors are one line, so keep the telling line.
std::string torchMessage(const std::exception &e)
{
    const auto *c10Error = dynamic_cast<const c10::Error *>(&e);
    const std::string text = c10Error ? c10Error->what_without_backtrace() : e.what();
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos)
            continue;
        line = line.substr(first);
        line.erase(line.find_last_not_of(" \t\r") + 1);
        lines.push_back(line);
    }
    if (lines.empty())
        return "unknown LibTorch error";
    std::string out = text.find("Traceback of TorchScript") != std::string::npos ? lines.back() : lines.front();
    constexpr std::size_t kMaxLength = 400;
    if (out.size() > kMaxLength)
        out = out.substr(0, kMaxLength) + "...";
    return out;
}

std::string shapeText(at::IntArrayRef sizes)
{
    std::string out = "[";
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out += (i ? ", " : "") + std::to_string(sizes[i]);
    return out + "]";
}

// The module's output as an N x D float32 tensor, or an error naming the file and the shape.
at::Tensor embeddingsFrom(const c10::IValue &output, std::int64_t rows, const std::string &file)
{
    constexpr const char *kExpected = "expected a float tensor of shape [N, D] or [N, D, 1, 1]";
    if (!output.isTensor())
        throw Error(ErrorCode::WrongShape, file, "forward returns " + output.tagKind() + ", " + kExpected);
    at::Tensor t = output.toTensor();
    const std::string shape = shapeText(t.sizes());
    // A CNN that ends with adaptive pooling and no flatten returns N x D x 1 x 1.
    if (t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1)
        t = t.reshape({t.size(0), t.size(1)});
    if (t.dim() != 2 || t.size(0) != rows || t.size(1) < 1)
        throw Error(ErrorCode::WrongShape, file,
            "output has shape " + shape + " for a batch of " + std::to_string(rows) + ", " + kExpected);
    if (!at::isFloatingType(t.scalar_type()))
        throw Error(ErrorCode::UnsupportedDtype, file,
            "output has dtype " + std::string(c10::toString(t.scalar_type())) + ", " + kExpected);
    return t.to(at::kFloat).contiguous();
}

// Python's round() for k / 2: halves go to the even neighbour, as torchvision's center_crop
// computes int(round((size - crop) / 2.0)).
int halfRoundedToEven(int k)
{
    int q = k / 2;
    if (k % 2 != 0 && q % 2 != 0)
        ++q;
    return q;
}

struct ResizePlan {
    int width = 0;
    int height = 0;
    int left = 0; // the crop inside the resized image
    int top = 0;
};

// torchvision's Resize(S) + CenterCrop(S) on a PIL image (torchvision 0.14,
// _compute_resized_output_size and center_crop), generalised to an H x W target as "the
// smallest aspect-preserving resize that covers H x W, then the centred H x W window":
//   - the side that limits is resized to the target exactly, the other to
//     int(target * long / short), truncated like torchvision's int() (the quotient is the
//     correctly rounded double, as Python's true division of ints gives);
//   - the crop offsets are int(round((resized - target) / 2.0)), Python's round half to even.
// For a square target this is exactly torchvision; the resize itself is Pillow's Image.resize.
ResizePlan coverAndCenterCrop(int imageWidth, int imageHeight, int targetWidth, int targetHeight)
{
    ResizePlan p;
    const std::int64_t w = imageWidth, h = imageHeight, tw = targetWidth, th = targetHeight;
    if (w * th >= tw * h) { // at least as wide as the target: the height limits
        p.height = targetHeight;
        p.width = static_cast<int>(static_cast<double>(th * w) / static_cast<double>(h));
    } else {
        p.width = targetWidth;
        p.height = static_cast<int>(static_cast<double>(tw * h) / static_cast<double>(w));
    }
    LOOKALIKE_CHECK(p.width >= targetWidth && p.height >= targetHeight, "resize does not cover the target");
    p.left = halfRoundedToEven(p.width - targetWidth);
    p.top = halfRoundedToEven(p.height - targetHeight);
    return p;
}

fs::path defaultConfigPath(const fs::path &module)
{
    fs::path json = module;
    json.replace_extension(".json");
    return json;
}

at::Tensor tensorFrom(const TorchScriptParameter &p)
{
    std::int64_t n = 1;
    for (std::int64_t s : p.shape) {
        if (s < 0)
            throw Error(ErrorCode::InvalidArgument, {}, p.name, "negative dimension in " + shapeText(p.shape));
        n *= s;
    }
    if (static_cast<std::int64_t>(p.values.size()) != n)
        throw Error(ErrorCode::InvalidArgument, {}, p.name,
            std::to_string(p.values.size()) + " values for shape " + shapeText(p.shape));
    at::Tensor t = at::empty(p.shape, at::kFloat);
    if (n > 0)
        std::memcpy(t.data_ptr<float>(), p.values.data(), static_cast<std::size_t>(n) * sizeof(float));
    return t;
}

constexpr int kTinyChannels = 8;

constexpr const char *kTinySource = R"JIT(
def forward(self, x):
    h = torch.relu(torch.conv2d(x, self.conv_weight, self.conv_bias, [2, 2], [1, 1]))
    return torch.linear(torch.mean(h, [2, 3]), self.fc_weight, self.fc_bias)
)JIT";

} // namespace

struct TorchScriptEncoder::Impl {
    std::string moduleFile;
    TorchScriptEncoderConfig config;
    torch::jit::Module module;
    int dimension = 0;
};

TorchScriptEncoder::TorchScriptEncoder(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

TorchScriptEncoder::~TorchScriptEncoder() = default;

std::unique_ptr<TorchScriptEncoder> TorchScriptEncoder::load(const fs::path &module, const fs::path &configJson)
{
    const std::string name = module.string();
    std::error_code ec;
    if (!fs::exists(module, ec))
        throw Error(ErrorCode::FileNotFound, name, "TorchScript module not found");
    if (!fs::is_regular_file(module, ec))
        throw Error(ErrorCode::FileUnreadable, name, "not a regular file");

    auto impl = std::make_unique<Impl>();
    impl->moduleFile = name;
    // The JSON first: it is cheap, and a module without its preprocessing is unusable anyway.
    const fs::path jsonPath = configJson.empty() ? defaultConfigPath(module) : configJson;
    if (configJson.empty() && !fs::exists(jsonPath, ec))
        throw Error(ErrorCode::MissingConfig, jsonPath.string(),
            "the preprocessing JSON of " + name
                + " is missing (expected beside the module: same name, extension .json)");
    impl->config = TorchScriptEncoderConfig::fromFile(jsonPath);
    const TorchScriptEncoderConfig &c = impl->config;

    requireRegularFile(module, kWeightsLimit);
    try {
        impl->module = torch::jit::load(name, c10::Device(c10::kCPU));
    } catch (const std::exception &e) {
        const std::string message = torchMessage(e);
        // PyTorchStreamReader reports anything that is not a whole zip archive this way.
        if (message.find("zip archive") != std::string::npos)
            throw Error(ErrorCode::MalformedHeader, name,
                "not a TorchScript archive (torch.jit.save writes a zip file; this one is not a zip "
                "file or is truncated): "
                    + message);
        throw Error(ErrorCode::Unsupported, name, "cannot load the TorchScript module: " + message);
    }
    impl->module.eval();
    if (!impl->module.find_method("forward"))
        throw Error(ErrorCode::Unsupported, name, "the TorchScript module has no forward method");

    // The embedding width is whatever the module returns; a zero batch of one finds it and
    // proves the module accepts the input size of the JSON.
    c10::InferenceMode guard;
    const std::vector<std::int64_t> probeShape{1, 3, c.height, c.width};
    c10::IValue output;
    try {
        output = impl->module.forward({at::zeros(probeShape, at::kFloat)});
    } catch (const std::exception &e) {
        throw Error(ErrorCode::Unsupported, name,
            "forward fails on a zero batch of shape " + shapeText(probeShape) + " (input_size from " + jsonPath.string()
                + "): " + torchMessage(e));
    }
    impl->dimension = static_cast<int>(embeddingsFrom(output, 1, name).size(1));
    return std::unique_ptr<TorchScriptEncoder>(new TorchScriptEncoder(std::move(impl)));
}

const TorchScriptEncoderConfig &TorchScriptEncoder::config() const
{
    return d->config;
}

std::string TorchScriptEncoder::schedule() const
{
    const int threads = at::get_num_threads();
    return "fp32, one pass per batch, " + std::to_string(threads) + " intra-op thread" + (threads == 1 ? "" : "s");
}

int TorchScriptEncoder::dimension() const
{
    return d->dimension;
}

std::size_t TorchScriptEncoder::pixelValueCount() const
{
    return 3u * static_cast<std::size_t>(d->config.height) * static_cast<std::size_t>(d->config.width);
}

// Like ImagePreprocessor (HF's dtypes): uint8 Pillow resize, rescale in float64 cast to
// float32, normalise in float32, CHW. Reads only the config, so it is safe on many threads.
void TorchScriptEncoder::preprocess(const RgbImage &image, std::span<float> out) const
{
    const TorchScriptEncoderConfig &c = d->config;
    if (out.size() != pixelValueCount())
        throw Error(ErrorCode::InvalidArgument, {},
            "pixel buffer holds " + std::to_string(out.size()) + " floats, expected "
                + std::to_string(pixelValueCount()));
    if (image.isNull())
        throw Error(ErrorCode::InvalidArgument, {}, "cannot preprocess an empty image");
    LOOKALIKE_CHECK(
        image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3u,
        "RgbImage pixel buffer does not match its size");

    ResizePlan plan{c.width, c.height, 0, 0};
    if (c.resizeMode == TorchScriptEncoderConfig::ResizeMode::ShorterSideCenterCrop)
        plan = coverAndCenterCrop(image.width, image.height, c.width, c.height);
    const RgbImage resized = pillowResize(image, plan.width, plan.height, c.filter);

    std::array<float, 3> mean{};
    std::array<float, 3> deviation{};
    for (std::size_t ch = 0; ch < 3; ++ch) {
        mean[ch] = static_cast<float>(c.mean[ch]);
        deviation[ch] = static_cast<float>(c.std[ch]);
    }
    std::array<float, 256> rescaled{};
    for (int v = 0; v < 256; ++v)
        rescaled[static_cast<std::size_t>(v)] = static_cast<float>(static_cast<double>(v) * c.rescaleFactor);

    const std::size_t width = static_cast<std::size_t>(c.width);
    const std::size_t plane = width * static_cast<std::size_t>(c.height);
    for (std::size_t y = 0; y < static_cast<std::size_t>(c.height); ++y) {
        const std::uint8_t *row = resized.pixels.data()
            + ((y + static_cast<std::size_t>(plan.top)) * static_cast<std::size_t>(resized.width)
                  + static_cast<std::size_t>(plan.left))
                * 3u;
        for (std::size_t x = 0; x < width; ++x)
            for (std::size_t ch = 0; ch < 3; ++ch)
                out[ch * plane + y * width + x] = (rescaled[row[x * 3 + ch]] - mean[ch]) / deviation[ch];
    }
}

FloatMatrix TorchScriptEncoder::encode(std::span<const float> pixels, std::int64_t count) const
{
    const TorchScriptEncoderConfig &c = d->config;
    const auto per = static_cast<std::int64_t>(pixelValueCount());
    if (count < 0 || static_cast<std::int64_t>(pixels.size()) != count * per)
        throw Error(ErrorCode::InvalidArgument, d->moduleFile,
            "pixel values hold " + std::to_string(pixels.size()) + " floats, expected " + std::to_string(count) + " x "
                + std::to_string(per));
    if (count == 0)
        return FloatMatrix(0, d->dimension);

    c10::InferenceMode guard;
    // A copy, not from_blob alone: a module may normalise its input in place, and the caller's
    // pixels are const. The copy is small next to any CNN's forward pass.
    const at::Tensor input
        = at::from_blob(const_cast<float *>(pixels.data()), {count, 3, c.height, c.width}, at::kFloat).clone();
    c10::IValue output;
    try {
        output = d->module.forward({input});
    } catch (const std::exception &e) {
        throw Error(ErrorCode::Unsupported, d->moduleFile,
            "forward fails on a batch of " + std::to_string(count) + ": " + torchMessage(e));
    }
    const at::Tensor embeddings = embeddingsFrom(output, count, d->moduleFile);
    if (embeddings.size(1) != d->dimension)
        throw Error(ErrorCode::WrongShape, d->moduleFile,
            "output width " + std::to_string(embeddings.size(1)) + " differs from the " + std::to_string(d->dimension)
                + " found when the module was loaded");
    FloatMatrix m(count, d->dimension);
    std::memcpy(m.data.data(), embeddings.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

void writeTorchScriptModule(
    const fs::path &module, const std::vector<TorchScriptParameter> &parameters, const std::string &source)
{
    const std::string name = module.string();
    try {
        torch::jit::Module m("__torch__.LookalikeEncoder");
        for (const TorchScriptParameter &p : parameters)
            m.register_parameter(p.name, tensorFrom(p), /*is_buffer=*/false);
        m.define(source);
        m.save(name);
    } catch (const Error &) {
        throw;
    } catch (const std::exception &e) {
        throw Error(ErrorCode::InvalidArgument, name, "cannot write the TorchScript module: " + torchMessage(e));
    }
}

std::vector<TorchScriptParameter> tinyTorchScriptEncoderParameters(int dimension, std::uint64_t seed)
{
    if (dimension < 1)
        throw Error(ErrorCode::InvalidArgument, {}, "dimension must be positive, got " + std::to_string(dimension));
    // Raw mt19937_64 output is the same everywhere (the <random> distributions are not), and
    // a local generator leaves LibTorch's global seed alone. Uniform in [-b, b) with
    // b = 1/sqrt(fan_in), PyTorch's default initialisation range for conv and linear layers.
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::vector<std::int64_t> shape, int fanIn) {
        std::int64_t n = 1;
        for (std::int64_t s : shape)
            n *= s;
        const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
        std::vector<float> values(static_cast<std::size_t>(n));
        for (float &v : values) {
            const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53; // [0, 1)
            v = static_cast<float>((2.0 * u - 1.0) * bound);
        }
        return std::pair{std::move(shape), std::move(values)};
    };
    std::vector<TorchScriptParameter> params;
    auto add = [&](const char *paramName, std::vector<std::int64_t> shape, int fanIn) {
        auto [s, v] = uniform(std::move(shape), fanIn);
        params.push_back({paramName, std::move(s), std::move(v)});
    };
    add("conv_weight", {kTinyChannels, 3, 3, 3}, 27);
    add("conv_bias", {kTinyChannels}, 27);
    add("fc_weight", {dimension, kTinyChannels}, kTinyChannels);
    add("fc_bias", {dimension}, kTinyChannels);
    return params;
}

void writeTinyTorchScriptEncoder(const fs::path &module, int dimension, int size, std::uint64_t seed)
{
    if (size < 1)
        throw Error(ErrorCode::InvalidArgument, module.string(), "size must be positive, got " + std::to_string(size));
    writeTorchScriptModule(module, tinyTorchScriptEncoderParameters(dimension, seed), kTinySource);

    TorchScriptEncoderConfig config;
    config.height = config.width = size;
    config.filter = PillowFilter::Bicubic;
    config.resizeMode = TorchScriptEncoderConfig::ResizeMode::Squash;
    config.mean = {0.5, 0.5, 0.5};
    config.std = {0.5, 0.5, 0.5};
    const fs::path json = defaultConfigPath(module);
    std::ofstream out(json, std::ios::binary | std::ios::trunc);
    out << config.toJson();
    if (!out)
        throw Error(ErrorCode::FileUnreadable, json.string(), "cannot write file");
}

} // namespace lookalike
