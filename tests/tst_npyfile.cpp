// NpyFile: reading files written by NumPy itself (tests/data/npy), the writer's round trip and
// header layout, one bad-input row per validation rule (always an Error naming the file), and
// the crash-safe appender, including a writer really killed between append and commit.
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "support/RefData.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <bit>
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace lookalike;

namespace {

QString fixture(const char *name)
{
    return testsupport::dataDir() + QStringLiteral("/npy/") + QLatin1String(name);
}

std::string scratchPath(const QString &name)
{
    static const QString dir = testsupport::scratchDir(QStringLiteral("npy"));
    return (dir + QLatin1Char('/') + name).toStdString();
}

// Floats compared bit for bit (QCOMPARE on floats is fuzzy).
quint32 bits(float f)
{
    return std::bit_cast<quint32>(f);
}

// The value NumPy wrote into the good fixtures (make_fixtures.py).
float fixtureValue(std::int64_t r, std::int64_t c, std::int64_t cols)
{
    return static_cast<float>(r * cols + c) * 0.5f - 2.0f;
}

// A .npy file built byte by byte: magic, version, little-endian header length (2 bytes for
// version 1, 4 otherwise, or `lengthField` when given), the header text, then `data`.
QByteArray npyBytes(
    const QByteArray &header, const QByteArray &data = {}, int major = 1, int minor = 0, qint64 lengthField = -1)
{
    QByteArray out("\x93NUMPY", 6);
    out.append(char(major));
    out.append(char(minor));
    const quint64 length = lengthField >= 0 ? quint64(lengthField) : quint64(header.size());
    for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
        out.append(char((length >> (8 * i)) & 0xFF));
    return out + header + data;
}

QByteArray floats(std::initializer_list<float> values)
{
    QByteArray out;
    for (float v : values)
        out.append(reinterpret_cast<const char *>(&v), 4);
    return out;
}

QByteArray dict(const char *descr, const char *fortran, const char *shape)
{
    return QByteArray("{'descr': ") + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

FloatMatrix randomMatrix(std::int64_t rows, std::int64_t cols, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    FloatMatrix m(rows, cols);
    for (float &v : m.data)
        v = dist(rng);
    return m;
}

bool sameBits(const FloatMatrix &a, const FloatMatrix &b)
{
    return a.rows == b.rows && a.cols == b.cols && a.data.size() == b.data.size()
        && (a.data.empty() || std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
}

FloatMatrix rowsOf(const FloatMatrix &m, std::int64_t begin, std::int64_t end)
{
    FloatMatrix out(end - begin, m.cols);
    std::copy(m.data.begin() + begin * m.cols, m.data.begin() + end * m.cols, out.data.begin());
    return out;
}

qint64 fileSize(const std::string &path)
{
    return QFileInfo(QString::fromStdString(path)).size();
}

} // namespace

class TestNpyFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsNumpyFiles_data();
    void readsNumpyFiles();
    void float64IsRoundedLikeNumpy();
    void acceptsHeaderVariants_data();
    void acceptsHeaderVariants();
    void rejectsBadFiles_data();
    void rejectsBadFiles();
    void roundTrip_data();
    void roundTrip();
    void writtenHeaderHasNumpyLayout();
    void writeReplacesAtomically();
    void writeIntoMissingFolderFails();

    void appenderAppendsAndCommits();
    void appenderMatchesWriter();
    void uncommittedRowsAreTrailingBytes();
    void keepRowsTruncatesCommittedRows();
    void killedWriterLeavesLastCommit();
    void appenderRefuses_data();
    void appenderRefuses();
    void secondWriterIsRefused();
    void appendsToNumpyWrittenFile();
};

// ------------------------------------------------------------------ reading NumPy's files

void TestNpyFile::readsNumpyFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::newRow("float32, version 1.0") << fixture("f4_3x4.npy") << qint64(3) << qint64(4);
    QTest::newRow("float64 converted") << fixture("f8_3x4.npy") << qint64(3) << qint64(4);
    QTest::newRow("float16 converted") << fixture("f2_3x4.npy") << qint64(3) << qint64(4);
    QTest::newRow("version 2.0 header") << fixture("v2_f4_3x4.npy") << qint64(3) << qint64(4);
    QTest::newRow("version 3.0 header") << fixture("v3_f4_3x4.npy") << qint64(3) << qint64(4);
    QTest::newRow("zero rows") << fixture("empty_0x8.npy") << qint64(0) << qint64(8);
}

