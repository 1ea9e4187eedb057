// Image decoding with OpenCV, made to give what PIL.Image.open(f).convert('RGB') gives (Pillow 9.4).
// OpenCV does the codec work (the same libjpeg-turbo, libpng and libwebp as Debian's Pillow);
// this file adds what OpenCV does differently: the reduction to 8-bit RGB, the checks Pillow
// makes before decoding (truncation, decompression bombs, zero sizes) and EXIF orientation.
#include "core/image/ImageDecoder.h"

#include "core/Error.h"
#include "core/util/RegularFile.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace lookalike {

namespace {

// Pillow raises DecompressionBombError above 2 * Image.MAX_IMAGE_PIXELS; refusing the same
// images keeps us on Pillow's side (a 108-megapixel phone photo still decodes) while stopping
// crafted headers from making OpenCV allocate gigabytes.
constexpr std::uint64_t kMaxPixels = 2ull * 89'478'485ull;

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be16(Bytes b, std::size_t at)
{
    return (std::uint32_t(b[at]) << 8) | b[at + 1];
}
std::uint32_t be32(Bytes b, std::size_t at)
{
    return (be16(b, at) << 16) | be16(b, at + 2);
}
std::uint32_t le16(Bytes b, std::size_t at)
{
    return (std::uint32_t(b[at + 1]) << 8) | b[at];
}
std::uint32_t le24(Bytes b, std::size_t at)
{
    return le16(b, at) | (std::uint32_t(b[at + 2]) << 16);
}
std::uint32_t le32(Bytes b, std::size_t at)
{
    return le16(b, at) | (le16(b, at + 2) << 16);
}

bool startsWith(Bytes b, std::string_view magic, std::size_t at = 0)
{
    return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

enum class Format { Unknown, Png, Jpeg, WebP, Tiff, Bmp, Pnm };

const char *formatName(Format f)
{
    switch (f) {
    case Format::Png:
        return "PNG";
    case Format::Jpeg:
        return "JPEG";
    case Format::WebP:
        return "WebP";
    case Format::Tiff:
        return "TIFF";
    case Format::Bmp:
        return "BMP";
    case Format::Pnm:
        return "PNM";
    case Format::Unknown:
        break;
    }
    return "image";
}

Format sniff(Bytes b)
{
    if (startsWith(b, "\x89PNG\r\n\x1a\n"))
        return Format::Png;
    if (startsWith(b, "\xff\xd8\xff"))
        return Format::Jpeg;
    if (startsWith(b, "RIFF") && startsWith(b, "WEBP", 8))
        return Format::WebP;
    if (startsWith(b, std::string_view("II*\0", 4)) || startsWith(b, std::string_view("MM\0*", 4)))
        return Format::Tiff;
    if (startsWith(b, "BM"))
        return Format::Bmp;
    if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(b[2]))
        return Format::Pnm;
    return Format::Unknown;
}

// Formats Pillow opens but OpenCV 4.6 cannot: named, so the user learns why rather than
// reading "not an image".
const char *unsupportedFormat(Bytes b)
{
    if (startsWith(b, "GIF87a") || startsWith(b, "GIF89a"))
        return "GIF";
    if (startsWith(b, "8BPS"))
        return "Photoshop (PSD)";
    if (startsWith(b, "ftyp", 4)) {
        for (std::string_view brand : {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"})
            if (startsWith(b, brand, 8))
                return "HEIF/HEIC";
        if (startsWith(b, "avif", 8) || startsWith(b, "avis", 8))
            return "AVIF";
    }
    if (startsWith(b, "\xff\x0a") || startsWith(b, std::string_view("\0\0\0\x0cJXL \r\n\x87\n", 12)))
        return "JPEG XL";
    if (startsWith(b, std::string_view("\0\0\1\0", 4)) && b.size() >= 6 && le16(b, 4) > 0 && le16(b, 4) < 256)
        return "ICO";
    // OpenCV decodes these, but Pillow (and so the reference) does not, or not bit-exactly, and
    // their readers are not safe on hostile bytes: GDCM asserts (abort) on a malformed DICOM.
    // Only the formats sniff() knows ever reach cv::imdecode.
    if (startsWith(b, "DICM", 128))
        return "DICOM";
    if (startsWith(b, std::string_view("\0\0\0\x0cjP  \r\n\x87\n", 12)) || startsWith(b, "\xff\x4f\xff\x51"))
        return "JPEG 2000";
    if (startsWith(b, "\x76\x2f\x31\x01"))
        return "OpenEXR";
    if (startsWith(b, "#?RADIANCE") || startsWith(b, "#?RGBE"))
        return "Radiance HDR";
    if (startsWith(b, "PF\n") || startsWith(b, "Pf\n"))
        return "floating-point PFM";
    if (startsWith(b, "P7\n"))
        return "PAM";
    if (startsWith(b, "\x59\xa6\x6a\x95"))
        return "Sun raster";
    return nullptr;
}

} // namespace

ImageSignature imageSignature(std::span<const std::byte> head, const char **unsupportedName)
{
    const Bytes b(reinterpret_cast<const std::uint8_t *>(head.data()), head.size());
    if (sniff(b) != Format::Unknown)
        return ImageSignature::Supported;
    if (const char *name = unsupportedFormat(b)) {
        *unsupportedName = name;
        return ImageSignature::Unsupported;
    }
    return ImageSignature::Unknown;
}

namespace {

struct Header {
    std::optional<std::uint64_t> width;
    std::optional<std::uint64_t> height;
    bool truncated = false;
    bool missingPngEnd = false;
    std::optional<std::size_t> exifOffset; // start of a TIFF-structured EXIF block
    std::size_t exifSize = 0;
};

void setExif(Header &h, Bytes b, std::size_t offset, std::size_t size)
{
    if (h.exifOffset)
        return; // Pillow uses the first EXIF block
    // Some writers keep JPEG's "Exif\0\0" prefix in PNG and WebP too; Pillow skips it.
    if (size >= 6 && startsWith(b.subspan(offset), std::string_view("Exif\0\0", 6))) {
        offset += 6;
        size -= 6;
    }
    h.exifOffset = offset;
    h.exifSize = size;
}

Header parsePng(Bytes b)
{
    Header h;
    if (b.size() >= 24 && startsWith(b, "IHDR", 12)) {
        h.width = be32(b, 16);
        h.height = be32(b, 20);
    }
    // Walk the chunks: libpng reports a cut-off file only through its error callback, which
    // OpenCV turns into "empty"; saying "truncated" here is more useful.
    std::size_t at = 8;
    for (;;) {
        if (at == b.size() && at > 8) {
            h.missingPngEnd = true;
            break;
        }
        if (at + 8 > b.size()) {
            h.truncated = true;
            break;
        }
        const std::uint64_t length = be32(b, at);
        const Bytes type = b.subspan(at + 4, 4);
        if (at + 12 + length > b.size()) {
            h.truncated = true;
            break;
        }
        if (startsWith(type, "eXIf"))
            setExif(h, b, at + 8, length);
        if (startsWith(type, "IEND"))
            break;
        at += 12 + length;
    }
    return h;
}

bool isSofMarker(std::uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

Header parseJpeg(Bytes b)
{
    Header h;
    std::size_t at = 2;
    for (;;) {
        while (at < b.size() && b[at] == 0xff && at + 1 < b.size() && b[at + 1] == 0xff)
            ++at; // fill bytes
        if (at + 2 > b.size()) {
            h.truncated = true;
            return h;
        }
        if (b[at] != 0xff) {
            // libjpeg skips garbage before a marker with only a warning (next_marker()), so
            // must we, or a size in a later SOF escapes the bomb check (found by fuzzing).
            while (at < b.size() && b[at] != 0xff)
                ++at;
            continue;
        }
        const std::uint8_t marker = b[at + 1];
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { // FF 00: garbage too
            at += 2;
            continue;
        }
        if (marker == 0xd9)
            return h; // EOI before any scan: libjpeg will report it
        if (at + 4 > b.size()) {
            h.truncated = true;
            return h;
        }
        const std::size_t length = be16(b, at + 2);
        if (length < 2 || at + 2 + length > b.size()) {
            h.truncated = true;
            return h;
        }
        if (isSofMarker(marker) && length >= 7) {
            h.height = be16(b, at + 5);
            h.width = be16(b, at + 7);
        } else if (marker == 0xe1 && length >= 8 && startsWith(b, std::string_view("Exif\0\0", 6), at + 4)) {
            setExif(h, b, at + 4, length - 2);
        } else if (marker == 0xda) {
            // libjpeg only warns about missing scan data and pads with grey, so OpenCV returns
            // a half-grey image where Pillow raises "image file is truncated". Entropy-coded
            // data never contains FF D9, so an EOI after the first scan means the data is all there.
            const auto rest = b.subspan(at + 2 + length);
            static constexpr std::uint8_t eoi[] = {0xff, 0xd9};
            h.truncated = std::search(rest.begin(), rest.end(), std::begin(eoi), std::end(eoi)) == rest.end();
            return h;
        }
        at += 2 + length;
    }
}

Header parseWebP(Bytes b)
{
    Header h;
    if (b.size() >= 30 && startsWith(b, "VP8X", 12)) {
        h.width = le24(b, 24) + 1ull;
        h.height = le24(b, 27) + 1ull;
    } else if (b.size() >= 25 && startsWith(b, "VP8L", 12) && b[20] == 0x2f) {
        const std::uint32_t bits = le32(b, 21);
        h.width = (bits & 0x3fff) + 1ull;
        h.height = ((bits >> 14) & 0x3fff) + 1ull;
    } else if (b.size() >= 30 && startsWith(b, "VP8 ", 12) && startsWith(b, "\x9d\x01\x2a", 23)) {
        h.width = le16(b, 26) & 0x3fff;
        h.height = le16(b, 28) & 0x3fff;
    }
    if (static_cast<std::uint64_t>(le32(b, 4)) + 8 > b.size())
        h.truncated = true;
    std::size_t at = 12;
    while (at + 8 <= b.size()) {
        const std::uint64_t size = le32(b, at + 4);
        if (at + 8 + size > b.size()) {
            h.truncated = true;
            break;
        }
        if (startsWith(b, "EXIF", at))
            setExif(h, b, at + 8, size);
        at += 8 + size + (size & 1);
    }
    return h;
}

// Reads IFD0 of a TIFF structure (a TIFF file or an EXIF block): tag -> first value.
std::optional<std::uint32_t> tiffTag(Bytes b, std::uint16_t wanted)
{
    if (b.size() < 8)
        return std::nullopt;
    const bool little = b[0] == 'I' && b[1] == 'I';
    if (!little && !(b[0] == 'M' && b[1] == 'M'))
        return std::nullopt;
    auto u16 = [&](std::size_t at) { return little ? le16(b, at) : be16(b, at); };
    auto u32 = [&](std::size_t at) { return little ? le32(b, at) : be32(b, at); };
    if (u16(2) != 42)
        return std::nullopt;
    const std::uint64_t ifd = u32(4);
    if (ifd + 2 > b.size())
        return std::nullopt;
    const std::uint32_t count = u16(ifd);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t entry = ifd + 2 + 12ull * i;
        if (entry + 12 > b.size())
            return std::nullopt;
        if (u16(entry) != wanted)
            continue;
        switch (u16(entry + 2)) {
        case 3:
            return u16(entry + 8); // SHORT
        case 4:
            return u32(entry + 8); // LONG
        default:
            return std::nullopt;
        }
    }
    return std::nullopt;
}

Header parseTiff(Bytes b)
{
    Header h;
    if (auto w = tiffTag(b, 256))
        h.width = *w;
    if (auto l = tiffTag(b, 257))
        h.height = *l;
    h.exifOffset = 0;
    h.exifSize = b.size();
    return h;
}

Header parseBmp(Bytes b)
{
    Header h;
    if (b.size() < 26)
        return h;
    if (le32(b, 14) == 12) { // OS/2 BITMAPCOREHEADER
        h.width = le16(b, 18);
        h.height = le16(b, 20);
    } else {
        // Signed; a negative height means rows stored top-down.
        const std::int64_t width = static_cast<std::int32_t>(le32(b, 18));
        const std::int64_t height = static_cast<std::int32_t>(le32(b, 22));
        h.width = static_cast<std::uint64_t>(width < 0 ? -width : width);
        h.height = static_cast<std::uint64_t>(height < 0 ? -height : height);
    }
    return h;
}

Header parsePnm(Bytes b)
{
    Header h;
    std::size_t at = 2;
    std::uint64_t values[2] = {};
    for (auto &v : values) {
        for (;;) { // whitespace and comments
            while (at < b.size() && std::isspace(b[at]))
                ++at;
            if (at < b.size() && b[at] == '#') {
                while (at < b.size() && b[at] != '\n' && b[at] != '\r')
                    ++at;
                continue;
            }
            break;
        }
        if (at >= b.size() || !std::isdigit(b[at]))
            return h;
        while (at < b.size() && std::isdigit(b[at]) && v < (1ull << 40))
            v = v * 10 + (b[at++] - '0');
    }
    h.width = values[0];
    h.height = values[1];
    return h;
}

Header parseHeader(Format format, Bytes b)
{
    switch (format) {
    case Format::Png:
        return parsePng(b);
    case Format::Jpeg:
        return parseJpeg(b);
    case Format::WebP:
        return parseWebP(b);
    case Format::Tiff:
        return parseTiff(b);
    case Format::Bmp:
        return parseBmp(b);
    case Format::Pnm:
        return parsePnm(b);
    case Format::Unknown:
        break;
    }
    return {};
}

std::string sizeText(std::uint64_t w, std::uint64_t h)
{
    return std::to_string(w) + "x" + std::to_string(h);
}

void checkSize(std::uint64_t width, std::uint64_t height, const std::string &name)
{
    if (width == 0 || height == 0)
        throw Error(ErrorCode::UnsupportedImage, name, "image has zero size (" + sizeText(width, height) + ")");
    if (width > kMaxPixels || height > kMaxPixels || width * height > kMaxPixels)
        throw Error(ErrorCode::UnsupportedImage, name,
            "image is " + sizeText(width, height) + " (" + std::to_string(width * height / 1'000'000)
                + " megapixels), more than the limit of " + std::to_string(kMaxPixels / 1'000'000)
                + " megapixels (possible decompression bomb)");
}

// Reduces what cv::imdecode(IMREAD_UNCHANGED) returns to Pillow's convert('RGB').
RgbImage toRgb(const cv::Mat &m, const std::string &name)
{
    const int channels = m.channels();
    if (m.depth() != CV_8U && m.depth() != CV_16U)
        throw Error(ErrorCode::UnsupportedImage, name,
            "unsupported sample type (only 8- and 16-bit integer images are supported)");
    if (channels < 1 || channels > 4)
        throw Error(ErrorCode::UnsupportedImage, name, std::to_string(channels) + "-channel images are not supported");

    RgbImage out(m.cols, m.rows);
    for (int y = 0; y < m.rows; ++y) {
        std::uint8_t *dst = &out.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(m.cols) * 3];
        if (m.depth() == CV_8U) {
            const std::uint8_t *src = m.ptr<std::uint8_t>(y);
            for (int x = 0; x < m.cols; ++x, src += channels, dst += 3) {
                if (channels <= 2) { // grey (+ alpha): replicated, alpha dropped
                    dst[0] = dst[1] = dst[2] = src[0];
                } else { // BGR(A): alpha dropped, not composited
                    dst[0] = src[2];
                    dst[1] = src[1];
                    dst[2] = src[0];
                }
            }
        } else {
            const std::uint16_t *src = m.ptr<std::uint16_t>(y);
            for (int x = 0; x < m.cols; ++x, src += channels, dst += 3) {
                if (channels == 1) {
                    // Pillow opens 16-bit grey as mode I / I;16 and its I -> RGB conversion
                    // clips to 0..255 rather than scaling: 300 becomes 255, not 1.
                    dst[0] = dst[1] = dst[2] = static_cast<std::uint8_t>(std::min<std::uint16_t>(src[0], 255));
                } else if (channels == 2) {
                    // 16-bit grey+alpha PNG is RGBA in Pillow, unpacked from the high bytes.
                    dst[0] = dst[1] = dst[2] = static_cast<std::uint8_t>(src[0] >> 8);
                } else { // Pillow's RGB;16B / RGBA;16B unpackers keep the high byte
                    dst[0] = static_cast<std::uint8_t>(src[2] >> 8);
                    dst[1] = static_cast<std::uint8_t>(src[1] >> 8);
                    dst[2] = static_cast<std::uint8_t>(src[0] >> 8);
                }
            }
        }
    }
    return out;
}

// ImageOps.exif_transpose: orientation 2..8 -> flip / rotate so the image shows upright.
RgbImage applyOrientation(const RgbImage &in, std::uint32_t orientation)
{
    if (orientation < 2 || orientation > 8)
        return in;
    const bool swapAxes = orientation >= 5;
    RgbImage out(swapAxes ? in.height : in.width, swapAxes ? in.width : in.height);
    const int w = in.width;
    const int h = in.height;
    for (int y = 0; y < out.height; ++y) {
        for (int x = 0; x < out.width; ++x) {
            int sx = x;
            int sy = y;
            switch (orientation) {
            case 2: // FLIP_LEFT_RIGHT
                sx = w - 1 - x;
                break;
            case 3: // ROTATE_180
                sx = w - 1 - x;
                sy = h - 1 - y;
                break;
            case 4: // FLIP_TOP_BOTTOM
                sy = h - 1 - y;
                break;
            case 5: // TRANSPOSE
                sx = y;
                sy = x;
                break;
            case 6: // ROTATE_270, i.e. 90 degrees clockwise
                sx = y;
                sy = h - 1 - x;
                break;
            case 7: // TRANSVERSE
                sx = w - 1 - y;
                sy = h - 1 - x;
                break;
            case 8: // ROTATE_90, i.e. 90 degrees counter-clockwise
                sx = w - 1 - y;
                sy = x;
                break;
            }
            const std::size_t s
                = (static_cast<std::size_t>(sy) * static_cast<std::size_t>(w) + static_cast<std::size_t>(sx)) * 3;
            const std::size_t d
                = (static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) + static_cast<std::size_t>(x)) * 3;
            std::copy_n(&in.pixels[s], 3, &out.pixels[d]);
        }
    }
    return out;
}

} // namespace

