// TorchScriptEncoder: the tiny C++-written CNN against a by-hand forward pass, modules with a
// known linear map, batching, preprocessing (squash and torchvision-style centre crop) against
// an independent computation, the JSON config, and bad modules refused with errors naming the file.
#include "core/Error.h"
#include "core/image/PillowResize.h"
#include "core/model/TorchScriptEncoder.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

// The usual JSON of the test modules: 8 x 8, pixels only rescaled (mean 0, std 1).
const QByteArray kPlainJson = R"({"input_size": 8, "resize": "bilinear", "mean": [0, 0, 0], "std": [1, 1, 1]})";

using testsupport::errorOf;

QString qs(const fs::path &p)
{
    return QString::fromStdString(p.string());
}

void writeBytes(const fs::path &path, const QByteArray &content)
{
    QFile f(qs(path));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(qs(path)));
}

// A folder of its own per module, so that a module and its JSON never meet another test's.
fs::path freshDir(const QString &name)
{
    return testsupport::scratchDir(name).toStdString();
}

// A module with the given forward (and parameters) and a JSON beside it.
fs::path writeModule(const QString &name, const std::string &source, const QByteArray &json = kPlainJson,
    const std::vector<TorchScriptParameter> &parameters = {})
{
    const fs::path module = freshDir(name) / "encoder.pt";
    writeTorchScriptModule(module, parameters, source);
    writeBytes(fs::path(module).replace_extension(".json"), json);
    return module;
}

// Deterministic pixels with structure in x, y and channel, so that crops and resizes show.
RgbImage patternImage(int width, int height, int salt)
{
    RgbImage img(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c)
                img.pixels[static_cast<std::size_t>((y * width + x) * 3 + c)]
                    = static_cast<std::uint8_t>((x * 37 + y * 91 + c * 53 + salt * 17 + x * y * 7) % 256);
    return img;
}

std::vector<float> preprocessed(const TorchScriptEncoder &encoder, const RgbImage &image)
{
    std::vector<float> out(encoder.pixelValueCount());
    encoder.preprocess(image, out);
    return out;
}

std::vector<float> rowOf(const FloatMatrix &m, std::int64_t r)
{
    return {m.row(r).begin(), m.row(r).end()};
}

double maxAbsDiff(const std::vector<float> &a, const std::vector<double> &b)
{
    if (a.size() != b.size())
        return std::numeric_limits<double>::infinity();
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(double(a[i]) - b[i]));
    return m;
}

// writeTinyTorchScriptEncoder's network in plain double arithmetic: conv 3x3, stride 2,
// padding 1, ReLU, mean over the map, linear.
std::vector<double> tinyForwardByHand(const std::vector<TorchScriptParameter> &p, const float *x, int size)
{
    const auto &convW = p.at(0).values, &convB = p.at(1).values, &fcW = p.at(2).values, &fcB = p.at(3).values;
    const int channels = static_cast<int>(convB.size()), dim = static_cast<int>(fcB.size());
    const int outSize = (size + 2 - 3) / 2 + 1;
    std::vector<double> pooled(static_cast<std::size_t>(channels));
    for (int oc = 0; oc < channels; ++oc) {
        double total = 0;
        for (int oy = 0; oy < outSize; ++oy) {
            for (int ox = 0; ox < outSize; ++ox) {
                double s = convB[static_cast<std::size_t>(oc)];
                for (int ic = 0; ic < 3; ++ic)
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx) {
                            const int iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
                            if (iy < 0 || ix < 0 || iy >= size || ix >= size)
                                continue;
                            s += double(convW[static_cast<std::size_t>(((oc * 3 + ic) * 3 + ky) * 3 + kx)])
                                * x[(ic * size + iy) * size + ix];
                        }
                total += std::max(0.0, s);
            }
        }
        pooled[static_cast<std::size_t>(oc)] = total / (outSize * outSize);
    }
    std::vector<double> y(static_cast<std::size_t>(dim));
    for (int d = 0; d < dim; ++d) {
        double s = fcB[static_cast<std::size_t>(d)];
        for (int c = 0; c < channels; ++c)
            s += double(fcW[static_cast<std::size_t>(d * channels + c)]) * pooled[static_cast<std::size_t>(c)];
        y[static_cast<std::size_t>(d)] = s;
    }
    return y;
}

// Every error of a bad module or config must start with the file it is about.
void verifyNamesFile(const Error &e, const fs::path &file)
{
    const QString what = QString::fromUtf8(e.what());
    QCOMPARE(QString::fromStdString(e.file()), qs(file));
    QVERIFY2(what.startsWith(qs(file) + QStringLiteral(": ")), qPrintable(what));
    QVERIFY2(!what.contains(QLatin1Char('\n')), qPrintable(what));
}

} // namespace

