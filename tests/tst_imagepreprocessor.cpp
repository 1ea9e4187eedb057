// Tests of ImagePreprocessorConfig / ImagePreprocessor: pixel_values bit-identical to Hugging
// Face's SiglipImageProcessor (ref_tiny_a.json) from image files and from decoded RGB bytes,
// and preprocessor_config.json parsing with HF's defaults and typed errors.
#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/image/ImagePreprocessor.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cstring>
#include <optional>
#include <vector>

using lookalike::ErrorCode;
using lookalike::ImagePreprocessor;
using lookalike::ImagePreprocessorConfig;
using lookalike::RgbImage;

Q_DECLARE_METATYPE(lookalike::ErrorCode)
Q_DECLARE_METATYPE(std::vector<float>)

namespace {

std::string tinyConfigPath()
{
    return testsupport::tinyCheckpointPath() + "/preprocessor_config.json";
}

using testsupport::errorOf;

// Exact comparison of float bit patterns; describes the first mismatch.
QByteArray firstDifference(const std::vector<float> &actual, const std::vector<float> &expected)
{
    if (actual.size() != expected.size())
        return "size " + QByteArray::number(qsizetype(actual.size()))
            + " != " + QByteArray::number(qsizetype(expected.size()));
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::memcmp(&actual[i], &expected[i], sizeof(float)) != 0)
            return "first difference at index " + QByteArray::number(qsizetype(i)) + ": got "
                + QByteArray::number(actual[i], 'g', 9) + ", HF " + QByteArray::number(expected[i], 'g', 9);
    }
    return QByteArray();
}

std::vector<float> run(const ImagePreprocessor &p, const RgbImage &image)
{
    std::vector<float> out(p.pixelValueCount());
    p.pixelValues(image, out);
    return out;
}

RgbImage imageOf(int width, int height, std::initializer_list<int> values)
{
    RgbImage image(width, height);
    std::size_t i = 0;
    for (int v : values)
        image.pixels.at(i++) = static_cast<std::uint8_t>(v);
    return image;
}

} // namespace

class TestImagePreprocessor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tinyConfig();
    void referencePixelValues_data();
    void referencePixelValues();
    void parsesConfig_data();
    void parsesConfig();
    void rejectsBadConfig_data();
    void rejectsBadConfig();
    void missingConfigFile();
    void toJsonRoundTrips_data();
    void toJsonRoundTrips();
    void rescaleIsFloat64ThenFloat32();
    void writesPlanarRgb();
    void noResizeNeedsTheModelSize();
    void wrongBufferSizeIsABug();
};

void TestImagePreprocessor::tinyConfig()
{
    const auto c = ImagePreprocessorConfig::fromFile(tinyConfigPath());
    QVERIFY(c.doResize);
    QCOMPARE(c.width, 32);
    QCOMPARE(c.height, 32);
    QCOMPARE(c.resample, 3);
    QVERIFY(c.doRescale);
    QCOMPARE(c.rescaleFactor, 1.0 / 255.0);
    QVERIFY(c.doNormalize);
    QCOMPARE(c.mean, (std::array<double, 3>{0.5, 0.5, 0.5}));
    QCOMPARE(c.std, (std::array<double, 3>{0.5, 0.5, 0.5}));
    QCOMPARE(ImagePreprocessor(c).pixelValueCount(), std::size_t(3 * 32 * 32));
}

void TestImagePreprocessor::referencePixelValues_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("decodedFile");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<std::vector<float>>("expected");

    QMap<QString, QJsonObject> index;
    for (const QJsonValue &v : QJsonDocument::fromJson(
             testsupport::readFileBytes(testsupport::refDir() + QStringLiteral("/images/index.json")))
                                   .array())
        index.insert(v.toObject().value(QStringLiteral("file")).toString(), v.toObject());
    const QJsonArray images = testsupport::reference().value(QStringLiteral("images")).toArray();
    QCOMPARE(images.size(), 6);
    for (const QJsonValue &v : images) {
        const QJsonObject o = v.toObject();
        const QString file = o.value(QStringLiteral("file")).toString();
        QVERIFY2(index.contains(file), qPrintable(file));
        const auto shape = testsupport::tensorShape(o.value(QStringLiteral("pixel_values")));
        QCOMPARE(shape, (std::vector<std::int64_t>{3, 32, 32}));
        const QJsonObject entry = index.value(file);
        QTest::newRow(qPrintable(file.section(QLatin1Char('/'), -1)))
            << testsupport::refDir() + QLatin1Char('/') + file
            << testsupport::refDir() + QLatin1Char('/') + entry.value(QStringLiteral("decoded_rgb_file")).toString()
            << entry.value(QStringLiteral("width")).toInt() << entry.value(QStringLiteral("height")).toInt()
            << testsupport::tensorData(o.value(QStringLiteral("pixel_values")));
    }
}

