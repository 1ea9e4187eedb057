// SafetensorsFile: reading the reference checkpoint, half-float conversions, the writer,
// and one bad-input row per validation rule (never a crash, always file + tensor named).
#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "support/RefData.h"

#include <QFile>
#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>

using namespace lookalike;

namespace {

// Writes [u64 header length][header][data] with an optional explicit header length.
QString writeRaw(const QString &name, const QByteArray &header, const QByteArray &data,
    std::uint64_t headerLength = std::numeric_limits<std::uint64_t>::max())
{
    const QString path = testsupport::scratchDir(QStringLiteral("st")) + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    const std::uint64_t n = headerLength == std::numeric_limits<std::uint64_t>::max() ? header.size() : headerLength;
    f.write(reinterpret_cast<const char *>(&n), 8);
    f.write(header);
    f.write(data);
    return path;
}

} // namespace

class TestSafetensorsFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsReferenceCheckpoint();
    void halfConversions_data();
    void halfConversions();
    void halfRounding();
    void writerRoundTrip_data();
    void writerRoundTrip();
    void rejectsBadFiles_data();
    void rejectsBadFiles();
    void truncatedRealCheckpoint();
    void requireShapeNamesTheTensor();
    void integerTensorIsNotAFloatWeight();
    void fuzzFindsReadCleanly_data();
    void fuzzFindsReadCleanly();
};

void TestSafetensorsFile::readsReferenceCheckpoint()
{
    const auto file = SafetensorsFile::open(testsupport::tinyCheckpointPath() + "/model.safetensors");
    QCOMPARE(file.tensorNames().size(), std::size_t(88));
    QCOMPARE(file.metadata().at("format"), std::string("pt"));
    const auto &patch = file.info("vision_model.embeddings.patch_embedding.weight");
    QCOMPARE(patch.dtype, SafetensorsDtype::F32);
    QCOMPARE(patch.shape, (std::vector<std::int64_t>{64, 3, 8, 8}));
    const auto model = testsupport::reference().value(QStringLiteral("model")).toObject();
    QCOMPARE(file.readFloat32("logit_scale").at(0), float(model.value(QStringLiteral("logit_scale")).toDouble()));
    QCOMPARE(file.readFloat32("logit_bias").at(0), float(model.value(QStringLiteral("logit_bias")).toDouble()));
    QCOMPARE(file.readFloat32("text_model.embeddings.token_embedding.weight").size(), std::size_t(400 * 64));
}

void TestSafetensorsFile::halfConversions_data()
{
    QTest::addColumn<float>("value");
    QTest::addColumn<uint>("half");
    QTest::addColumn<uint>("bf16");
    QTest::newRow("one") << 1.0f << 0x3C00u << 0x3F80u;
    QTest::newRow("minus two and a half") << -2.5f << 0xC100u << 0xC020u;
    QTest::newRow("zero") << 0.0f << 0x0000u << 0x0000u;
    QTest::newRow("negative zero") << -0.0f << 0x8000u << 0x8000u;
    QTest::newRow("large, exact in both") << 65280.0f << 0x7BF8u << 0x477Fu;
    QTest::newRow("smallest half subnormal") << std::ldexp(1.0f, -24) << 0x0001u << 0x3380u;
    QTest::newRow("smallest half normal") << std::ldexp(1.0f, -14) << 0x0400u << 0x3880u;
    QTest::newRow("infinity") << std::numeric_limits<float>::infinity() << 0x7C00u << 0x7F80u;
}

void TestSafetensorsFile::halfConversions()
{
    QFETCH(float, value);
    QFETCH(uint, half);
    QFETCH(uint, bf16);
    QCOMPARE(uint(floatToHalf(value)), half);
    QCOMPARE(uint(floatToBfloat16(value)), bf16);
    QCOMPARE(halfToFloat(std::uint16_t(half)), value);
    QCOMPARE(bfloat16ToFloat(std::uint16_t(bf16)), value);
    QVERIFY(std::signbit(halfToFloat(std::uint16_t(half))) == std::signbit(value));
}

void TestSafetensorsFile::halfRounding()
{
    // Round to nearest, ties to even, as PyTorch does when it saves half tensors.
    QCOMPARE(uint(floatToHalf(1.0f + std::ldexp(1.0f, -11))), 0x3C00u); // tie -> even (down)
    QCOMPARE(uint(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11))), 0x3C02u); // tie -> even (up)
    QCOMPARE(uint(floatToHalf(65504.0f)), 0x7BFFu); // largest half
    QCOMPARE(uint(floatToHalf(70000.0f)), 0x7C00u); // overflow -> inf
    QCOMPARE(uint(floatToBfloat16(65504.0f)), 0x4780u); // rounds up to 65536
    QVERIFY(std::isnan(halfToFloat(floatToHalf(std::nanf("")))));
    QVERIFY(std::isnan(bfloat16ToFloat(floatToBfloat16(std::nanf("")))));
}

