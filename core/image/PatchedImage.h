// One image as SigLIP 2 NaFlex takes it: a grid of rows x cols patches, each flattened in
// (patch row, patch column, channel) order, as Siglip2ImageProcessor's convert_image_to_patches.
// Plain data shared by the preprocessor (which writes it) and the model (which reads it).
#pragma once

#include <cstdint>
#include <vector>

namespace lookalike {

struct PatchedImage {
    int rows = 0; // spatial_shapes[0]: patches down the image
    int cols = 0; // spatial_shapes[1]: patches across
    std::vector<float> values; // rows * cols patches x (patch * patch * 3) floats, row-major patches

    std::int64_t patchCount() const { return std::int64_t{rows} * cols; }
};

} // namespace lookalike