void TestNpyFile::readsNumpyFiles()
{
    QFETCH(QString, path);
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    const FloatMatrix m = readNpyMatrix(path.toStdString());
    QCOMPARE(m.rows, rows);
    QCOMPARE(m.cols, cols);
    QCOMPARE(m.data.size(), std::size_t(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            QCOMPARE(bits(m.at(r, c)), bits(fixtureValue(r, c, cols))); // exact in every dtype
    QCOMPARE(npyMatrixShape(path.toStdString()), (std::pair<std::int64_t, std::int64_t>(rows, cols)));
}

void TestNpyFile::float64IsRoundedLikeNumpy()
{
    const FloatMatrix m = readNpyMatrix(fixture("f8_rounding_1x4.npy").toStdString());
    QCOMPARE(m.rows, std::int64_t(1));
    QCOMPARE(m.cols, std::int64_t(4));
    QCOMPARE(bits(m.at(0, 0)), bits(static_cast<float>(0.1)));
    QCOMPARE(bits(m.at(0, 1)), bits(static_cast<float>(1.0 / 3.0)));
    QVERIFY(m.at(0, 2) > 0 && m.at(0, 2) < std::numeric_limits<float>::min()); // subnormal, not flushed
    QCOMPARE(bits(m.at(0, 2)), bits(static_cast<float>(1e-40)));
    QCOMPARE(bits(m.at(0, 3)), bits(std::numeric_limits<float>::infinity())); // NumPy's astype(float32) gives inf too
}

void TestNpyFile::acceptsHeaderVariants_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("NumPy's own layout") << dict("'<f4'", "False", "(2, 3)");
    QTest::newRow("Python 2 long integers") << dict("'<f4'", "False", "(2L, 3L)");
    QTest::newRow("double quotes") << QByteArray(R"({"descr": "<f4", "fortran_order": False, "shape": (2, 3)})");
    QTest::newRow("keys in another order, no trailing comma")
        << QByteArray("{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}");
    QTest::newRow("line breaks and tabs inside")
        << QByteArray("{\n\t'descr' :'<f4' ,\n 'fortran_order':False,'shape':( 2 , 3 , ) ,\n}   \n");
    QTest::newRow("native byte order") << dict("'=f4'", "False", "(2, 3)");
}

void TestNpyFile::acceptsHeaderVariants()
{
    QFETCH(QByteArray, header);
    const QString path
        = testsupport::writeScratchFile(QStringLiteral("variant.npy"), npyBytes(header, floats({1, 2, 3, 4, 5, 6})));
    const FloatMatrix m = readNpyMatrix(path.toStdString());
    QCOMPARE(m.rows, std::int64_t(2));
    QCOMPARE(m.cols, std::int64_t(3));
    QCOMPARE(m.data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

void TestNpyFile::rejectsBadFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions"); // a phrase the one-line message must contain

    auto file = [](const char *name, const QByteArray &bytes) {
        return testsupport::writeScratchFile(QLatin1String(name), bytes);
    };
    const QByteArray six = floats({1, 2, 3, 4, 5, 6});
    const QByteArray good = dict("'<f4'", "False", "(2, 3)");

    // Written by NumPy, refused by design.
    QTest::newRow("Fortran order") << fixture("fortran_2x3.npy") << int(ErrorCode::Unsupported)
                                   << QStringLiteral("Fortran");
    QTest::newRow("1-D array is not guessed at")
        << fixture("1d_5.npy") << int(ErrorCode::WrongShape) << QStringLiteral("(5,) is 1-D");
    QTest::newRow("3-D array") << fixture("3d_2x2x2.npy") << int(ErrorCode::WrongShape) << QStringLiteral("3-D");
    QTest::newRow("0-D scalar") << fixture("scalar.npy") << int(ErrorCode::WrongShape) << QStringLiteral("0-D");
    QTest::newRow("int32") << fixture("i4_2x3.npy") << int(ErrorCode::UnsupportedDtype) << QStringLiteral("'<i4'");
    QTest::newRow("big-endian float32") << fixture("bigendian_f4_2x3.npy") << int(ErrorCode::UnsupportedDtype)
                                        << QStringLiteral("big-endian");
    QTest::newRow("structured dtype") << fixture("structured_2.npy") << int(ErrorCode::UnsupportedDtype)
                                      << QStringLiteral("structured");

    // Files that are not .npy files, or broken ones.
    QTest::newRow("missing file") << QStringLiteral("/nonexistent/vectors.npy") << int(ErrorCode::FileNotFound)
                                  << QString();
    QTest::newRow("a folder") << testsupport::dataDir() << int(ErrorCode::FileUnreadable)
                              << QStringLiteral("not a regular file");
    QTest::newRow("empty file") << file("empty.npy", {}) << int(ErrorCode::TruncatedFile) << QStringLiteral("0 bytes");
    QTest::newRow("shorter than the preamble") << file("short.npy", QByteArray("\x93NUMPY\x01", 7))
                                               << int(ErrorCode::TruncatedFile) << QStringLiteral("7 bytes");
    QTest::newRow("not NumPy magic") << file("magic.npy", QByteArray("PK\x03\x04 a zip file, not npy"))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("not a .npy file");
    QTest::newRow("version 4.0") << file("v4.npy", npyBytes(good, six, 4)) << int(ErrorCode::Unsupported)
                                 << QStringLiteral("version 4.0");
    QTest::newRow("version 1.1") << file("v11.npy", npyBytes(good, six, 1, 1)) << int(ErrorCode::Unsupported)
                                 << QStringLiteral("version 1.1");
    QTest::newRow("header length past the end") << file("hlen.npy", npyBytes(good, {}, 1, 0, 4000))
                                                << int(ErrorCode::HeaderOutOfBounds) << QStringLiteral("4000");
    QTest::newRow("version 2 header length near 4 GB")
        << file("hlen2.npy", npyBytes(good, six, 2, 0, 0xFFFFFFF0)) << int(ErrorCode::HeaderOutOfBounds)
        << QStringLiteral("4294967280");
    QTest::newRow("version 2 truncated in its length field")
        << file("v2short.npy", QByteArray("\x93NUMPY\x02\x00\x10\x00", 10)) << int(ErrorCode::TruncatedFile)
        << QStringLiteral("version 2");

    // The header dict.
    QTest::newRow("dict not closed") << file("open.npy", npyBytes("{'descr': '<f4', ", six))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("Python literal");
    QTest::newRow("a list, not a dict") << file("list.npy", npyBytes("['<f4', False, (2, 3)]", six))
                                        << int(ErrorCode::MalformedHeader) << QStringLiteral("not a dict");
    QTest::newRow("text after the dict") << file("after.npy", npyBytes(good.trimmed() + " junk", six))
                                         << int(ErrorCode::MalformedHeader) << QStringLiteral("after the dict");
    QTest::newRow("unterminated string") << file("quote.npy", npyBytes("{'descr': '<f4}", six))
                                         << int(ErrorCode::MalformedHeader) << QStringLiteral("unterminated");
    QTest::newRow("lower-case false") << file("false.npy", npyBytes(dict("'<f4'", "false", "(2, 3)"), six))
                                      << int(ErrorCode::MalformedHeader) << QStringLiteral("unknown name 'false'");
    QTest::newRow("deep nesting") << file("deep.npy", npyBytes(QByteArray(5000, '('), six))
                                  << int(ErrorCode::MalformedHeader) << QStringLiteral("nesting");
    QTest::newRow("missing 'shape'") << file("noshape.npy", npyBytes("{'descr': '<f4', 'fortran_order': False}", six))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("'shape' is missing");
    QTest::newRow("unexpected key") << file(
        "extra.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", six))
                                    << int(ErrorCode::MalformedHeader) << QStringLiteral("unexpected key 'x'");
    QTest::newRow("key twice") << file(
        "twice.npy", npyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", six))
                               << int(ErrorCode::MalformedHeader) << QStringLiteral("twice");
    QTest::newRow("descr not a string") << file("descr.npy", npyBytes(dict("4", "False", "(2, 3)"), six))
                                        << int(ErrorCode::MalformedHeader) << QStringLiteral("'descr'");
    QTest::newRow("fortran_order not a bool") << file("fortran.npy", npyBytes(dict("'<f4'", "'no'", "(2, 3)"), six))
                                              << int(ErrorCode::MalformedHeader) << QStringLiteral("'fortran_order'");
    QTest::newRow("shape is a list") << file("shapelist.npy", npyBytes(dict("'<f4'", "False", "[2, 3]"), six))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("not a tuple");
    QTest::newRow("negative dimension") << file("neg.npy", npyBytes(dict("'<f4'", "False", "(-2, 3)"), six))
                                        << int(ErrorCode::MalformedHeader) << QStringLiteral("non-negative");
    QTest::newRow("float dimension") << file("float.npy", npyBytes(dict("'<f4'", "False", "(2.0, 3)"), six))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("only integers");
    QTest::newRow("dimension beyond int64")
        << file("bigint.npy", npyBytes(dict("'<f4'", "False", "(99999999999999999999, 3)"), six))
        << int(ErrorCode::MalformedHeader) << QStringLiteral("too large");
    QTest::newRow("byte size overflows") << file(
        "overflow.npy", npyBytes(dict("'<f8'", "False", "(4294967296, 4294967296)"), six))
                                         << int(ErrorCode::SizeMismatch) << QStringLiteral("2^63");
    QTest::newRow("complex64") << file("c8.npy", npyBytes(dict("'<c8'", "False", "(2, 3)"), six))
                               << int(ErrorCode::UnsupportedDtype) << QStringLiteral("'<c8'");

    // The data.
    QTest::newRow("one float short") << file("trunc.npy", npyBytes(good, floats({1, 2, 3, 4, 5})))
                                     << int(ErrorCode::TruncatedFile) << QStringLiteral("data is 20 bytes");
    QTest::newRow("bytes after the data")
        << file("trailing.npy", npyBytes(good, six + floats({7, 8}))) << int(ErrorCode::SizeMismatch)
        << QStringLiteral("8 bytes after the data of shape (2, 3) (an interrupted write?)");
}

void TestNpyFile::rejectsBadFiles()
{
    QFETCH(QString, path);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    for (int call = 0; call < 2; ++call) { // npyMatrixShape validates exactly like readNpyMatrix
        try {
            if (call == 0)
                readNpyMatrix(path.toStdString());
            else
                npyMatrixShape(path.toStdString());
            QFAIL("no error");
        } catch (const Error &e) {
            const QString what = QString::fromUtf8(e.what());
            QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode(code)));
            QCOMPARE(QString::fromStdString(e.file()), path);
            QVERIFY2(what.startsWith(path + QStringLiteral(": ")), qPrintable(what));
            QVERIFY2(what.contains(mentions), qPrintable(what));
            QVERIFY(!what.contains(QLatin1Char('\n')));
        }
    }
}

