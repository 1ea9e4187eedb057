// Pillow's 8-bit separable resampling (libImaging/Resample.c, Pillow 9.x) reproduced
// bit-exactly: horizontal pass first, uint8 intermediate, 22-bit fixed-point weights,
// antialiasing support when downscaling. Used so pixel_values equal Hugging Face's exactly.
#pragma once

#include "core/image/RgbImage.h"

namespace lookalike {

// Pillow's resample ids, as in preprocessor_config.json "resample".
enum class PillowFilter { Nearest = 0, Lanczos = 1, Bilinear = 2, Bicubic = 3, Box = 4, Hamming = 5 };

// Returns `image` resized to width x height (an unchanged copy when the size is the same).
// Throws Error(Unsupported) for a filter this port does not implement.
RgbImage pillowResize(const RgbImage &image, int width, int height, PillowFilter filter);

} // namespace lookalike