void TestSafetensorsFile::writerRoundTrip_data()
{
    QTest::addColumn<int>("dtype");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("F32 exact") << int(SafetensorsDtype::F32) << 0.0;
    QTest::newRow("F16 upcast") << int(SafetensorsDtype::F16) << 1e-3;
    QTest::newRow("BF16 upcast") << int(SafetensorsDtype::BF16) << 1e-2;
}

void TestSafetensorsFile::writerRoundTrip()
{
    QFETCH(int, dtype);
    QFETCH(double, tolerance);
    const std::vector<float> a{0.5f, -1.25f, 3.0f, 0.1f, -0.3f, 2.0f};
    const std::vector<float> b{7.0f};
    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    writer.add("layer.weight", {2, 3}, a, SafetensorsDtype(dtype));
    writer.add("bias", {1}, b, SafetensorsDtype(dtype));
    const std::string path
        = (testsupport::scratchDir(QStringLiteral("st")) + QStringLiteral("/w.safetensors")).toStdString();
    writer.write(path);

    const auto file = SafetensorsFile::open(path);
    QCOMPARE(file.info("layer.weight").dtype, SafetensorsDtype(dtype));
    QCOMPARE(file.info("layer.weight").shape, (std::vector<std::int64_t>{2, 3}));
    QVERIFY(testsupport::maxAbsDiff(file.readFloat32("layer.weight"), a) <= tolerance);
    QCOMPARE(file.readFloat32("bias"), b); // 7 is exact in every format
    QCOMPARE(file.metadata().at("format"), std::string("pt"));
    // The data area starts 8-byte aligned, like files written by the reference implementation.
    QFile raw(QString::fromStdString(path));
    QVERIFY(raw.open(QIODevice::ReadOnly));
    std::uint64_t n = 0;
    raw.read(reinterpret_cast<char *>(&n), 8);
    QCOMPARE((8 + n) % 8, std::uint64_t(0));
}

void TestSafetensorsFile::rejectsBadFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions"); // the tensor or key the message must name

    const QByteArray data16(16, '\0');
    auto entry = [](const char *dtype, const char *shape, const char *offsets) {
        return QByteArray(R"({"t":{"dtype":")") + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets
            + "}}";
    };
    QTest::newRow("empty file") << testsupport::writeScratchFile(QStringLiteral("empty"), {})
                                << int(ErrorCode::TruncatedFile) << QString();
    QTest::newRow("shorter than the length field")
        << testsupport::writeScratchFile(QStringLiteral("five"), QByteArray(5, 'x')) << int(ErrorCode::TruncatedFile)
        << QString();
    QTest::newRow("header larger than the file")
        << writeRaw(QStringLiteral("hdrbig"), entry("F32", "[4]", "[0,16]"), data16, 4096)
        << int(ErrorCode::HeaderOutOfBounds) << QString();
    QTest::newRow("header length near 2^64")
        << writeRaw(QStringLiteral("hdrhuge"), "{}", {}, std::numeric_limits<std::uint64_t>::max() - 3)
        << int(ErrorCode::HeaderOutOfBounds) << QString();
    QTest::newRow("header not JSON") << writeRaw(QStringLiteral("notjson"), "{\"t\": [", data16)
                                     << int(ErrorCode::MalformedHeader) << QString();
    QTest::newRow("header is an array") << writeRaw(QStringLiteral("array"), "[1,2]", data16)
                                        << int(ErrorCode::MalformedHeader) << QString();
    QTest::newRow("entry not an object") << writeRaw(QStringLiteral("entry"), R"({"t": 5})", data16)
                                         << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("dtype missing") << writeRaw(
        QStringLiteral("nodtype"), R"({"t":{"shape":[4],"data_offsets":[0,16]}})", data16)
                                   << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("unknown dtype") << writeRaw(QStringLiteral("dtype"), entry("F7", "[4]", "[0,16]"), data16)
                                   << int(ErrorCode::UnknownDtype) << QStringLiteral("'t'");
    QTest::newRow("negative dimension") << writeRaw(QStringLiteral("negdim"), entry("F32", "[-4]", "[0,16]"), data16)
                                        << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("shape not an array") << writeRaw(QStringLiteral("shape"), entry("F32", "4", "[0,16]"), data16)
                                        << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("offsets reversed") << writeRaw(QStringLiteral("rev"), entry("F32", "[0]", "[16,0]"), data16)
                                      << int(ErrorCode::OffsetOutOfRange) << QStringLiteral("'t'");
    QTest::newRow("offsets past the data") << writeRaw(QStringLiteral("past"), entry("F32", "[8]", "[0,32]"), data16)
                                           << int(ErrorCode::OffsetOutOfRange) << QStringLiteral("'t'");
    QTest::newRow("offsets not integers") << writeRaw(QStringLiteral("float"), entry("F32", "[4]", "[0,1e30]"), data16)
                                          << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("one offset only") << writeRaw(QStringLiteral("oneoff"), entry("F32", "[4]", "[16]"), data16)
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("'t'");
    QTest::newRow("byte size differs from shape") << writeRaw(QStringLiteral("size"), entry("F32", "[3]", "[0,16]"),
        data16) << int(ErrorCode::SizeMismatch) << QStringLiteral("'t'");
    QTest::newRow("F16 size counted as F32") << writeRaw(QStringLiteral("f16"), entry("F16", "[4]", "[0,16]"), data16)
                                             << int(ErrorCode::SizeMismatch) << QStringLiteral("'t'");
    QTest::newRow("element count overflows")
        << writeRaw(QStringLiteral("overflow"), entry("F32", "[4294967296,4294967296,16]", "[0,16]"), data16)
        << int(ErrorCode::SizeMismatch) << QStringLiteral("'t'");
    QTest::newRow("overlapping tensors") << writeRaw(QStringLiteral("overlap"),
        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
        data16) << int(ErrorCode::OverlappingTensors)
                                         << QStringLiteral("'b'");
    QTest::newRow("metadata not strings") << writeRaw(QStringLiteral("meta"), R"({"__metadata__":{"format":3}})", {})
                                          << int(ErrorCode::MalformedHeader) << QStringLiteral("__metadata__");
    QTest::newRow("missing file") << QStringLiteral("/nonexistent/model.safetensors") << int(ErrorCode::FileNotFound)
                                  << QString();
    QTest::newRow("a folder") << testsupport::tinyCheckpointDir() << int(ErrorCode::FileUnreadable) << QString();
}