// ------------------------------------------------------------------ writing

void TestNpyFile::roundTrip_data()
{
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::newRow("3 x 4") << qint64(3) << qint64(4);
    QTest::newRow("one 768-d embedding") << qint64(1) << qint64(768);
    QTest::newRow("no rows") << qint64(0) << qint64(5);
    QTest::newRow("1000 x 1152") << qint64(1000) << qint64(1152);
}

void TestNpyFile::roundTrip()
{
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    FloatMatrix m = randomMatrix(rows, cols, 7);
    if (m.data.size() >= 4) { // special values survive bit for bit
        m.data[0] = -0.0f;
        m.data[1] = std::numeric_limits<float>::infinity();
        m.data[2] = std::numeric_limits<float>::quiet_NaN();
        m.data[3] = std::numeric_limits<float>::denorm_min();
    }
    const std::string path = scratchPath(QStringLiteral("roundtrip.npy"));
    writeNpyMatrix(path, m);
    QVERIFY(sameBits(readNpyMatrix(path), m));
    QCOMPARE(npyMatrixShape(path), (std::pair<std::int64_t, std::int64_t>(rows, cols)));
}

void TestNpyFile::writtenHeaderHasNumpyLayout()
{
    const std::string path = scratchPath(QStringLiteral("layout.npy"));
    writeNpyMatrix(path, randomMatrix(2, 3, 1));
    const QByteArray bytes = testsupport::readFileBytes(QString::fromStdString(path));
    QVERIFY(bytes.startsWith(QByteArray("\x93NUMPY\x01\x00", 8)));
    const int headerLength = quint8(bytes[8]) | quint8(bytes[9]) << 8;
    const int dataOffset = 10 + headerLength;
    QCOMPARE(dataOffset % 64, 0); // aligned like NumPy's own files
    QCOMPARE(bytes.size(), dataOffset + 2 * 3 * 4);
    const QByteArray header = bytes.mid(10, headerLength);
    QVERIFY(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
    QVERIFY(header.endsWith('\n'));
    // The padding leaves room for a 20-digit row count (so the appender can grow it in place).
    const int dictLength = int(std::strlen("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
    QVERIFY(headerLength - 1 - dictLength >= 20 - 1);
}

void TestNpyFile::writeReplacesAtomically()
{
    const QString dir = testsupport::scratchDir(QStringLiteral("atomic"));
    const std::string path = (dir + QStringLiteral("/v.npy")).toStdString();
    writeNpyMatrix(path, randomMatrix(5, 8, 1));
    const FloatMatrix second = randomMatrix(3, 8, 2);
    writeNpyMatrix(path, second);
    QVERIFY(sameBits(readNpyMatrix(path), second));
    QCOMPARE(QDir(dir).entryList(QDir::Files), QStringList{QStringLiteral("v.npy")}); // no temporary left behind
}

void TestNpyFile::writeIntoMissingFolderFails()
{
    const std::string path = "/nonexistent-folder/v.npy";
    try {
        writeNpyMatrix(path, randomMatrix(1, 2, 1));
        QFAIL("no error");
    } catch (const Error &e) {
        QCOMPARE(e.file(), path);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("cannot create")));
    }
}

// ------------------------------------------------------------------ appending

void TestNpyFile::appenderAppendsAndCommits()
{
    const std::string path = scratchPath(QStringLiteral("append.npy"));
    const FloatMatrix all = randomMatrix(5, 16, 3);
    auto appender = NpyAppender::open(path, 16, 0);
    QCOMPARE(appender.cols(), std::int64_t(16));
    QCOMPARE(appender.rows(), std::int64_t(0));
    QCOMPARE(npyMatrixShape(path), (std::pair<std::int64_t, std::int64_t>(0, 16))); // a valid empty matrix at once

    appender.append(all.row(0).data(), 3);
    QCOMPARE(appender.rows(), std::int64_t(3));
    appender.commit();
    QVERIFY(sameBits(readNpyMatrix(path), rowsOf(all, 0, 3)));

    appender.append(all.row(3).data(), 1);
    appender.append(all.row(4).data(), 1);
    appender.append(all.row(4).data(), 0); // nothing
    appender.commit();
    QCOMPARE(appender.rows(), std::int64_t(5));
    QVERIFY(sameBits(readNpyMatrix(path), all));

    // Moving keeps the file open and appending.
    NpyAppender moved = std::move(appender);
    moved.append(all.row(0).data(), 1);
    moved.commit();
    QCOMPARE(npyMatrixShape(path), (std::pair<std::int64_t, std::int64_t>(6, 16)));
}

void TestNpyFile::appenderMatchesWriter()
{
    // A committed appender file is byte for byte what writeNpyMatrix writes: same header, same padding.
    const FloatMatrix m = randomMatrix(7, 33, 4);
    const std::string appended = scratchPath(QStringLiteral("a.npy"));
    const std::string written = scratchPath(QStringLiteral("w.npy"));
    {
        auto appender = NpyAppender::open(appended, 33, 0);
        appender.append(m.data.data(), 7);
        appender.commit();
    }
    writeNpyMatrix(written, m);
    QCOMPARE(testsupport::readFileBytes(QString::fromStdString(appended)),
        testsupport::readFileBytes(QString::fromStdString(written)));
}

void TestNpyFile::uncommittedRowsAreTrailingBytes()
{
    const std::string path = scratchPath(QStringLiteral("uncommitted.npy"));
    const FloatMatrix all = randomMatrix(5, 8, 5);
    {
        auto appender = NpyAppender::open(path, 8, 0);
        appender.append(all.data.data(), 2);
        appender.commit();
        appender.append(all.row(2).data(), 3); // never committed: the destructor does not commit
    }
    // NumPy would load the 2 committed rows and ignore the rest; readNpyMatrix says what happened.
    try {
        readNpyMatrix(path);
        QFAIL("no error");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::SizeMismatch);
        QVERIFY2(
            QString::fromUtf8(e.what()).contains(QStringLiteral("96 bytes after the data of shape (2, 8)")), e.what());
    }
    // Reopening with the caller's record (2 rows) cuts them.
    auto appender = NpyAppender::open(path, 8, 2);
    QCOMPARE(appender.rows(), std::int64_t(2));
    QCOMPARE(fileSize(path), qint64(128 + 2 * 8 * 4));
    QVERIFY(sameBits(readNpyMatrix(path), rowsOf(all, 0, 2)));
    appender.append(all.row(2).data(), 3);
    appender.commit();
    QVERIFY(sameBits(readNpyMatrix(path), all));
}

