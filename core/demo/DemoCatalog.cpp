// Drawing the demo catalog with OpenCV.
#include "core/demo/DemoCatalog.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/util/Csv.h"
#include "core/util/SeededRandom.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

struct Colour {
    const char *name;
    cv::Scalar bgr;
};

const std::vector<Colour> &colours()
{
    static const std::vector<Colour> all{
        {"red", {40, 40, 205}},
        {"blue", {205, 90, 30}},
        {"green", {60, 165, 45}},
        {"black", {35, 35, 35}},
        {"white", {238, 238, 238}},
        {"yellow", {40, 210, 235}},
        {"pink", {185, 135, 245}},
        {"grey", {130, 130, 130}},
        {"brown", {40, 80, 135}},
        {"navy", {95, 45, 25}},
    };
    return all;
}

const char *const kPatterns[] = {"solid", "stripes", "dots", "checks"};
const char *const kBrands[] = {"Acme", "Nordic", "Urbano", "Kyoto", "Maple", "Vela", "Orla", "Brisk"};

// A uniform double in [0, 1) from the portable generator.
double uniform(SeededRandom &r)
{
    return static_cast<double>(r.next() >> 11) / 9007199254740992.0;
}

cv::Point P(double x, double y)
{
    return {static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))};
}

// The product's silhouette on a 160 x 160 canvas (255 inside), drawn upright and centred.
cv::Mat silhouette(const std::string &type)
{
    cv::Mat m = cv::Mat::zeros(160, 160, CV_8U);
    const cv::Scalar on(255), off(0);
    if (type == "mug") {
        cv::rectangle(m, P(45, 45), P(105, 125), on, cv::FILLED);
        cv::ellipse(m, P(108, 85), cv::Size(22, 24), 0, -90, 90, on, 9);
    } else if (type == "t-shirt") {
        const std::vector<cv::Point> shirt{P(55, 35), P(70, 42), P(90, 42), P(105, 35), P(135, 55), P(122, 72),
            P(110, 65), P(110, 130), P(50, 130), P(50, 65), P(38, 72), P(25, 55)};
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{shirt}, on);
    } else if (type == "sneaker") {
        const std::vector<cv::Point> shoe{
            P(25, 110), P(30, 80), P(60, 75), P(80, 60), P(100, 62), P(110, 85), P(140, 95), P(138, 115), P(25, 118)};
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{shoe}, on);
    } else if (type == "handbag") {
        const std::vector<cv::Point> bag{P(40, 70), P(120, 70), P(132, 130), P(28, 130)};
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{bag}, on);
        cv::ellipse(m, P(80, 70), cv::Size(28, 30), 0, 180, 360, on, 7);
    } else if (type == "phone case") {
        cv::rectangle(m, P(55, 25), P(105, 135), on, cv::FILLED);
        cv::circle(m, P(68, 40), 7, off, cv::FILLED);
    } else if (type == "lamp") {
        const std::vector<cv::Point> shade{P(60, 30), P(100, 30), P(118, 75), P(42, 75)};
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{shade}, on);
        cv::rectangle(m, P(77, 75), P(83, 125), on, cv::FILLED);
        cv::ellipse(m, P(80, 128), cv::Size(28, 8), 0, 0, 360, on, cv::FILLED);
    } else if (type == "bottle") {
        cv::rectangle(m, P(72, 20), P(88, 50), on, cv::FILLED);
        cv::ellipse(m, P(80, 60), cv::Size(24, 14), 0, 180, 360, on, cv::FILLED);
        cv::rectangle(m, P(56, 60), P(104, 138), on, cv::FILLED);
    } else if (type == "chair") {
        cv::rectangle(m, P(50, 25), P(110, 75), on, cv::FILLED);
        cv::rectangle(m, P(45, 80), P(115, 95), on, cv::FILLED);
        for (int x : {50, 108})
            cv::rectangle(m, P(x, 95), P(x + 6, 138), on, cv::FILLED);
    } else if (type == "watch") {
        cv::rectangle(m, P(66, 15), P(94, 145), on, cv::FILLED);
        cv::circle(m, P(80, 80), 30, on, cv::FILLED);
    } else if (type == "hat") {
        cv::ellipse(m, P(80, 105), cv::Size(60, 14), 0, 0, 360, on, cv::FILLED);
        cv::ellipse(m, P(80, 100), cv::Size(35, 45), 0, 180, 360, on, cv::FILLED);
    } else if (type == "backpack") {
        cv::rectangle(m, P(45, 35), P(115, 135), on, cv::FILLED);
        cv::ellipse(m, P(80, 35), cv::Size(35, 15), 0, 180, 360, on, cv::FILLED);
        cv::rectangle(m, P(55, 95), P(105, 125), off, 3);
        cv::ellipse(m, P(80, 30), cv::Size(12, 12), 0, 180, 360, on, 4);
    } else { // sunglasses
        cv::ellipse(m, P(52, 85), cv::Size(24, 18), 0, 0, 360, on, cv::FILLED);
        cv::ellipse(m, P(108, 85), cv::Size(24, 18), 0, 0, 360, on, cv::FILLED);
        cv::line(m, P(74, 80), P(86, 80), on, 5);
        cv::line(m, P(28, 80), P(15, 70), on, 4);
        cv::line(m, P(132, 80), P(145, 70), on, 4);
    }
    return m;
}