class TestTorchScriptEncoder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tinyEncoderLoads_data();
    void tinyEncoderLoads();
    void tinyEncoderMatchesHandComputedForward();
    void knownLinearMapMatchesHandComputation();
    void fourDimensionalAndDoubleOutputsAreAccepted_data();
    void fourDimensionalAndDoubleOutputsAreAccepted();
    void batchEqualsOneAtATime();
    void seedsAreDeterministicAndDistinct();
    void inputIsNotModifiedByInPlaceModules();
    void encodeChecksItsInput();
    void preprocessingMatchesIndependentComputation_data();
    void preprocessingMatchesIndependentComputation();
    void preprocessingIsThreadSafe();
    void preprocessChecksItsInput();
    void configParsing_data();
    void configParsing();
    void configRoundTripsThroughJson();
    void malformedConfigNamesFileAndKey_data();
    void malformedConfigNamesFileAndKey();
    void missingConfigNamesTheExpectedJson();
    void explicitConfigPathIsUsed();
    void badModuleFilesAreRefused_data();
    void badModuleFilesAreRefused();
    void wrongOutputsAreRefused_data();
    void wrongOutputsAreRefused();
    void moduleFailuresNameTheModule();
};

void TestTorchScriptEncoder::tinyEncoderLoads_data()
{
    QTest::addColumn<int>("dimension");
    QTest::addColumn<int>("size");
    QTest::newRow("16 dims at 32x32") << 16 << 32;
    QTest::newRow("one dim at 8x8") << 1 << 8;
    QTest::newRow("64 dims at odd 17x17") << 64 << 17;
    QTest::newRow("3 dims at 1x1") << 3 << 1;
}

void TestTorchScriptEncoder::tinyEncoderLoads()
{
    QFETCH(int, dimension);
    QFETCH(int, size);
    const fs::path module = freshDir(QStringLiteral("tiny")) / "tiny.pt";
    writeTinyTorchScriptEncoder(module, dimension, size, 1);
    QVERIFY(fs::exists(fs::path(module).replace_extension(".json")));

    const auto encoder = TorchScriptEncoder::load(module);
    QCOMPARE(encoder->dimension(), dimension);
    QCOMPARE(encoder->pixelValueCount(), std::size_t(3 * size * size));
    const TorchScriptEncoderConfig &c = encoder->config();
    QCOMPARE(c.height, size);
    QCOMPARE(c.width, size);
    QCOMPARE(c.filter, PillowFilter::Bicubic);
    QCOMPARE(c.resizeMode, TorchScriptEncoderConfig::ResizeMode::Squash);
    QCOMPARE(c.mean, (std::array<double, 3>{0.5, 0.5, 0.5}));
    QCOMPARE(c.std, (std::array<double, 3>{0.5, 0.5, 0.5}));

    std::vector<float> pixels = preprocessed(*encoder, patternImage(40, 30, 0));
    const auto second = preprocessed(*encoder, patternImage(25, 41, 1));
    pixels.insert(pixels.end(), second.begin(), second.end());
    const FloatMatrix emb = encoder->encode(pixels, 2);
    QCOMPARE(emb.rows, 2);
    QCOMPARE(emb.cols, dimension);
    for (float v : emb.data)
        QVERIFY(std::isfinite(v));
}

void TestTorchScriptEncoder::tinyEncoderMatchesHandComputedForward()
{
    constexpr int kDim = 5, kSize = 9;
    constexpr std::uint64_t kSeed = 7;
    const fs::path module = freshDir(QStringLiteral("byhand")) / "cnn.pt";
    writeTinyTorchScriptEncoder(module, kDim, kSize, kSeed);
    const auto encoder = TorchScriptEncoder::load(module);
    const auto params = tinyTorchScriptEncoderParameters(kDim, kSeed);
    QCOMPARE(params.size(), std::size_t(4));
    QCOMPARE(params[0].shape, (std::vector<std::int64_t>{8, 3, 3, 3}));
    QCOMPARE(params[2].shape, (std::vector<std::int64_t>{kDim, 8}));

    std::vector<float> pixels;
    for (int i = 0; i < 3; ++i) {
        const auto p = preprocessed(*encoder, patternImage(10 + 7 * i, 13 - i, i));
        pixels.insert(pixels.end(), p.begin(), p.end());
    }
    const FloatMatrix emb = encoder->encode(pixels, 3);
    const std::size_t per = encoder->pixelValueCount();
    double largest = 0;
    for (int i = 0; i < 3; ++i) {
        const auto expected = tinyForwardByHand(params, pixels.data() + i * per, kSize);
        const double diff = maxAbsDiff(rowOf(emb, i), expected);
        QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("image %1: max diff %2").arg(i).arg(diff)));
        for (double v : expected)
            largest = std::max(largest, std::abs(v));
    }
    QVERIFY2(largest > 0.05, "the reference is too close to zero to tell anything");
}