void TestSafetensorsFile::rejectsBadFiles()
{
    QFETCH(QString, path);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    try {
        SafetensorsFile::open(path.toStdString());
        QFAIL("opened a bad file");
    } catch (const Error &e) {
        QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode(code)));
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.startsWith(path + QStringLiteral(": ")), qPrintable(what));
        QVERIFY2(what.contains(mentions), qPrintable(what));
        QVERIFY(!what.contains(QLatin1Char('\n')));
    }
}

void TestSafetensorsFile::truncatedRealCheckpoint()
{
    QFile src(testsupport::tinyCheckpointDir() + QStringLiteral("/model.safetensors"));
    QVERIFY(src.open(QIODevice::ReadOnly));
    const QByteArray whole = src.readAll();
    const QString path
        = testsupport::writeScratchFile(QStringLiteral("half.safetensors"), whole.left(whole.size() / 2));
    try {
        SafetensorsFile::open(path.toStdString());
        QFAIL("opened a truncated checkpoint");
    } catch (const Error &e) {
        QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode::OffsetOutOfRange));
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("half.safetensors")));
    }
}

void TestSafetensorsFile::requireShapeNamesTheTensor()
{
    const auto file = SafetensorsFile::open(testsupport::tinyCheckpointPath() + "/model.safetensors");
    file.requireShape("logit_scale", {1});
    try {
        file.requireShape("vision_model.head.probe", {1, 1, 768});
        QFAIL("wrong shape accepted");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::WrongShape);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("vision_model.head.probe")));
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("[1, 1, 64]")));
    }
    try {
        file.requireShape("vision_model.no_such.weight", {1});
        QFAIL("missing tensor accepted");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::MissingTensor);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("vision_model.no_such.weight")));
    }
}

void TestSafetensorsFile::integerTensorIsNotAFloatWeight()
{
    const QString path = writeRaw(
        QStringLiteral("int"), R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", QByteArray(16, '\1'));
    const auto file = SafetensorsFile::open(path.toStdString());
    QCOMPARE(file.bytes("ids").size(), std::size_t(16));
    QVERIFY_THROWS_EXCEPTION(Error, file.readFloat32("ids"));
}

// Inputs fuzz/fuzz_safetensors once crashed on (tests/data/fuzz/): each opens and every
// tensor reads back; the asan preset turns any out-of-bounds or undefined behaviour into a failure.
void TestSafetensorsFile::fuzzFindsReadCleanly_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("floats"); // total float elements read
    QTest::newRow("empty F32 tensor (memcpy to a null buffer)") << "safetensors_empty_f32.safetensors" << 0;
}

void TestSafetensorsFile::fuzzFindsReadCleanly()
{
    QFETCH(QString, file);
    QFETCH(int, floats);
    const auto st = SafetensorsFile::open((testsupport::dataDir() + QStringLiteral("/fuzz/") + file).toStdString());
    std::size_t total = 0;
    for (const std::string &name : st.tensorNames())
        total += st.readFloat32(name).size();
    QCOMPARE(total, std::size_t(floats));
}

QTEST_MAIN(TestSafetensorsFile)
#include "tst_safetensorsfile.moc"