// The product's surface: its colour in a pattern (stripes, dots and checks in a lighter or
// darker tone of it).
cv::Mat surface(const cv::Scalar &colour, const std::string &pattern, SeededRandom &r)
{
    cv::Mat s(160, 160, CV_8UC3, colour);
    const double luminance = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2];
    const cv::Scalar other = luminance > 140 ? colour * 0.55 : colour * 0.45 + cv::Scalar(140, 140, 140);
    const int step = 10 + static_cast<int>(r.below(6));
    if (pattern == "stripes") {
        for (int y = 0; y < 160; y += 2 * step)
            cv::rectangle(s, P(0, y), P(159, y + step - 1), other, cv::FILLED);
    } else if (pattern == "dots") {
        for (int y = step / 2; y < 160; y += step + 4)
            for (int x = step / 2; x < 160; x += step + 4)
                cv::circle(s, P(x, y), std::max(2, step / 4), other, cv::FILLED);
    } else if (pattern == "checks") {
        for (int y = 0; y < 160; y += step)
            for (int x = 0; x < 160; x += step)
                if ((x / step + y / step) % 2)
                    cv::rectangle(s, P(x, y), P(x + step - 1, y + step - 1), other, cv::FILLED);
    }
    return s;
}

cv::Mat background(SeededRandom &r)
{
    static const cv::Scalar kinds[] = {{250, 250, 250}, {226, 226, 226}, {215, 232, 243}, {245, 232, 214}};
    const cv::Scalar base = kinds[r.below(4)];
    cv::Mat b(160, 160, CV_8UC3, base);
    // A soft vertical gradient, as a studio light falls off.
    for (int y = 0; y < 160; ++y)
        b.row(y) -= cv::Scalar::all(y * 0.12);
    return b;
}