void TestTorchScriptEncoder::knownLinearMapMatchesHandComputation()
{
    // y = flatten(x) W + b with W a 192 x 4 pattern: checks the N x 3 x H x W layout end to end.
    constexpr int kDim = 4, kInputs = 3 * 8 * 8;
    TorchScriptParameter w{"w", {kInputs, kDim}, {}}, b{"b", {kDim}, {0.5f, -1.0f, 0.25f, 2.0f}};
    for (int i = 0; i < kInputs; ++i)
        for (int d = 0; d < kDim; ++d)
            w.values.push_back(float((i * 7 + d * 3) % 11 - 5) * 0.125f);
    const fs::path module = writeModule(QStringLiteral("linear"), R"JIT(
def forward(self, x):
    return torch.matmul(x.flatten(1), self.w) + self.b
)JIT",
        kPlainJson, {w, b});
    const auto encoder = TorchScriptEncoder::load(module);
    QCOMPARE(encoder->dimension(), kDim);

    std::vector<float> pixels;
    for (int i = 0; i < 2; ++i) {
        const auto p = preprocessed(*encoder, patternImage(8, 8, i)); // no resize: 8x8 already
        pixels.insert(pixels.end(), p.begin(), p.end());
    }
    const FloatMatrix emb = encoder->encode(pixels, 2);
    for (int n = 0; n < 2; ++n) {
        std::vector<double> expected(kDim);
        for (int d = 0; d < kDim; ++d) {
            double s = b.values[static_cast<std::size_t>(d)];
            for (int i = 0; i < kInputs; ++i)
                s += double(pixels[static_cast<std::size_t>(n * kInputs + i)])
                    * w.values[static_cast<std::size_t>(i * kDim + d)];
            expected[static_cast<std::size_t>(d)] = s;
        }
        const double diff = maxAbsDiff(rowOf(emb, n), expected);
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("image %1: max diff %2").arg(n).arg(diff)));
    }
}

void TestTorchScriptEncoder::fourDimensionalAndDoubleOutputsAreAccepted_data()
{
    QTest::addColumn<QByteArray>("source");
    QTest::newRow("N x D") << QByteArray("def forward(self, x):\n    return x.mean([2, 3])\n");
    QTest::newRow("N x D x 1 x 1 (adaptive pool, no flatten)")
        << QByteArray("def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [1, 1])\n");
    QTest::newRow("float64 output") << QByteArray("def forward(self, x):\n    return x.double().mean([2, 3])\n");
}

void TestTorchScriptEncoder::fourDimensionalAndDoubleOutputsAreAccepted()
{
    QFETCH(QByteArray, source);
    const auto encoder = TorchScriptEncoder::load(writeModule(QStringLiteral("forms"), source.toStdString()));
    QCOMPARE(encoder->dimension(), 3);
    const auto pixels = preprocessed(*encoder, patternImage(8, 8, 3));
    const FloatMatrix emb = encoder->encode(pixels, 1);
    QCOMPARE(emb.rows, 1);
    QCOMPARE(emb.cols, 3);
    // Each output is the mean of one channel plane.
    std::vector<double> expected(3);
    for (std::size_t c = 0; c < 3; ++c) {
        for (std::size_t i = 0; i < 64; ++i)
            expected[c] += pixels[c * 64 + i];
        expected[c] /= 64;
    }
    QVERIFY(maxAbsDiff(rowOf(emb, 0), expected) < 1e-6);
}

void TestTorchScriptEncoder::batchEqualsOneAtATime()
{
    const fs::path module = freshDir(QStringLiteral("batch")) / "tiny.pt";
    writeTinyTorchScriptEncoder(module, 24, 32, 3);
    const auto encoder = TorchScriptEncoder::load(module);
    std::vector<float> pixels;
    std::vector<std::vector<float>> single;
    for (int i = 0; i < 5; ++i) {
        const auto p = preprocessed(*encoder, patternImage(20 + 9 * i, 50 - 4 * i, i));
        pixels.insert(pixels.end(), p.begin(), p.end());
        single.push_back(rowOf(encoder->encode(p, 1), 0));
    }
    const FloatMatrix batch = encoder->encode(pixels, 5);
    QCOMPARE(batch.rows, 5);
    for (int i = 0; i < 5; ++i) {
        const double diff = testsupport::maxAbsDiff(rowOf(batch, i), single[static_cast<std::size_t>(i)]);
        QVERIFY2(diff < 1e-6, qPrintable(QStringLiteral("image %1: max diff %2").arg(i).arg(diff)));
    }
    // Different images give different embeddings (the comparison above is not vacuous).
    QVERIFY(testsupport::maxAbsDiff(single[0], single[1]) > 1e-4);
}

void TestTorchScriptEncoder::seedsAreDeterministicAndDistinct()
{
    const fs::path dir = freshDir(QStringLiteral("seeds"));
    writeTinyTorchScriptEncoder(dir / "a.pt", 16, 16, 42);
    writeTinyTorchScriptEncoder(dir / "b.pt", 16, 16, 42);
    writeTinyTorchScriptEncoder(dir / "c.pt", 16, 16, 43);
    const auto a = TorchScriptEncoder::load(dir / "a.pt");
    const auto aAgain = TorchScriptEncoder::load(dir / "a.pt");
    const auto b = TorchScriptEncoder::load(dir / "b.pt");
    const auto c = TorchScriptEncoder::load(dir / "c.pt");
    const auto pixels = preprocessed(*a, patternImage(33, 21, 5));
    const auto ea = rowOf(a->encode(pixels, 1), 0);
    QCOMPARE(rowOf(aAgain->encode(pixels, 1), 0), ea); // two loads of one file
    QCOMPARE(rowOf(b->encode(pixels, 1), 0), ea); // two files from one seed
    QVERIFY(testsupport::maxAbsDiff(rowOf(c->encode(pixels, 1), 0), ea) > 1e-3);

    const auto pa = tinyTorchScriptEncoderParameters(16, 42), pc = tinyTorchScriptEncoderParameters(16, 43);
    QCOMPARE(pa[0].values, tinyTorchScriptEncoderParameters(16, 42)[0].values);
    QVERIFY(pa[0].values != pc[0].values);
    // PyTorch's default initialisation range, 1/sqrt(fan_in): 27 for the conv, 8 for the linear.
    for (float v : pa[0].values)
        QVERIFY(std::abs(v) <= 1 / std::sqrt(27.0f));
    for (float v : pa[2].values)
        QVERIFY(std::abs(v) <= 1 / std::sqrt(8.0f));
}