void TestImagePreprocessor::referencePixelValues()
{
    QFETCH(QString, file);
    QFETCH(QString, decodedFile);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(std::vector<float>, expected);
    const ImagePreprocessor preprocessor(ImagePreprocessorConfig::fromFile(tinyConfigPath()));

    // From the file, through the decoder: the whole path a user's image takes.
    const std::vector<float> fromFile = run(preprocessor, lookalike::decodeImageFile(file.toStdString()));
    QByteArray difference = firstDifference(fromFile, expected);
    QVERIFY2(difference.isEmpty(), ("from file: " + difference).constData());

    // From Pillow's decoded bytes: preprocessing alone.
    const QByteArray raw = testsupport::readFileBytes(decodedFile);
    RgbImage decoded(width, height);
    QCOMPARE(std::size_t(raw.size()), decoded.pixels.size());
    std::memcpy(decoded.pixels.data(), raw.constData(), decoded.pixels.size());
    const std::vector<float> fromBytes = run(preprocessor, decoded);
    difference = firstDifference(fromBytes, expected);
    QVERIFY2(difference.isEmpty(), ("from decoded bytes: " + difference).constData());
}

void TestImagePreprocessor::parsesConfig_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<bool>("doResize");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("resample");
    QTest::addColumn<bool>("doRescale");
    QTest::addColumn<double>("rescaleFactor");
    QTest::addColumn<bool>("doNormalize");
    QTest::addColumn<std::vector<float>>("meanAndStd");

    const std::vector<float> half{0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    QTest::newRow("empty object: SiglipImageProcessor defaults")
        << QStringLiteral("{}") << true << 224 << 224 << 3 << true << 1.0 / 255.0 << true << half;
    QTest::newRow("official siglip-base-patch16-224 style")
        << QStringLiteral(
               R"({"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
               "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor",
               "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}})")
        << true << 224 << 224 << 3 << true << 1.0 / 255.0 << true << half;
    QTest::newRow("explicit non-default values")
        << QStringLiteral(
               R"({"do_resize": false, "size": {"height": 384, "width": 256}, "resample": 2, "do_rescale": false,
               "rescale_factor": 0.5, "do_normalize": false, "image_mean": [0.1, 0.2, 0.3], "image_std": [0.4, 0.5, 0.6]})")
        << false << 256 << 384 << 2 << false << 0.5 << false << std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    QTest::newRow("single numbers for mean and std")
        << QStringLiteral(R"({"image_mean": 0.25, "image_std": 2})") << true << 224 << 224 << 3 << true << 1.0 / 255.0
        << true << std::vector<float>{0.25f, 0.25f, 0.25f, 2.f, 2.f, 2.f};
    QTest::newRow("one-element lists broadcast")
        << QStringLiteral(R"({"image_mean": [0.25], "image_std": [3]})") << true << 224 << 224 << 3 << true
        << 1.0 / 255.0 << true << std::vector<float>{0.25f, 0.25f, 0.25f, 3.f, 3.f, 3.f};
    QTest::newRow("size as [height, width]")
        << QStringLiteral(R"({"size": [96, 64]})") << true << 64 << 96 << 3 << true << 1.0 / 255.0 << true << half;
    QTest::newRow("nulls: mean/std/size take defaults, do_* become false")
        << QStringLiteral(
               R"({"image_mean": null, "image_std": null, "size": null, "do_convert_rgb": null, "do_resize": null})")
        << false << 224 << 224 << 3 << true << 1.0 / 255.0 << true << half;
    QTest::newRow("unknown keys are ignored")
        << QStringLiteral(R"({"do_convert_rgb": true, "foo": [1, 2], "resample": 1})") << true << 224 << 224 << 1
        << true << 1.0 / 255.0 << true << half;
    QTest::newRow("integral float for an integer")
        << QStringLiteral(R"({"size": {"height": 32.0, "width": 48}, "resample": 5.0})") << true << 48 << 32 << 5
        << true << 1.0 / 255.0 << true << half;
}

