// makeThumbnail (see Thumbnail.h).
#include "core/image/Thumbnail.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace lookalike {

Thumbnail makeThumbnail(const std::filesystem::path &image, int maxSide, int quality)
{
    const RgbImage rgb = decodeImageFile(image, ExifOrientation::Apply);
    const double scale = std::min(1.0, static_cast<double>(maxSide) / std::max(rgb.width, rgb.height));
    Thumbnail out;
    out.width = std::max(1, static_cast<int>(std::lround(rgb.width * scale)));
    out.height = std::max(1, static_cast<int>(std::lround(rgb.height * scale)));
    const cv::Mat source(rgb.height, rgb.width, CV_8UC3, const_cast<std::uint8_t *>(rgb.pixels.data()));
    cv::Mat small, bgr;
    cv::resize(source, small, cv::Size(out.width, out.height), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, bgr, cv::COLOR_RGB2BGR);
    try {
        if (!cv::imencode(".jpg", bgr, out.jpeg, {cv::IMWRITE_JPEG_QUALITY, quality}))
            throw Error(ErrorCode::ImageDecodeFailed, image.string(), "cannot encode a thumbnail");
    } catch (const cv::Exception &e) {
        throw Error(ErrorCode::ImageDecodeFailed, image.string(), "cannot encode a thumbnail: " + e.err);
    }
    return out;
}

} // namespace lookalike