cv::Mat drawProduct(const std::string &type, const cv::Scalar &colour, const std::string &pattern, int size,
    SeededRandom &r, cv::RNG &noise)
{
    cv::Mat mask = silhouette(type);
    cv::Mat paint = surface(colour, pattern, r);
    // Pose, scale and position vary a little from photo to photo.
    const double angle = (uniform(r) - 0.5) * 24.0, scale = 0.85 + uniform(r) * 0.25;
    cv::Mat warp = cv::getRotationMatrix2D(cv::Point2f(80, 80), angle, scale);
    warp.at<double>(0, 2) += (uniform(r) - 0.5) * 16.0;
    warp.at<double>(1, 2) += (uniform(r) - 0.5) * 16.0;
    cv::warpAffine(mask, mask, warp, mask.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    cv::Mat image = background(r);
    paint.copyTo(image, mask > 127);
    // An outline, darker than the product, so white items stand out from white backgrounds.
    cv::Mat edge;
    cv::morphologyEx(mask > 127, edge, cv::MORPH_GRADIENT, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
    image.setTo(cv::Scalar(colour * 0.5), edge);
    // Lighting and sensor noise.
    image.convertTo(image, CV_8UC3, 0.85 + uniform(r) * 0.3, 0);
    cv::Mat grain(image.size(), CV_16SC3);
    noise.fill(grain, cv::RNG::NORMAL, 0, 4);
    cv::Mat noisy;
    image.convertTo(noisy, CV_16SC3);
    noisy += grain;
    noisy.convertTo(image, CV_8UC3);
    if (size != 160)
        cv::resize(image, image, {size, size}, 0, 0, cv::INTER_AREA);
    return image;
}

std::string titleFor(const std::string &type, const std::string &colour, const std::string &pattern, SeededRandom &r)
{
    std::string noun = type;
    if (uniform(r) < 0.08 && noun.size() > 3) { // a typo: two letters swapped
        const std::size_t at = 1 + r.below(noun.size() - 2);
        std::swap(noun[at], noun[at + 1]);
    }
    std::string title;
    if (uniform(r) < 0.6)
        title += std::string(kBrands[r.below(8)]) + " ";
    title += colour + " ";
    if (pattern != "solid")
        title += (pattern == "stripes" ? "striped" : pattern == "dots" ? "polka dot" : "checked") + std::string(" ");
    title += noun;
    const bool wearable = type == "t-shirt" || type == "sneaker" || type == "hat";
    if (wearable && uniform(r) < 0.6) {
        static const char *const sizes[] = {"size S", "size M", "size L", "XL", "EU 42", "one size"};
        title += std::string(", ") + sizes[r.below(6)];
    }
    const double extra = uniform(r);
    if (extra < 0.15)
        title += " - brand new";
    else if (extra < 0.22)
        title += " NWT";
    else if (extra < 0.28)
        title += " (free shipping!!)";
    else if (extra < 0.31)
        title += " très chic";
    if (uniform(r) < 0.07)
        for (char &c : title)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)) & 0xff);
    return title;
}

} // namespace

const std::vector<std::string> &demoProductTypes()
{
    static const std::vector<std::string> types{"mug", "t-shirt", "sneaker", "handbag", "phone case", "lamp", "bottle",
        "chair", "watch", "hat", "backpack", "sunglasses"};
    return types;
}

const std::vector<std::string> &demoColours()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const Colour &c : colours())
            out.emplace_back(c.name);
        return out;
    }();
    return names;
}