void TestImagePreprocessor::parsesConfig()
{
    QFETCH(QString, json);
    QFETCH(bool, doResize);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, resample);
    QFETCH(bool, doRescale);
    QFETCH(double, rescaleFactor);
    QFETCH(bool, doNormalize);
    QFETCH(std::vector<float>, meanAndStd);

    const auto c = ImagePreprocessorConfig::fromJson(json.toStdString(), "preprocessor_config.json");
    QCOMPARE(c.doResize, doResize);
    QCOMPARE(c.width, width);
    QCOMPARE(c.height, height);
    QCOMPARE(c.resample, resample);
    QCOMPARE(c.doRescale, doRescale);
    QCOMPARE(c.rescaleFactor, rescaleFactor);
    QCOMPARE(c.doNormalize, doNormalize);
    for (std::size_t i = 0; i < 3; ++i) {
        QCOMPARE(float(c.mean[i]), meanAndStd[i]);
        QCOMPARE(float(c.std[i]), meanAndStd[i + 3]);
    }
}

void TestImagePreprocessor::rejectsBadConfig_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("key");

    QTest::newRow("not JSON") << QStringLiteral("{\"do_resize\": tru") << ErrorCode::MalformedConfig << QString();
    QTest::newRow("top-level array") << QStringLiteral("[1, 2]") << ErrorCode::MalformedConfig << QString();
    QTest::newRow("do_resize as a string")
        << QStringLiteral(R"({"do_resize": "yes"})") << ErrorCode::MalformedConfig << QStringLiteral("do_resize");
    QTest::newRow("do_normalize as a number")
        << QStringLiteral(R"({"do_normalize": 1})") << ErrorCode::MalformedConfig << QStringLiteral("do_normalize");
    QTest::newRow("size as a number") << QStringLiteral(R"({"size": 224})") << ErrorCode::MalformedConfig
                                      << QStringLiteral("size");
    QTest::newRow("size.height as a string") << QStringLiteral(R"({"size": {"height": "224", "width": 224}})")
                                             << ErrorCode::MalformedConfig << QStringLiteral("size.height");
    QTest::newRow("size.width fractional") << QStringLiteral(R"({"size": {"height": 224, "width": 224.5}})")
                                           << ErrorCode::MalformedConfig << QStringLiteral("size.width");
    QTest::newRow("size without width") << QStringLiteral(R"({"size": {"height": 224}})") << ErrorCode::InvalidConfig
                                        << QStringLiteral("size.width");
    QTest::newRow("size shortest_edge") << QStringLiteral(R"({"size": {"shortest_edge": 224}})")
                                        << ErrorCode::InvalidConfig << QStringLiteral("size.height");
    QTest::newRow("size zero") << QStringLiteral(R"({"size": {"height": 0, "width": 224}})") << ErrorCode::InvalidConfig
                               << QStringLiteral("size");
    QTest::newRow("size negative") << QStringLiteral(R"({"size": [224, -1]})") << ErrorCode::InvalidConfig
                                   << QStringLiteral("size");
    QTest::newRow("size three values") << QStringLiteral(R"({"size": [1, 2, 3]})") << ErrorCode::InvalidConfig
                                       << QStringLiteral("size");
    QTest::newRow("resample 6") << QStringLiteral(R"({"resample": 6})") << ErrorCode::InvalidConfig
                                << QStringLiteral("resample");
    QTest::newRow("resample -1") << QStringLiteral(R"({"resample": -1})") << ErrorCode::InvalidConfig
                                 << QStringLiteral("resample");
    QTest::newRow("resample as a name") << QStringLiteral(R"({"resample": "bicubic"})") << ErrorCode::MalformedConfig
                                        << QStringLiteral("resample");
    QTest::newRow("resample null") << QStringLiteral(R"({"resample": null})") << ErrorCode::MalformedConfig
                                   << QStringLiteral("resample");
    QTest::newRow("rescale_factor as a string") << QStringLiteral(R"({"rescale_factor": "1/255"})")
                                                << ErrorCode::MalformedConfig << QStringLiteral("rescale_factor");
    QTest::newRow("rescale_factor zero") << QStringLiteral(R"({"rescale_factor": 0})") << ErrorCode::InvalidConfig
                                         << QStringLiteral("rescale_factor");
    QTest::newRow("image_mean two values")
        << QStringLiteral(R"({"image_mean": [0.5, 0.5]})") << ErrorCode::InvalidConfig << QStringLiteral("image_mean");
    QTest::newRow("image_mean with a string") << QStringLiteral(R"({"image_mean": [0.5, "a", 0.5]})")
                                              << ErrorCode::MalformedConfig << QStringLiteral("image_mean[1]");
    QTest::newRow("image_std as an object")
        << QStringLiteral(R"({"image_std": {"r": 1}})") << ErrorCode::MalformedConfig << QStringLiteral("image_std");
    QTest::newRow("image_std zero") << QStringLiteral(R"({"image_std": [0.5, 0, 0.5]})") << ErrorCode::InvalidConfig
                                    << QStringLiteral("image_std");
}

