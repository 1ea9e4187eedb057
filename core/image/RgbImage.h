// An 8-bit RGB image in memory: height x width x 3, row-major (HWC), no padding.
// What PIL.Image.open(f).convert('RGB') gives as a NumPy array.
#pragma once

#include <cstdint>
#include <vector>

namespace lookalike {

struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // height * width * 3

    RgbImage() = default;
    RgbImage(int w, int h)
        : width(w)
        , height(h)
        , pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3u)
    {
    }
    bool isNull() const { return width <= 0 || height <= 0; }
};

} // namespace lookalike