void TestTorchScriptEncoder::inputIsNotModifiedByInPlaceModules()
{
    const auto encoder = TorchScriptEncoder::load(writeModule(QStringLiteral("inplace"), R"JIT(
def forward(self, x):
    x.mul_(2.0)
    return x.mean([2, 3])
)JIT"));
    const auto pixels = preprocessed(*encoder, patternImage(8, 8, 1));
    const auto copy = pixels;
    const FloatMatrix first = encoder->encode(pixels, 1);
    QCOMPARE(pixels, copy);
    QCOMPARE(rowOf(encoder->encode(pixels, 1), 0), rowOf(first, 0));
}

void TestTorchScriptEncoder::encodeChecksItsInput()
{
    const fs::path module = freshDir(QStringLiteral("input")) / "tiny.pt";
    writeTinyTorchScriptEncoder(module, 6, 8, 1);
    const auto encoder = TorchScriptEncoder::load(module);
    const FloatMatrix none = encoder->encode({}, 0);
    QCOMPARE(none.rows, 0);
    QCOMPARE(none.cols, 6);
    const std::vector<float> pixels(encoder->pixelValueCount() * 2);
    for (std::int64_t count : {std::int64_t(1), std::int64_t(3), std::int64_t(-1)}) {
        const auto e = errorOf([&] { encoder->encode(pixels, count); });
        QVERIFY(e);
        QCOMPARE(e->code(), ErrorCode::InvalidArgument);
    }
}

void TestTorchScriptEncoder::preprocessingMatchesIndependentComputation_data()
{
    // The expected resize and crop are worked out by hand from torchvision 0.14
    // (_compute_resized_output_size: int(S * long / short); center_crop: int(round(d / 2.0))).
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("imageWidth");
    QTest::addColumn<int>("imageHeight");
    QTest::addColumn<int>("resizedWidth");
    QTest::addColumn<int>("resizedHeight");
    QTest::addColumn<int>("left");
    QTest::addColumn<int>("top");

    const QByteArray squash
        = R"({"input_size": 8, "resize": "bicubic", "mean": [0.1, 0.5, 0.9], "std": [0.2, 0.3, 0.7]})";
    QTest::newRow("squash bicubic 13x7 to 8x8") << squash << 13 << 7 << 8 << 8 << 0 << 0;
    QTest::newRow("squash upscales 3x5 to 8x8") << squash << 3 << 5 << 8 << 8 << 0 << 0;
    QTest::newRow("squash bilinear 30x20 to [6, 10], default ImageNet mean/std")
        << QByteArray(R"({"input_size": [6, 10], "resize": "bilinear"})") << 30 << 20 << 10 << 6 << 0 << 0;
    QTest::newRow("squash lanczos, rescale_factor 1/127.5")
        << QByteArray(R"({"input_size": 8, "resize": "lanczos", "rescale_factor": 0.00784313725490196})") << 21 << 9
        << 8 << 8 << 0 << 0;

    auto crop = [](const char *filter, const char *size) {
        return QByteArray(R"({"resize_mode": "shorter_side_center_crop", "resize": ")") + filter
            + R"(", "input_size": )" + size + "}";
    };
    QTest::newRow("crop landscape 20x11: width int(8*20/11)=14, left 3")
        << crop("bicubic", "8") << 20 << 11 << 14 << 8 << 3 << 0;
    QTest::newRow("crop portrait 11x20: height 14, top 3") << crop("bilinear", "8") << 11 << 20 << 8 << 14 << 0 << 3;
    QTest::newRow("crop offset 4.5 rounds down to even 4") << crop("bicubic", "8") << 17 << 8 << 17 << 8 << 4 << 0;
    QTest::newRow("crop offset 5.5 rounds up to even 6") << crop("box", "8") << 19 << 8 << 19 << 8 << 6 << 0;
    QTest::newRow("crop square image is a plain resize") << crop("hamming", "8") << 30 << 30 << 8 << 8 << 0 << 0;
    QTest::newRow("crop exact size is untouched") << crop("nearest", "8") << 8 << 8 << 8 << 8 << 0 << 0;
    QTest::newRow("crop upscales a small 5x3 image: width int(8*5/3)=13, left round(2.5)=2")
        << crop("bicubic", "8") << 5 << 3 << 13 << 8 << 2 << 0;
    QTest::newRow("crop [6, 10] from tall 12x30: height int(10*30/12)=25, top round(9.5)=10")
        << crop("bilinear", "[6, 10]") << 12 << 30 << 10 << 25 << 0 << 10;
    QTest::newRow("crop [6, 10] from wide 40x9: width int(6*40/9)=26, left 8")
        << crop("bicubic", "[6, 10]") << 40 << 9 << 26 << 6 << 8 << 0;
}