void TestNpyFile::keepRowsTruncatesCommittedRows()
{
    // Rows committed after the caller's last record of progress (killed between commit() and
    // the caller's own bookkeeping) are dropped too.
    const std::string path = scratchPath(QStringLiteral("keep.npy"));
    const FloatMatrix all = randomMatrix(6, 4, 6);
    {
        auto appender = NpyAppender::open(path, 4, 0);
        appender.append(all.data.data(), 6);
        appender.commit();
    }
    {
        auto appender = NpyAppender::open(path, 4, 3);
        QCOMPARE(appender.rows(), std::int64_t(3));
    }
    QVERIFY(sameBits(readNpyMatrix(path), rowsOf(all, 0, 3)));
    auto again = NpyAppender::open(path, 4, 3); // idempotent
    QCOMPARE(again.rows(), std::int64_t(3));
    QVERIFY(sameBits(readNpyMatrix(path), rowsOf(all, 0, 3)));
}

void TestNpyFile::killedWriterLeavesLastCommit()
{
    // A child process appends, commits, appends more and is killed with SIGKILL before its
    // next commit: no destructor, no cleanup, exactly like a crash.
    const std::string path = scratchPath(QStringLiteral("killed.npy"));
    const FloatMatrix all = randomMatrix(10, 12, 8);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        try {
            auto appender = NpyAppender::open(path, 12, 0);
            appender.append(all.data.data(), 4);
            appender.commit();
            appender.append(all.row(4).data(), 6);
            appender.append(all.row(4).data(), 1); // a partial last row would look the same to open()
        } catch (...) {
            ::_exit(3);
        }
        ::raise(SIGKILL);
        ::_exit(4);
    }
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    QVERIFY(fileSize(path) > 128 + 4 * 12 * 4); // the uncommitted rows did reach the file
    auto appender = NpyAppender::open(path, 12, 4);
    QCOMPARE(appender.rows(), std::int64_t(4));
    QVERIFY(sameBits(readNpyMatrix(path), rowsOf(all, 0, 4)));
    appender.append(all.row(4).data(), 6);
    appender.commit();
    QVERIFY(sameBits(readNpyMatrix(path), all));
}

