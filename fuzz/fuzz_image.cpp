// libFuzzer target: image decoding (OpenCV behind lookalike's checks) of arbitrary bytes, with
// and without EXIF orientation. Rejections must be lookalike::Error; a decoded image must have
// a positive size and exactly width x height x 3 bytes.
#include "core/Error.h"
#include "core/image/ImageDecoder.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte *>(data), size);
    for (const auto orientation : {lookalike::ExifOrientation::Ignore, lookalike::ExifOrientation::Apply}) {
        try {
            const lookalike::RgbImage image = lookalike::decodeImage(bytes, "fuzz input", orientation);
            if (image.width <= 0 || image.height <= 0
                || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
                __builtin_trap();
        } catch (const lookalike::Error &) {
        }
    }
    return 0;
}