void TestTorchScriptEncoder::preprocessingMatchesIndependentComputation()
{
    QFETCH(QByteArray, json);
    QFETCH(int, imageWidth);
    QFETCH(int, imageHeight);
    QFETCH(int, resizedWidth);
    QFETCH(int, resizedHeight);
    QFETCH(int, left);
    QFETCH(int, top);
    const auto encoder = TorchScriptEncoder::load(
        writeModule(QStringLiteral("prep"), "def forward(self, x):\n    return x.mean([2, 3])\n", json));
    const TorchScriptEncoderConfig &c = encoder->config();
    const RgbImage image = patternImage(imageWidth, imageHeight, 2);

    // torchvision's ToTensor + Normalize in HF's dtypes: u8 * factor in double, cast to
    // float, then (x - mean) / std in float.
    const RgbImage resized = pillowResize(image, resizedWidth, resizedHeight, c.filter);
    std::vector<float> expected(3u * std::size_t(c.height) * std::size_t(c.width));
    for (int ch = 0; ch < 3; ++ch)
        for (int y = 0; y < c.height; ++y)
            for (int x = 0; x < c.width; ++x) {
                const std::uint8_t v
                    = resized.pixels[static_cast<std::size_t>(((y + top) * resizedWidth + (x + left)) * 3 + ch)];
                const float scaled = static_cast<float>(double(v) * c.rescaleFactor);
                expected[static_cast<std::size_t>((ch * c.height + y) * c.width + x)]
                    = (scaled - static_cast<float>(c.mean[std::size_t(ch)]))
                    / static_cast<float>(c.std[std::size_t(ch)]);
            }
    const auto actual = preprocessed(*encoder, image);
    QCOMPARE(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i)
        QVERIFY2(actual[i] == expected[i],
            qPrintable(QStringLiteral("value %1: %2 != %3").arg(i).arg(actual[i]).arg(expected[i])));
}

void TestTorchScriptEncoder::preprocessingIsThreadSafe()
{
    const auto encoder = TorchScriptEncoder::load(
        writeModule(QStringLiteral("threads"), "def forward(self, x):\n    return x.mean([2, 3])\n",
            R"({"input_size": 48, "resize_mode": "shorter_side_center_crop", "resize": "lanczos"})"));
    std::vector<RgbImage> images;
    std::vector<std::vector<float>> expected;
    for (int i = 0; i < 4; ++i) {
        images.push_back(patternImage(97 + 13 * i, 61 + 29 * i, i));
        expected.push_back(preprocessed(*encoder, images.back()));
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round) {
                const std::size_t i = static_cast<std::size_t>((t + round) % 4);
                if (preprocessed(*encoder, images[i]) != expected[i])
                    ++mismatches;
            }
        });
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(mismatches.load(), 0);
}

void TestTorchScriptEncoder::preprocessChecksItsInput()
{
    const auto encoder = TorchScriptEncoder::load(
        writeModule(QStringLiteral("prepcheck"), "def forward(self, x):\n    return x.mean([2, 3])\n"));
    std::vector<float> wrong(encoder->pixelValueCount() + 1);
    auto e = errorOf([&] { encoder->preprocess(patternImage(4, 4, 0), wrong); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::InvalidArgument);
    std::vector<float> right(encoder->pixelValueCount());
    e = errorOf([&] { encoder->preprocess(RgbImage(), right); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::InvalidArgument);
}

void TestTorchScriptEncoder::configParsing_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("filter");
    QTest::addColumn<bool>("crop");
    QTest::addColumn<double>("mean0");
    QTest::addColumn<double>("std2");
    QTest::addColumn<double>("rescale");

    QTest::newRow("empty object gives the defaults (224, bicubic, squash, ImageNet, 1/255)")
        << QByteArray("{}") << 224 << 224 << int(PillowFilter::Bicubic) << false << 0.485 << 0.225 << 1 / 255.0;
    QTest::newRow("explicit everything") << QByteArray(
        R"({"input_size": 160, "resize": "lanczos", "resize_mode": "shorter_side_center_crop",
                         "mean": [0.25, 0.5, 0.75], "std": [1, 2, 3], "rescale_factor": 0.5})")
                                         << 160 << 160 << int(PillowFilter::Lanczos) << true << 0.25 << 3.0 << 0.5;
    QTest::newRow("input_size [height, width]") << QByteArray(R"({"input_size": [96, 128]})") << 96 << 128
                                                << int(PillowFilter::Bicubic) << false << 0.485 << 0.225 << 1 / 255.0;
    QTest::newRow("input_size 224.0 is an integer")
        << QByteArray(R"({"input_size": 224.0, "resize": "nearest"})") << 224 << 224 << int(PillowFilter::Nearest)
        << false << 0.485 << 0.225 << 1 / 255.0;
    QTest::newRow("unknown keys are ignored (e.g. a note from the exporter)")
        << QByteArray(R"({"exported_by": "torch 2.1", "resize": "box", "resize_mode": "squash"})") << 224 << 224
        << int(PillowFilter::Box) << false << 0.485 << 0.225 << 1 / 255.0;
    QTest::newRow("hamming and bilinear names") << QByteArray(R"({"resize": "hamming"})") << 224 << 224
                                                << int(PillowFilter::Hamming) << false << 0.485 << 0.225 << 1 / 255.0;
}