RgbImage decodeImage(std::span<const std::byte> encoded, const std::string &nameForErrors, ExifOrientation orientation)
{
    const Bytes bytes(reinterpret_cast<const std::uint8_t *>(encoded.data()), encoded.size());
    if (bytes.empty())
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors, "empty file, not an image");
    if (const char *format = unsupportedFormat(bytes))
        throw Error(ErrorCode::UnsupportedImage, nameForErrors, std::string(format) + " images are not supported");
    if (bytes.size() > static_cast<std::size_t>(INT_MAX) - 16)
        throw Error(ErrorCode::UnsupportedImage, nameForErrors, "file is larger than 2 GiB");

    const Format format = sniff(bytes);
    if (format == Format::Unknown)
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors,
            "not a decodable image (unrecognised format; PNG, JPEG, WebP, TIFF, BMP and PNM are read)");
    const Header header = parseHeader(format, bytes);
    if (header.width && header.height)
        checkSize(*header.width, *header.height, nameForErrors);
    if (header.truncated)
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors,
            std::string("truncated ") + formatName(format) + " file (the image data is incomplete)");

    // Pillow stops reading a PNG after the image data and accepts a file that ends without
    // IEND; OpenCV's reader insists on IEND. Supplying it lets libpng decide, as Pillow's
    // decoder does, whether the image data itself is complete.
    std::vector<std::uint8_t> withEnd;
    Bytes input = bytes;
    if (header.missingPngEnd) {
        static constexpr std::uint8_t iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
        withEnd.reserve(bytes.size() + sizeof iend);
        withEnd.assign(bytes.begin(), bytes.end());
        withEnd.insert(withEnd.end(), std::begin(iend), std::end(iend));
        input = withEnd;
    }

    cv::Mat decoded;
    try {
        // IMREAD_UNCHANGED keeps alpha and 16-bit samples (reduced below the way Pillow
        // reduces them) and is the one mode in which OpenCV does not apply EXIF orientation.
        const cv::Mat buffer(1, static_cast<int>(input.size()), CV_8UC1, const_cast<std::uint8_t *>(input.data()));
        decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception &e) {
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors, "cannot decode image: " + e.err);
    } catch (const std::bad_alloc &) {
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors, "not enough memory to decode the image");
    }
    if (decoded.empty()) {
        throw Error(ErrorCode::ImageDecodeFailed, nameForErrors,
            std::string("not a decodable image (corrupt or truncated ") + formatName(format) + " data)");
    }
    // A header the parsers above could not read to its size (an unusual TIFF) still gets the limit.
    checkSize(static_cast<std::uint64_t>(decoded.cols), static_cast<std::uint64_t>(decoded.rows), nameForErrors);

    RgbImage image = toRgb(decoded, nameForErrors);
    decoded.release();
    if (orientation == ExifOrientation::Apply && header.exifOffset) {
        if (const auto value = tiffTag(bytes.subspan(*header.exifOffset, header.exifSize), 0x0112))
            image = applyOrientation(image, *value);
    }
    return image;
}