void TestNpyFile::appenderRefuses_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<qint64>("cols");
    QTest::addColumn<qint64>("keepRows");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");

    const std::string threeRows = scratchPath(QStringLiteral("three.npy"));
    writeNpyMatrix(threeRows, randomMatrix(3, 4, 9));
    const QString three = QString::fromStdString(threeRows);
    QTest::newRow("fewer rows than expected") << three << qint64(4) << qint64(5) << int(ErrorCode::SizeMismatch)
                                              << QStringLiteral("3 committed rows, fewer than the 5 expected");
    QTest::newRow("other column count") << three << qint64(5) << qint64(3) << int(ErrorCode::WrongShape)
                                        << QStringLiteral("file has 4 columns, expected 5");
    QTest::newRow("missing file but rows expected")
        << QString::fromStdString(scratchPath(QStringLiteral("missing.npy"))) << qint64(4) << qint64(2)
        << int(ErrorCode::FileNotFound) << QStringLiteral("2 rows were expected");
    const QString float64 = QString::fromStdString(scratchPath(QStringLiteral("f8.npy")));
    QFile::remove(float64);
    QFile::copy(fixture("f8_3x4.npy"), float64);
    QTest::newRow("float64 file") << float64 << qint64(4) << qint64(3) << int(ErrorCode::UnsupportedDtype)
                                  << QStringLiteral("'<f8'");
    QTest::newRow("header data truncated")
        << testsupport::writeScratchFile(
               QStringLiteral("trunc-append.npy"), npyBytes(dict("'<f4'", "False", "(2, 3)"), floats({1, 2, 3, 4, 5})))
        << qint64(3) << qint64(1) << int(ErrorCode::TruncatedFile) << QStringLiteral("data is 20 bytes");
    QTest::newRow("header without room to grow") << testsupport::writeScratchFile(
        QStringLiteral("tight.npy"), npyBytes("{'descr':'<f4','fortran_order':False,'shape':(1,1)}\n", floats({1})))
                                                 << qint64(1) << qint64(1) << int(ErrorCode::Unsupported)
                                                 << QStringLiteral("no room");
    QTest::newRow("zero columns") << QString::fromStdString(scratchPath(QStringLiteral("zero.npy"))) << qint64(0)
                                  << qint64(0) << int(ErrorCode::InvalidArgument) << QStringLiteral("0 columns");
}

