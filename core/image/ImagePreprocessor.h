// SiglipImageProcessor (transformers v4.45) for one image: resize to the model's size with
// Pillow's filter, rescale (u8 * rescale_factor in float64, cast to float32), normalize
// ((x - mean) / std in float32), HWC -> CHW. Settings come from preprocessor_config.json,
// so they travel with the weights.
#pragma once

#include "core/image/RgbImage.h"

#include <array>
#include <filesystem>
#include <span>
#include <string>

namespace lookalike {

struct ImagePreprocessorConfig {
    bool doResize = true;
    int width = 224;
    int height = 224;
    int resample = 3; // PIL.Image.BICUBIC
    bool doRescale = true;
    double rescaleFactor = 1.0 / 255.0;
    bool doNormalize = true;
    std::array<double, 3> mean{0.5, 0.5, 0.5};
    std::array<double, 3> std{0.5, 0.5, 0.5};

    // Parses preprocessor_config.json with SiglipImageProcessor's defaults for missing keys.
    // Throws MissingConfig / MalformedConfig / InvalidConfig naming the file and key.
    static ImagePreprocessorConfig fromJson(const std::string &json, const std::string &fileForErrors);
    static ImagePreprocessorConfig fromFile(const std::filesystem::path &path);
    std::string toJson() const;
};

class ImagePreprocessor {
public:
    explicit ImagePreprocessor(ImagePreprocessorConfig config);
    const ImagePreprocessorConfig &config() const { return m_config; }

    // Number of floats one image becomes: 3 * height * width.
    std::size_t pixelValueCount() const;
    // Writes pixel_values [3, height, width] (CHW, RGB) of `image` into `out`.
    void pixelValues(const RgbImage &image, std::span<float> out) const;

private:
    ImagePreprocessorConfig m_config;
};

} // namespace lookalike
