// Decodes image files with OpenCV the way PIL.Image.open(f).convert('RGB') does: alpha
// dropped (not composited), grayscale replicated, palette expanded, 16-bit reduced the way
// Pillow reduces it, EXIF orientation NOT applied (HF does not apply it either) unless asked
// for display purposes.
#pragma once

#include "core/model/RgbImage.h"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace lookalike {

enum class ExifOrientation { Ignore, Apply };

// Throws lookalike::Error (FileNotFound, FileUnreadable, ImageDecodeFailed, UnsupportedImage)
// naming the file.
RgbImage decodeImageFile(const std::filesystem::path &path, ExifOrientation orientation = ExifOrientation::Ignore);

// Same from encoded bytes in memory; `nameForErrors` names the source in messages.
RgbImage decodeImage(std::span<const std::byte> encoded, const std::string &nameForErrors,
                     ExifOrientation orientation = ExifOrientation::Ignore);

} // namespace lookalike
