// Small JPEG thumbnails of catalog images, for pages that must hold their images inline (the
// HTML report): decoded as the app shows them (EXIF orientation applied), shrunk with area
// averaging so that the longer side is at most `maxSide` pixels, encoded as baseline JPEG.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lookalike {

struct Thumbnail {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> jpeg; // the encoded file
};

// Throws lookalike::Error naming the file when it cannot be decoded (as decodeImageFile).
Thumbnail makeThumbnail(const std::filesystem::path &image, int maxSide, int quality = 82);

} // namespace lookalike