std::vector<DemoItem> writeDemoCatalog(
    const fs::path &folder, const DemoCatalogOptions &options, const std::function<void(int, int)> &progress)
{
    if (options.items < 1 || options.imageSize < 32)
        throw Error(
            ErrorCode::InvalidArgument, folder.string(), "the demo catalog needs at least 1 item of at least 32 px");
    fs::create_directories(folder / "images");
    SeededRandom r(options.seed);
    cv::RNG noise(options.seed);
    std::vector<DemoItem> items;
    items.reserve(static_cast<std::size_t>(options.items));
    const auto &types = demoProductTypes();
    for (int i = 0; i < options.items; ++i) {
        DemoItem item;
        char id[32];
        std::snprintf(id, sizeof id, "D%05d", i);
        item.id = id;
        item.image = fs::path("images") / (item.id + ".png");
        const fs::path file = folder / item.image;
        if (!items.empty() && uniform(r) < 0.03) {
            // The same seller lists the same item again: the same photo, a new id and title.
            const DemoItem &previous = items.back();
            item.type = previous.type;
            item.colour = previous.colour;
            item.pattern = previous.pattern;
            item.seller = previous.seller;
            item.title = titleFor(item.type, item.colour, item.pattern, r);
            fs::copy_file(folder / previous.image, file, fs::copy_options::overwrite_existing);
        } else {
            item.type = types[r.below(types.size())];
            const Colour &colour = colours()[r.below(colours().size())];
            item.colour = colour.name;
            item.pattern = kPatterns[uniform(r) < 0.55 ? 0 : 1 + r.below(3)];
            item.seller = "seller-" + std::to_string(r.below(300));
            item.title = titleFor(item.type, item.colour, item.pattern, r);
            const cv::Mat image = drawProduct(item.type, colour.bgr, item.pattern, options.imageSize, r, noise);
            if (!cv::imwrite(file.string(), image))
                throw Error(ErrorCode::FileUnreadable, file.string(), "cannot write the demo image");
        }
        items.push_back(std::move(item));
        if (progress && (i % 50 == 49 || i + 1 == options.items))
            progress(i + 1, options.items);
    }
    std::ofstream csv(folder / "catalog.csv", std::ios::binary | std::ios::trunc);
    csv << "id,image,title,category,colour,pattern,seller\n";
    for (const DemoItem &item : items)
        csv << item.id << ',' << item.image.generic_string() << ',' << csvField(item.title) << ',' << item.type << ','
            << item.colour << ',' << item.pattern << ',' << item.seller << '\n';
    if (!csv)
        throw Error(ErrorCode::FileUnreadable, (folder / "catalog.csv").string(), "cannot write the demo catalog");
    return items;
}

FloatMatrix handcraftedEmbeddings(const std::vector<fs::path> &images)
{
    constexpr int kH = 8, kS = 6, kV = 3, kGrid = 4;
    constexpr int kDim = kH * kS * kV + kGrid * kGrid;
    FloatMatrix out(static_cast<std::int64_t>(images.size()), kDim);
    for (std::size_t n = 0; n < images.size(); ++n) {
        const RgbImage rgb = decodeImageFile(images[n]);
        cv::Mat image(rgb.height, rgb.width, CV_8UC3, const_cast<std::uint8_t *>(rgb.pixels.data()));
        cv::Mat hsv, gray;
        cv::cvtColor(image, hsv, cv::COLOR_RGB2HSV);
        cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
        // The product: pixels far from the top-left corner's colour (the background).
        const cv::Vec3b corner = image.at<cv::Vec3b>(0, 0);
        float *row = out.row(static_cast<std::int64_t>(n)).data();
        double histogramNorm = 0;
        for (int y = 0; y < image.rows; ++y)
            for (int x = 0; x < image.cols; ++x) {
                const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
                const int distance
                    = std::abs(p[0] - corner[0]) + std::abs(p[1] - corner[1]) + std::abs(p[2] - corner[2]);
                if (distance < 40)
                    continue;
                const cv::Vec3b h = hsv.at<cv::Vec3b>(y, x);
                const int bin = (h[0] * kH / 180) * kS * kV + (h[1] * kS / 256) * kV + (h[2] * kV / 256);
                row[bin] += 1.0f;
            }
        for (int i = 0; i < kH * kS * kV; ++i)
            histogramNorm += double(row[i]) * row[i];
        for (int i = 0; i < kH * kS * kV; ++i)
            row[i] = histogramNorm > 0 ? static_cast<float>(row[i] / std::sqrt(histogramNorm)) : 0.0f;
        cv::Mat grid;
        cv::resize(gray, grid, {kGrid, kGrid}, 0, 0, cv::INTER_AREA);
        double gridNorm = 0;
        for (int i = 0; i < kGrid * kGrid; ++i)
            gridNorm += std::pow(255.0 - grid.data[i], 2);
        for (int i = 0; i < kGrid * kGrid; ++i)
            row[kH * kS * kV + i]
                = gridNorm > 0 ? static_cast<float>((255.0 - grid.data[i]) / std::sqrt(gridNorm)) : 0.0f;
    }
    return out;
}

} // namespace lookalike
