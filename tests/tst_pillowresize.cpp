// Tests of pillowResize(): byte-for-byte agreement with Pillow 9.4's Image.resize on the vectors
// of tests/data/images/resize_vectors.* (made by make_resize_vectors.py with Debian's python3-pil).
#include "core/Error.h"
#include "core/image/PillowResize.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTest>

#include <algorithm>
#include <cstring>

using lookalike::ErrorCode;
using lookalike::PillowFilter;
using lookalike::RgbImage;

Q_DECLARE_METATYPE(lookalike::RgbImage)
Q_DECLARE_METATYPE(lookalike::PillowFilter)
Q_DECLARE_METATYPE(lookalike::ErrorCode)

namespace {

RgbImage imageFromBytes(const QByteArray &bytes, qsizetype offset, int width, int height)
{
    RgbImage image(width, height);
    const auto size = static_cast<qsizetype>(image.pixels.size());
    if (offset < 0 || offset + size > bytes.size())
        qFatal("vector out of range");
    std::memcpy(image.pixels.data(), bytes.constData() + offset, image.pixels.size());
    return image;
}

// A deterministic image with every channel different, so that swapped or shifted pixels show.
RgbImage patternImage(int width, int height)
{
    RgbImage image(width, height);
    for (std::size_t i = 0; i < image.pixels.size(); ++i)
        image.pixels[i] = static_cast<std::uint8_t>((i * 37 + i / 5) & 0xff);
    return image;
}

// Where two images first differ, for a readable failure message.
QByteArray firstDifference(const RgbImage &actual, const RgbImage &expected)
{
    if (actual.width != expected.width || actual.height != expected.height)
        return QByteArray("size ") + QByteArray::number(actual.width) + 'x' + QByteArray::number(actual.height)
            + " != " + QByteArray::number(expected.width) + 'x' + QByteArray::number(expected.height);
    const auto mismatch = std::mismatch(actual.pixels.begin(), actual.pixels.end(), expected.pixels.begin());
    if (mismatch.first == actual.pixels.end())
        return QByteArray();
    const auto index = static_cast<int>(mismatch.first - actual.pixels.begin());
    const int pixel = index / 3;
    int differing = 0;
    for (std::size_t i = 0; i < actual.pixels.size(); ++i)
        differing += actual.pixels[i] != expected.pixels[i];
    return "first difference at x=" + QByteArray::number(pixel % actual.width)
        + " y=" + QByteArray::number(pixel / actual.width) + " channel " + QByteArray::number(index % 3) + ": got "
        + QByteArray::number(*mismatch.first) + ", Pillow " + QByteArray::number(*mismatch.second) + " ("
        + QByteArray::number(differing) + " bytes differ)";
}

const QMap<QString, PillowFilter> &filtersByName()
{
    static const QMap<QString, PillowFilter> filters{
        {QStringLiteral("nearest"), PillowFilter::Nearest},
        {QStringLiteral("lanczos"), PillowFilter::Lanczos},
        {QStringLiteral("bilinear"), PillowFilter::Bilinear},
        {QStringLiteral("bicubic"), PillowFilter::Bicubic},
        {QStringLiteral("box"), PillowFilter::Box},
        {QStringLiteral("hamming"), PillowFilter::Hamming},
    };
    return filters;
}

} // namespace

class TestPillowResize : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sameSizeIsAnUnchangedCopy_data();
    void sameSizeIsAnUnchangedCopy();
    void matchesPillow_data();
    void matchesPillow();
    void everyFilterIsCovered();
    void rejectsBadArguments_data();
    void rejectsBadArguments();
};

void TestPillowResize::sameSizeIsAnUnchangedCopy_data()
{
    QTest::addColumn<PillowFilter>("filter");
    for (auto it = filtersByName().begin(); it != filtersByName().end(); ++it)
        QTest::newRow(qPrintable(it.key())) << it.value();
}

void TestPillowResize::sameSizeIsAnUnchangedCopy()
{
    QFETCH(PillowFilter, filter);
    const RgbImage input = patternImage(13, 7);
    const RgbImage output = lookalike::pillowResize(input, 13, 7, filter);
    QCOMPARE(output.width, 13);
    QCOMPARE(output.height, 7);
    QVERIFY(output.pixels == input.pixels);
    QVERIFY(output.pixels.data() != input.pixels.data());
}