void TestTorchScriptEncoder::configParsing()
{
    QFETCH(QByteArray, json);
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, filter);
    QFETCH(bool, crop);
    QFETCH(double, mean0);
    QFETCH(double, std2);
    QFETCH(double, rescale);
    const QString path = testsupport::writeScratchFile(QStringLiteral("config.json"), json);
    const auto c = TorchScriptEncoderConfig::fromFile(path.toStdString());
    QCOMPARE(c.height, height);
    QCOMPARE(c.width, width);
    QCOMPARE(int(c.filter), filter);
    QCOMPARE(c.resizeMode == TorchScriptEncoderConfig::ResizeMode::ShorterSideCenterCrop, crop);
    QCOMPARE(c.mean[0], mean0);
    QCOMPARE(c.std[2], std2);
    QCOMPARE(c.rescaleFactor, rescale);
}

void TestTorchScriptEncoder::configRoundTripsThroughJson()
{
    TorchScriptEncoderConfig c;
    c.height = 96;
    c.width = 128;
    c.filter = PillowFilter::Hamming;
    c.resizeMode = TorchScriptEncoderConfig::ResizeMode::ShorterSideCenterCrop;
    c.mean = {0.1, 0.2, 0.30000000000000004};
    c.std = {0.4, 0.5, 0.6};
    c.rescaleFactor = 1 / 127.5;
    const QString path
        = testsupport::writeScratchFile(QStringLiteral("roundtrip.json"), QByteArray::fromStdString(c.toJson()));
    const auto back = TorchScriptEncoderConfig::fromFile(path.toStdString());
    QCOMPARE(back.height, 96);
    QCOMPARE(back.width, 128);
    QCOMPARE(back.filter, PillowFilter::Hamming);
    QCOMPARE(back.resizeMode, c.resizeMode);
    QCOMPARE(back.mean, c.mean); // exact: doubles round-trip
    QCOMPARE(back.std, c.std);
    QCOMPARE(back.rescaleFactor, c.rescaleFactor);
    QVERIFY(QByteArray::fromStdString(c.toJson()).contains("\"shorter_side_center_crop\""));
}

void TestTorchScriptEncoder::malformedConfigNamesFileAndKey_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("key");
    const int malformed = int(ErrorCode::MalformedConfig), invalid = int(ErrorCode::InvalidConfig);
    QTest::newRow("not JSON") << QByteArray("{\"input_size\": 224,") << malformed << QString();
    QTest::newRow("top level is an array") << QByteArray("[224]") << malformed << QString();
    QTest::newRow("input_size is a string")
        << QByteArray(R"({"input_size": "224"})") << malformed << QStringLiteral("input_size");
    QTest::newRow("input_size is zero") << QByteArray(R"({"input_size": 0})") << invalid
                                        << QStringLiteral("input_size");
    QTest::newRow("input_size is fractional")
        << QByteArray(R"({"input_size": 22.5})") << malformed << QStringLiteral("input_size");
    QTest::newRow("input_size has three values")
        << QByteArray(R"({"input_size": [3, 224, 224]})") << invalid << QStringLiteral("input_size");
    QTest::newRow("input_size width negative")
        << QByteArray(R"({"input_size": [224, -1]})") << invalid << QStringLiteral("input_size[1]");
    QTest::newRow("input_size is null") << QByteArray(R"({"input_size": null})") << malformed
                                        << QStringLiteral("input_size");
    QTest::newRow("unknown filter") << QByteArray(R"({"resize": "area"})") << invalid << QStringLiteral("resize");
    QTest::newRow("filter given as Pillow's number")
        << QByteArray(R"({"resize": 3})") << malformed << QStringLiteral("resize");
    QTest::newRow("unknown resize_mode") << QByteArray(R"({"resize_mode": "letterbox"})") << invalid
                                         << QStringLiteral("resize_mode");
    QTest::newRow("mean has two values") << QByteArray(R"({"mean": [0.5, 0.5]})") << invalid << QStringLiteral("mean");
    QTest::newRow("mean is one number") << QByteArray(R"({"mean": 0.5})") << malformed << QStringLiteral("mean");
    QTest::newRow("mean element is a string")
        << QByteArray(R"({"mean": [0.5, "0.5", 0.5]})") << malformed << QStringLiteral("mean[1]");
    QTest::newRow("std is zero") << QByteArray(R"({"std": [0.5, 0, 0.5]})") << invalid << QStringLiteral("std[1]");
    QTest::newRow("std underflows float")
        << QByteArray(R"({"std": [1e-50, 1, 1]})") << invalid << QStringLiteral("std[0]");
    QTest::newRow("rescale_factor negative")
        << QByteArray(R"({"rescale_factor": -0.5})") << invalid << QStringLiteral("rescale_factor");
    QTest::newRow("rescale_factor is a string")
        << QByteArray(R"({"rescale_factor": "1/255"})") << malformed << QStringLiteral("rescale_factor");
}