void TestImagePreprocessor::rejectsBadConfig()
{
    QFETCH(QString, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, key);
    const auto e = errorOf(
        [&] { (void)ImagePreprocessorConfig::fromJson(json.toStdString(), "models/x/preprocessor_config.json"); });
    QVERIFY2(e, "no error thrown");
    QCOMPARE(lookalike::errorCodeName(e->code()), lookalike::errorCodeName(code));
    QCOMPARE(QString::fromStdString(e->file()), QStringLiteral("models/x/preprocessor_config.json"));
    QCOMPARE(QString::fromStdString(e->subject()), key);
    QVERIFY2(QByteArray(e->what()).startsWith("models/x/preprocessor_config.json: "), e->what());
    QVERIFY(std::strchr(e->what(), '\n') == nullptr);
}

void TestImagePreprocessor::missingConfigFile()
{
    const std::string path
        = testsupport::scratchDir(QStringLiteral("preproc")).toStdString() + "/preprocessor_config.json";
    const auto e = errorOf([&] { (void)ImagePreprocessorConfig::fromFile(path); });
    QVERIFY(e);
    QCOMPARE(lookalike::errorCodeName(e->code()), "MissingConfig");
    QCOMPARE(e->file(), path);
}

void TestImagePreprocessor::toJsonRoundTrips_data()
{
    QTest::addColumn<QString>("json");
    QTest::newRow("defaults") << QStringLiteral("{}");
    QTest::newRow("tiny_a") << QString::fromUtf8(testsupport::readFileBytes(QString::fromStdString(tinyConfigPath())));
    QTest::newRow("non-default") << QStringLiteral(
        R"({"do_resize": false, "size": {"height": 384, "width": 256}, "resample": 1, "do_rescale": false,
            "rescale_factor": 0.1, "do_normalize": false, "image_mean": [0.48145466, 0.4578275, 0.40821073],
            "image_std": [0.26862954, 0.26130258, 0.27577711]})");
}

void TestImagePreprocessor::toJsonRoundTrips()
{
    QFETCH(QString, json);
    const auto c = ImagePreprocessorConfig::fromJson(json.toStdString(), "in.json");
    const std::string written = c.toJson();

    // Written with HF's key names, so HF could load it back.
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(written)).object();
    for (const char *key : {"do_resize", "size", "resample", "do_rescale", "rescale_factor", "do_normalize",
             "image_mean", "image_std", "image_processor_type"})
        QVERIFY2(o.contains(QLatin1String(key)), key);
    QCOMPARE(o.value(QStringLiteral("size")).toObject().value(QStringLiteral("height")).toInt(), c.height);
    QCOMPARE(o.value(QStringLiteral("image_processor_type")).toString(), QStringLiteral("SiglipImageProcessor"));

    const auto back = ImagePreprocessorConfig::fromJson(written, "out.json");
    QCOMPARE(back.doResize, c.doResize);
    QCOMPARE(back.width, c.width);
    QCOMPARE(back.height, c.height);
    QCOMPARE(back.resample, c.resample);
    QCOMPARE(back.doRescale, c.doRescale);
    QVERIFY(back.rescaleFactor == c.rescaleFactor); // exact, not fuzzy
    QCOMPARE(back.doNormalize, c.doNormalize);
    QVERIFY(back.mean == c.mean);
    QVERIFY(back.std == c.std);
}