void TestPillowResize::matchesPillow_data()
{
    QTest::addColumn<RgbImage>("input");
    QTest::addColumn<PillowFilter>("filter");
    QTest::addColumn<RgbImage>("expected");

    const QString dir = testsupport::dataDir() + QStringLiteral("/images");
    const QByteArray blob = testsupport::readFileBytes(dir + QStringLiteral("/resize_vectors.bin"));
    const QJsonObject index
        = QJsonDocument::fromJson(testsupport::readFileBytes(dir + QStringLiteral("/resize_vectors.json"))).object();

    QMap<QString, RgbImage> inputs;
    for (const QJsonValue &v : index.value(QStringLiteral("inputs")).toArray()) {
        const QJsonObject o = v.toObject();
        const int width = o.value(QStringLiteral("width")).toInt();
        const int height = o.value(QStringLiteral("height")).toInt();
        const QString file = o.value(QStringLiteral("file")).toString();
        // Reference images are read from their decoded RGB bytes, the rest from the blob.
        const RgbImage image = file.isEmpty()
            ? imageFromBytes(blob, o.value(QStringLiteral("offset")).toInteger(), width, height)
            : imageFromBytes(
                testsupport::readFileBytes(testsupport::dataDir() + QLatin1Char('/') + file), 0, width, height);
        inputs.insert(o.value(QStringLiteral("name")).toString(), image);
    }
    const QJsonArray cases = index.value(QStringLiteral("cases")).toArray();
    QVERIFY(cases.size() >= 100);
    for (const QJsonValue &v : cases) {
        const QJsonObject o = v.toObject();
        const QString name = o.value(QStringLiteral("input")).toString();
        QVERIFY2(inputs.contains(name), qPrintable(name));
        const RgbImage &input = inputs[name];
        const int width = o.value(QStringLiteral("width")).toInt();
        const int height = o.value(QStringLiteral("height")).toInt();
        const QString filter = o.value(QStringLiteral("filter")).toString();
        QVERIFY(filtersByName().contains(filter));
        QVERIFY(static_cast<int>(filtersByName().value(filter)) == o.value(QStringLiteral("resample")).toInt());
        const QString row = QStringLiteral("%1 %2x%3 -> %4x%5 %6")
                                .arg(name.section(QLatin1Char('/'), -1).section(QLatin1Char('.'), 0, 0))
                                .arg(input.width)
                                .arg(input.height)
                                .arg(width)
                                .arg(height)
                                .arg(filter);
        QTest::newRow(qPrintable(row)) << input << filtersByName().value(filter)
                                       << imageFromBytes(
                                              blob, o.value(QStringLiteral("offset")).toInteger(), width, height);
    }
}

void TestPillowResize::matchesPillow()
{
    QFETCH(RgbImage, input);
    QFETCH(PillowFilter, filter);
    QFETCH(RgbImage, expected);
    const RgbImage output = lookalike::pillowResize(input, expected.width, expected.height, filter);
    const QByteArray difference = firstDifference(output, expected);
    QVERIFY2(difference.isEmpty(), difference.constData());
}

void TestPillowResize::everyFilterIsCovered()
{
    // The vectors must exercise each filter in both directions, or a filter could be untested.
    const QString dir = testsupport::dataDir() + QStringLiteral("/images");
    const QJsonObject index
        = QJsonDocument::fromJson(testsupport::readFileBytes(dir + QStringLiteral("/resize_vectors.json"))).object();
    QMap<QString, int> inputWidths;
    for (const QJsonValue &v : index.value(QStringLiteral("inputs")).toArray())
        inputWidths.insert(
            v.toObject().value(QStringLiteral("name")).toString(), v.toObject().value(QStringLiteral("width")).toInt());
    QMap<QString, int> downscales;
    QMap<QString, int> upscales;
    for (const QJsonValue &v : index.value(QStringLiteral("cases")).toArray()) {
        const QJsonObject o = v.toObject();
        const QString filter = o.value(QStringLiteral("filter")).toString();
        const int width = o.value(QStringLiteral("width")).toInt();
        const int inWidth = inputWidths.value(o.value(QStringLiteral("input")).toString());
        QVERIFY(inWidth > 0);
        if (width < inWidth)
            ++downscales[filter];
        else if (width > inWidth)
            ++upscales[filter];
    }
    for (const QString &filter : filtersByName().keys()) {
        QVERIFY2(downscales.value(filter) > 0, qPrintable(filter));
        QVERIFY2(upscales.value(filter) > 0, qPrintable(filter));
    }
}

void TestPillowResize::rejectsBadArguments_data()
{
    QTest::addColumn<RgbImage>("input");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("filter");
    QTest::addColumn<ErrorCode>("code");
    QTest::newRow("zero width") << patternImage(4, 4) << 0 << 4 << 3 << ErrorCode::InvalidArgument;
    QTest::newRow("negative height") << patternImage(4, 4) << 4 << -2 << 3 << ErrorCode::InvalidArgument;
    QTest::newRow("empty image") << RgbImage() << 4 << 4 << 3 << ErrorCode::InvalidArgument;
    QTest::newRow("unknown filter 6") << patternImage(4, 4) << 8 << 8 << 6 << ErrorCode::Unsupported;
    QTest::newRow("unknown filter, same size") << patternImage(4, 4) << 4 << 4 << 9 << ErrorCode::Unsupported;
    QTest::newRow("unknown filter -1") << patternImage(4, 4) << 8 << 8 << -1 << ErrorCode::Unsupported;
}

void TestPillowResize::rejectsBadArguments()
{
    QFETCH(RgbImage, input);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, filter);
    QFETCH(ErrorCode, code);
    try {
        (void)lookalike::pillowResize(input, width, height, static_cast<PillowFilter>(filter));
        QFAIL("no error thrown");
    } catch (const lookalike::Error &e) {
        QCOMPARE(lookalike::errorCodeName(e.code()), lookalike::errorCodeName(code));
        QVERIFY(std::strchr(e.what(), '\n') == nullptr);
    }
}

QTEST_MAIN(TestPillowResize)
#include "tst_pillowresize.moc"