void TestTorchScriptEncoder::malformedConfigNamesFileAndKey()
{
    QFETCH(QByteArray, json);
    QFETCH(int, code);
    QFETCH(QString, key);
    const QString path = testsupport::writeScratchFile(QStringLiteral("bad.json"), json);
    const auto e = errorOf([&] { TorchScriptEncoderConfig::fromFile(path.toStdString()); });
    QVERIFY(e);
    QCOMPARE(errorCodeName(e->code()), errorCodeName(ErrorCode(code)));
    verifyNamesFile(*e, path.toStdString());
    QCOMPARE(QString::fromStdString(e->subject()), key);
}

void TestTorchScriptEncoder::missingConfigNamesTheExpectedJson()
{
    const fs::path dir = freshDir(QStringLiteral("nojson"));
    writeTinyTorchScriptEncoder(dir / "resnet.v2.pt", 4, 8, 1);
    QVERIFY(fs::remove(dir / "resnet.v2.json")); // the extension is replaced, not appended
    const auto e = errorOf([&] { TorchScriptEncoder::load(dir / "resnet.v2.pt"); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::MissingConfig);
    verifyNamesFile(*e, dir / "resnet.v2.json");
    QVERIFY2(QString::fromUtf8(e->what()).contains(qs(dir / "resnet.v2.pt")), e->what()); // and whose JSON
}

void TestTorchScriptEncoder::explicitConfigPathIsUsed()
{
    const fs::path dir = freshDir(QStringLiteral("explicit"));
    writeTinyTorchScriptEncoder(dir / "m.pt", 4, 8, 1);
    writeBytes(dir / "other.json", R"({"input_size": [12, 20], "resize_mode": "shorter_side_center_crop"})");
    const auto encoder = TorchScriptEncoder::load(dir / "m.pt", dir / "other.json");
    QCOMPARE(encoder->config().height, 12);
    QCOMPARE(encoder->config().width, 20);
    QCOMPARE(encoder->pixelValueCount(), std::size_t(3 * 12 * 20));
    QCOMPARE(encoder->dimension(), 4);
    // A missing explicit JSON is named as given.
    const auto e = errorOf([&] { TorchScriptEncoder::load(dir / "m.pt", dir / "absent.json"); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::MissingConfig);
    verifyNamesFile(*e, dir / "absent.json");
}

void TestTorchScriptEncoder::badModuleFilesAreRefused_data()
{
    QTest::addColumn<QString>("module");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");

    auto withJson = [](const QString &name, const QByteArray &content) {
        const fs::path module = freshDir(name) / "encoder.pt";
        writeBytes(module, content);
        writeBytes(fs::path(module).replace_extension(".json"), kPlainJson);
        return qs(module);
    };
    const fs::path goodDir = freshDir(QStringLiteral("good"));
    writeTinyTorchScriptEncoder(goodDir / "good.pt", 4, 8, 1);
    const QByteArray archive = testsupport::readFileBytes(qs(goodDir / "good.pt"));
    QByteArray noise(4096, '\0');
    for (int i = 0; i < noise.size(); ++i)
        noise[i] = char((i * 2654435761u) >> 13);

    QTest::newRow("missing file") << qs(freshDir(QStringLiteral("missing")) / "absent.pt")
                                  << int(ErrorCode::FileNotFound) << QStringLiteral("not found");
    QTest::newRow("random bytes") << withJson(QStringLiteral("noise"), noise) << int(ErrorCode::MalformedHeader)
                                  << QStringLiteral("not a TorchScript archive");
    QTest::newRow("empty file") << withJson(QStringLiteral("empty"), QByteArray()) << int(ErrorCode::MalformedHeader)
                                << QStringLiteral("not a TorchScript archive");
    QTest::newRow("truncated archive (first half)")
        << withJson(QStringLiteral("half"), archive.left(archive.size() / 2)) << int(ErrorCode::MalformedHeader)
        << QStringLiteral("not a TorchScript archive");
    QTest::newRow("archive missing its last bytes")
        << withJson(QStringLiteral("tail"), archive.left(archive.size() - 10)) << int(ErrorCode::MalformedHeader)
        << QStringLiteral("not a TorchScript archive");
    QTest::newRow("JSON where the module should be")
        << withJson(QStringLiteral("jsonmodule"), kPlainJson) << int(ErrorCode::MalformedHeader)
        << QStringLiteral("not a TorchScript archive");
    const fs::path dirModule = freshDir(QStringLiteral("dirmodule")) / "encoder.pt";
    fs::create_directory(dirModule);
    QTest::newRow("a directory") << qs(dirModule) << int(ErrorCode::FileUnreadable)
                                 << QStringLiteral("not a regular file");
}

void TestTorchScriptEncoder::badModuleFilesAreRefused()
{
    QFETCH(QString, module);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    const auto e = errorOf([&] { TorchScriptEncoder::load(module.toStdString()); });
    QVERIFY(e);
    QCOMPARE(errorCodeName(e->code()), errorCodeName(ErrorCode(code)));
    verifyNamesFile(*e, module.toStdString());
    QVERIFY2(QString::fromUtf8(e->what()).contains(mentions), e->what());
}

void TestTorchScriptEncoder::wrongOutputsAreRefused_data()
{
    QTest::addColumn<QByteArray>("source");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");
    const int wrongShape = int(ErrorCode::WrongShape);
    auto forward = [](const char *body) { return QByteArray("def forward(self, x):\n    return ") + body + "\n"; };
    QTest::newRow("rank 1: one number per image") << forward("x.sum([1, 2, 3])") << wrongShape << QStringLiteral("[1]");
    QTest::newRow("rank 4 feature map, not pooled") << forward("x") << wrongShape << QStringLiteral("[1, 3, 8, 8]");
    QTest::newRow("rank 3") << forward("x.mean(3)") << wrongShape << QStringLiteral("[1, 3, 8]");
    QTest::newRow("N x D x 2 x 1") << forward("x[:, :, 0:2, 0:1]") << wrongShape << QStringLiteral("[1, 3, 2, 1]");
    QTest::newRow("zero width") << forward("x.mean([2, 3])[:, 0:0]") << wrongShape << QStringLiteral("[1, 0]");
    QTest::newRow("batch dimension lost") << forward("x.mean([0, 2, 3])") << wrongShape << QStringLiteral("[3]");
    QTest::newRow("a tuple") << forward("(x.mean([2, 3]), x)") << wrongShape << QStringLiteral("Tuple");
    QTest::newRow("integer output") << forward("x.mean([2, 3]).long()") << int(ErrorCode::UnsupportedDtype)
                                    << QStringLiteral("Long");
    QTest::newRow("input size the module cannot take")
        << forward("torch.matmul(x.flatten(1), torch.zeros([10, 4]))") << int(ErrorCode::Unsupported)
        << QStringLiteral("zero batch of shape [1, 3, 8, 8]");
}

void TestTorchScriptEncoder::wrongOutputsAreRefused()
{
    QFETCH(QByteArray, source);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    const fs::path module = writeModule(QStringLiteral("shape"), source.toStdString());
    const auto e = errorOf([&] { TorchScriptEncoder::load(module); });
    QVERIFY(e);
    QCOMPARE(errorCodeName(e->code()), errorCodeName(ErrorCode(code)));
    verifyNamesFile(*e, module);
    QVERIFY2(QString::fromUtf8(e->what()).contains(mentions), e->what());
}

void TestTorchScriptEncoder::moduleFailuresNameTheModule()
{
    // Fine on the probe's batch of one, fails on more: the error comes from encode().
    const fs::path raising = writeModule(QStringLiteral("raise"), R"JIT(
def forward(self, x):
    assert x.size(0) == 1, "only one image at a time"
    return x.mean([2, 3])
)JIT");
    const auto encoder = TorchScriptEncoder::load(raising);
    const std::vector<float> one(encoder->pixelValueCount(), 0.5f), two(2 * encoder->pixelValueCount(), 0.5f);
    QCOMPARE(encoder->encode(one, 1).rows, 1);
    auto e = errorOf([&] { encoder->encode(two, 2); });
    QVERIFY(e);
    verifyNamesFile(*e, raising);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("only one image at a time")), e->what());
    // LibTorch's message is a TorchScript traceback and a C++ backtrace: the user sees one line.
    QVERIFY2(!QString::fromUtf8(e->what()).contains(QLatin1Char('\n')), e->what());
    QVERIFY2(!QString::fromUtf8(e->what()).contains(QStringLiteral("Traceback")), e->what());
    // Still usable after the failure.
    QCOMPARE(encoder->encode(one, 1).rows, 1);

    // Returns one row whatever the batch: caught as a shape error at encode().
    const fs::path firstOnly
        = writeModule(QStringLiteral("firstonly"), "def forward(self, x):\n    return x[0:1].mean([2, 3])\n");
    const auto truncating = TorchScriptEncoder::load(firstOnly);
    e = errorOf([&] { truncating->encode(two, 2); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::WrongShape);
    verifyNamesFile(*e, firstOnly);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("[1, 3] for a batch of 2")), e->what());

    // Bad TorchScript source is reported by the writer, naming its file.
    const fs::path notWritten = freshDir(QStringLiteral("badsource")) / "x.pt";
    e = errorOf([&] { writeTorchScriptModule(notWritten, {}, "def forward(self, x):\n    return self.missing\n"); });
    QVERIFY(e);
    verifyNamesFile(*e, notWritten);
}

QTEST_MAIN(TestTorchScriptEncoder)
#include "tst_torchscriptencoder.moc"