void TestImagePreprocessor::rescaleIsFloat64ThenFloat32()
{
    // HF: (u8.astype(float64) * (1/255)).astype(float32). Multiplying by float(1/255) instead
    // differs by 1 ulp on 126 of the 256 values (NumPy agrees; the reference README says 111),
    // so this test tells the two apart.
    ImagePreprocessorConfig config;
    config.doResize = false;
    config.doNormalize = false;
    config.width = 256;
    config.height = 1;
    const ImagePreprocessor p(config);
    RgbImage ramp(256, 1);
    for (int v = 0; v < 256; ++v)
        ramp.pixels[std::size_t(v) * 3] = ramp.pixels[std::size_t(v) * 3 + 1] = ramp.pixels[std::size_t(v) * 3 + 2]
            = std::uint8_t(v);
    const std::vector<float> out = run(p, ramp);
    int differsFromFloatMultiply = 0;
    for (int v = 0; v < 256; ++v) {
        const float hf = float(double(v) * (1.0 / 255.0));
        QCOMPARE(out[std::size_t(v)], hf);
        QCOMPARE(out[256 + std::size_t(v)], hf);
        QCOMPARE(out[512 + std::size_t(v)], hf);
        QCOMPARE(out[std::size_t(v)], float(v) / 255.0f);
        if (out[std::size_t(v)] != float(v) * float(1.0 / 255.0))
            ++differsFromFloatMultiply;
    }
    QCOMPARE(differsFromFloatMultiply, 126);
}

void TestImagePreprocessor::writesPlanarRgb()
{
    ImagePreprocessorConfig config;
    config.doResize = false;
    config.width = 2;
    config.height = 1;
    config.doRescale = false;
    config.doNormalize = false;
    const std::vector<float> plain = run(ImagePreprocessor(config), imageOf(2, 1, {10, 20, 30, 40, 50, 60}));
    QCOMPARE(plain, (std::vector<float>{10, 40, 20, 50, 30, 60}));

    config.doNormalize = true;
    config.mean = {1, 2, 3};
    config.std = {2, 4, 8};
    const std::vector<float> normalized = run(ImagePreprocessor(config), imageOf(2, 1, {10, 20, 30, 40, 50, 60}));
    QCOMPARE(normalized, (std::vector<float>{4.5f, 19.5f, 4.5f, 12.0f, 3.375f, 7.125f}));
}

void TestImagePreprocessor::noResizeNeedsTheModelSize()
{
    auto config = ImagePreprocessorConfig::fromFile(tinyConfigPath());
    config.doResize = false;
    const ImagePreprocessor p(config);
    std::vector<float> out(p.pixelValueCount());

    const RgbImage img0 = lookalike::decodeImageFile(
        (testsupport::refDir() + QStringLiteral("/images/img0_rgb_37x53.png")).toStdString());
    const auto e = errorOf([&] { p.pixelValues(img0, out); });
    QVERIFY(e);
    QCOMPARE(lookalike::errorCodeName(e->code()), "InvalidArgument");
    QVERIFY2(std::strstr(e->what(), "37x53") && std::strstr(e->what(), "32x32"), e->what());

    // img4 is already 32x32: with or without resizing the result is HF's.
    const RgbImage img4 = lookalike::decodeImageFile(
        (testsupport::refDir() + QStringLiteral("/images/img4_rgb_32x32.png")).toStdString());
    p.pixelValues(img4, out);
    const auto expected = testsupport::tensorData(testsupport::reference()
                                                      .value(QStringLiteral("images"))
                                                      .toArray()
                                                      .at(4)
                                                      .toObject()
                                                      .value(QStringLiteral("pixel_values")));
    const QByteArray difference = firstDifference(out, expected);
    QVERIFY2(difference.isEmpty(), difference.constData());
}

void TestImagePreprocessor::wrongBufferSizeIsABug()
{
    const ImagePreprocessor p(ImagePreprocessorConfig::fromFile(tinyConfigPath()));
    std::vector<float> tooSmall(p.pixelValueCount() - 1);
    const auto e = errorOf([&] { p.pixelValues(imageOf(1, 1, {1, 2, 3}), tooSmall); });
    QVERIFY(e);
    QCOMPARE(lookalike::errorCodeName(e->code()), "Internal");
}

QTEST_MAIN(TestImagePreprocessor)
#include "tst_imagepreprocessor.moc"
