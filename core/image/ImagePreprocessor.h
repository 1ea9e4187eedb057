// SiglipImageProcessor (transformers v4.45) for one image: resize to the model's size with
// Pillow's filter, rescale (u8 * rescale_factor in float64, cast to float32), normalize
// ((x - mean) / std in float32), HWC -> CHW. Siglip2ImageProcessor (NaFlex, transformers 5):
// the same steps at the size that keeps the aspect ratio within max_num_patches, then cut into
// patches. Settings come from preprocessor_config.json or processor_config.json's nested
// image_processor, so they travel with the weights.
#pragma once

#include "core/image/PatchedImage.h"
#include "core/image/RgbImage.h"

#include <array>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

namespace lookalike {

struct ImagePreprocessorConfig {
    // image_processor_type: SiglipImageProcessor (square) or Siglip2ImageProcessor (NaFlex).
    std::string processorType = "SiglipImageProcessor";
    bool doResize = true;
    int width = 224;
    int height = 224;
    int resample = 3; // PIL.Image.BICUBIC
    bool doRescale = true;
    double rescaleFactor = 1.0 / 255.0;
    bool doNormalize = true;
    std::array<double, 3> mean{0.5, 0.5, 0.5};
    std::array<double, 3> std{0.5, 0.5, 0.5};
    // NaFlex only (0 otherwise): patch_size and max_num_patches.
    int patchSize = 0;
    int maxNumPatches = 0;

    bool isNaflex() const { return maxNumPatches > 0; }
    // "bilinear", "bicubic", ...: the resize filter in words, for users.
    std::string resampleName() const;

    // Parses the image processor settings with the processor class's defaults for missing keys.
    // The JSON is either preprocessor_config.json itself or processor_config.json, whose
    // "image_processor" object holds them (transformers 5). Throws MissingConfig /
    // MalformedConfig / InvalidConfig naming the file and key.
    static ImagePreprocessorConfig fromJson(const std::string &json, const std::string &fileForErrors);
    static ImagePreprocessorConfig fromFile(const std::filesystem::path &path);
    std::string toJson() const;
};

class ImagePreprocessor {
public:
    explicit ImagePreprocessor(ImagePreprocessorConfig config);
    const ImagePreprocessorConfig &config() const { return m_config; }

    // FixRes. Number of floats one image becomes: 3 * height * width.
    std::size_t pixelValueCount() const;
    // FixRes. Writes pixel_values [3, height, width] (CHW, RGB) of `image` into `out`.
    void pixelValues(const RgbImage &image, std::span<float> out) const;

    // NaFlex: the patch grid (rows, columns) transformers' get_image_size_for_max_num_patches
    // picks for an image of height x width pixels.
    std::pair<int, int> naflexGrid(int height, int width) const;
    // NaFlex: the image resized to that grid and cut into patches (pixel_values without padding).
    PatchedImage patchedImage(const RgbImage &image) const;

private:
    ImagePreprocessorConfig m_config;
    // Rescaled and normalized value of each byte per channel, computed as transformers does.
    std::array<std::array<float, 256>, 3> m_values{};
};

} // namespace lookalike
