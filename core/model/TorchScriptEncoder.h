// A TorchScript image encoder (torch::jit::load), e.g. a CNN baseline exported from PyTorch
// with torch.jit.trace/script, with its preprocessing in a small JSON file beside it:
//   {"input_size": 224 | [height, width], "resize": "bicubic" | "bilinear" | ... (Pillow filter),
//    "resize_mode": "squash" | "shorter_side_center_crop", "mean": [r, g, b], "std": [r, g, b],
//    "rescale_factor": 0.00392156862745098}
// The module takes a float32 N x 3 x H x W batch and returns N x D (or N x D x 1 x 1).
// Defaults for keys left out: input_size 224, bicubic, squash, ImageNet mean/std, 1/255.
// "shorter_side_center_crop" is torchvision's Resize(S) + CenterCrop(S) on a PIL image (see
// TorchScriptEncoder.cpp for the exact rounding), generalised to H x W targets.
#pragma once

#include "core/model/ImageEncoder.h"
#include "core/image/PillowResize.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lookalike {

struct TorchScriptEncoderConfig {
    int height = 224;
    int width = 224;
    PillowFilter filter = PillowFilter::Bicubic;
    enum class ResizeMode { Squash, ShorterSideCenterCrop } resizeMode = ResizeMode::Squash;
    std::array<double, 3> mean{0.485, 0.456, 0.406};
    std::array<double, 3> std{0.229, 0.224, 0.225};
    double rescaleFactor = 1.0 / 255.0;

    static TorchScriptEncoderConfig fromFile(const std::filesystem::path &json); // errors name file and key
    std::string toJson() const;
};

class TorchScriptEncoder final : public ImageEncoder {
public:
    // Loads the module and its JSON (default: same path with extension .json) and probes the
    // output width with one dummy batch. Throws lookalike::Error naming the file.
    static std::unique_ptr<TorchScriptEncoder> load(
        const std::filesystem::path &module, const std::filesystem::path &configJson = {});
    ~TorchScriptEncoder() override;

    const TorchScriptEncoderConfig &config() const;
    int dimension() const override;
    std::size_t pixelValueCount() const override;
    void preprocess(const RgbImage &image, std::span<float> out) const override;
    FloatMatrix encode(std::span<const float> pixels, std::int64_t count) const override;
    std::string configJson() const override; // in TorchScriptEncoderConfig.cpp (Qt's JSON)
    std::string schedule() const override;   // one pass per batch on the intra-op threads

    // Thread safety: preprocess() may run on several threads at once; encode() is for one
    // caller at a time (the module's interpreter state is not meant to be shared).

private:
    struct Impl;
    explicit TorchScriptEncoder(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// Writes a small random TorchScript CNN (conv, ReLU, global average pool, linear) that maps
// 3 x size x size images to `dimension` outputs, plus its JSON; for tests and benchmarks,
// so that no Python is needed.
// The JSON is written beside the module (same path, extension .json): size x size, bicubic,
// squash, mean and std 0.5. The same seed gives the same weights on every platform.
void writeTinyTorchScriptEncoder(const std::filesystem::path &module, int dimension, int size, std::uint64_t seed);

// A float32 parameter of a module written by writeTorchScriptModule (row-major values).
struct TorchScriptParameter {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

// The parameters writeTinyTorchScriptEncoder saves for (dimension, seed): conv_weight 8x3x3x3,
// conv_bias 8, fc_weight D x 8, fc_bias D. Its forward is
//   linear(mean_{2,3}(relu(conv2d(x, conv_weight, conv_bias, stride 2, padding 1))), fc_weight, fc_bias)
// so that tests can compute its output by hand.
std::vector<TorchScriptParameter> tinyTorchScriptEncoderParameters(int dimension, std::uint64_t seed);

// Writes a TorchScript module with these parameters and the methods in `source` (TorchScript,
// e.g. "def forward(self, x):\n    return x.mean([2, 3])"), without a JSON; for tests of
// modules the loader must refuse or survive. Throws Error naming the file on failure.
void writeTorchScriptModule(const std::filesystem::path &module, const std::vector<TorchScriptParameter> &parameters,
    const std::string &source);

} // namespace lookalike