void TestNpyFile::appenderRefuses()
{
    QFETCH(QString, path);
    QFETCH(qint64, cols);
    QFETCH(qint64, keepRows);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    const QByteArray before = QFile::exists(path) ? testsupport::readFileBytes(path) : QByteArray();
    try {
        NpyAppender::open(path.toStdString(), cols, keepRows);
        QFAIL("no error");
    } catch (const Error &e) {
        QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode(code)));
        QCOMPARE(QString::fromStdString(e.file()), path);
        QVERIFY2(QString::fromUtf8(e.what()).contains(mentions), e.what());
    }
    // A refused open changes nothing (and creates nothing).
    QCOMPARE(QFile::exists(path) ? testsupport::readFileBytes(path) : QByteArray(), before);
}

void TestNpyFile::secondWriterIsRefused()
{
    const std::string path = scratchPath(QStringLiteral("locked.npy"));
    auto first = NpyAppender::open(path, 3, 0);
    try {
        NpyAppender::open(path, 3, 0);
        QFAIL("no error");
    } catch (const Error &e) {
        QCOMPARE(e.file(), path);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("another writer")));
    }
    first = NpyAppender::open(scratchPath(QStringLiteral("other.npy")), 3, 0); // releases the lock
    auto second = NpyAppender::open(path, 3, 0);
    QCOMPARE(second.rows(), std::int64_t(0));
}

void TestNpyFile::appendsToNumpyWrittenFile()
{
    // NumPy leaves room in its header for the first axis to grow: the appender can continue its files.
    const std::string path = scratchPath(QStringLiteral("from-numpy.npy"));
    QVERIFY(QFile::copy(fixture("f4_3x4.npy"), QString::fromStdString(path)));
    QFile::setPermissions(QString::fromStdString(path), QFile::ReadOwner | QFile::WriteOwner);
    {
        auto appender = NpyAppender::open(path, 4, 3);
        const float row[4] = {9, 8, 7, 6};
        appender.append(row, 1);
        appender.commit();
    }
    const FloatMatrix m = readNpyMatrix(path);
    QCOMPARE(m.rows, std::int64_t(4));
    for (std::int64_t c = 0; c < 4; ++c) {
        QCOMPARE(bits(m.at(0, c)), bits(fixtureValue(0, c, 4)));
        QCOMPARE(bits(m.at(2, c)), bits(fixtureValue(2, c, 4)));
        QCOMPARE(bits(m.at(3, c)), bits(float(9 - c)));
    }
}

QTEST_MAIN(TestNpyFile)
#include "tst_npyfile.moc"