RgbImage decodeImageFile(const std::filesystem::path &path, ExifOrientation orientation)
{
    const std::string name = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found)
        throw Error(ErrorCode::FileNotFound, name, "no such file");
    if (ec)
        throw Error(ErrorCode::FileUnreadable, name, "cannot access file: " + ec.message());
    if (std::filesystem::is_directory(status))
        throw Error(ErrorCode::FileUnreadable, name, "is a directory, not an image file");
    requireRegularFile(path, kImageLimit); // a FIFO or /dev/zero: refused before open() blocks or reads for ever

    const std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(name.c_str(), "rb"), &std::fclose);
    if (!file)
        throw Error(ErrorCode::FileUnreadable, name, std::string("cannot open file: ") + std::strerror(errno));
    std::vector<std::byte> bytes;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > static_cast<std::uintmax_t>(INT_MAX))
        throw Error(ErrorCode::UnsupportedImage, name, "file is larger than 2 GiB");
    if (!ec)
        bytes.reserve(static_cast<std::size_t>(size));
    std::vector<std::byte> chunk(std::size_t(1) << 16);
    std::size_t n = 0;
    while ((n = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0)
        bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (std::ferror(file.get()))
        throw Error(ErrorCode::FileUnreadable, name, std::string("cannot read file: ") + std::strerror(errno));
    return decodeImage(bytes, name, orientation);
}

} // namespace lookalike
