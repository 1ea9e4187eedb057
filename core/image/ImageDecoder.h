// Decodes image files with OpenCV the way PIL.Image.open(f).convert('RGB') does: alpha
// dropped (not composited), grayscale replicated, palette expanded, 16-bit reduced the way
// Pillow reduces it, EXIF orientation NOT applied (HF does not apply it either) unless asked
// for display purposes.
#pragma once

#include "core/image/RgbImage.h"

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

// What the first bytes of a file (16 are enough) say: a format the decoder reads, one that
// Pillow opens but OpenCV cannot (unsupportedName then names it: "GIF", "HEIF/HEIC", ...), or
// neither. The catalog import checks images with this, the same table the decoder uses.
enum class ImageSignature { Supported, Unsupported, Unknown };
ImageSignature imageSignature(std::span<const std::byte> head, const char **unsupportedName);

} // namespace lookalike
