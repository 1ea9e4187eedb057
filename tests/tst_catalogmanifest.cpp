// CatalogManifest: good CSV and JSON Lines files (quoting, BOM, line endings, numbers, nesting,
// attribute order), one rejected row per validation rule with its line and reason, the fatal
// errors, strict mode, image path resolution, the rejected-rows report and a 100,000-row file.
#include "core/Error.h"
#include "core/catalog/CatalogManifest.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <optional>

using namespace lookalike;
using Attributes = std::vector<std::pair<std::string, std::string>>;

Q_DECLARE_METATYPE(ManifestFormat)

namespace {

using testsupport::errorOf;

std::filesystem::path fsPath(const QString &path)
{
    return std::filesystem::path(path.toStdString());
}

void writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
}

// A reader for the report, independent of the one under test: RFC 4180, LF line ends.
std::vector<std::vector<std::string>> parseCsv(const QByteArray &bytes)
{
    std::vector<std::vector<std::string>> records(1);
    std::string cell;
    bool quoted = false;
    bool hasCell = false;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (quoted) {
            if (c == '"' && i + 1 < bytes.size() && bytes[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
            hasCell = true;
        } else if (c == ',') {
            records.back().push_back(cell);
            cell.clear();
            hasCell = true;
        } else if (c == '\n') {
            records.back().push_back(cell);
            cell.clear();
            hasCell = false;
            records.emplace_back();
        } else {
            cell += c;
            hasCell = true;
        }
    }
    if (hasCell)
        records.back().push_back(cell);
    if (records.back().empty())
        records.pop_back();
    return records;
}

} // namespace

class TestCatalogManifest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void csvGoodFile();
    void csvLineEndings_data();
    void csvLineEndings();
    void attributesKeptInManifestOrder();
    void jsonLinesGoodFile();
    void rejectsBadRows_data();
    void rejectsBadRows();
    void unreadableImageIsRejected();
    void fatalErrors_data();
    void fatalErrors();
    void strictModeTurnsFirstRejectionIntoError();
    void imagePathsRelativeAndAbsolute();
    void formatDetection_data();
    void formatDetection();
    void rejectedRowsReportRoundTrip();
    void hundredThousandRows_data();
    void hundredThousandRows();

private:
    // A manifest file in the scratch folder next to the test images.
    QString manifest(const QString &name, const QByteArray &content) const
    {
        const QString path = m_dir + QLatin1Char('/') + name;
        writeFile(path, content);
        return path;
    }
    std::string inDir(const char *name) const { return (m_dir + QLatin1Char('/') + QLatin1String(name)).toStdString(); }

    QString m_dir;
    int m_counter = 0;
};

void TestCatalogManifest::initTestCase()
{
    m_dir = testsupport::scratchDir(QStringLiteral("catalog"));
    const QByteArray png
        = testsupport::readFileBytes(testsupport::refDir() + QStringLiteral("/images/img4_rgb_32x32.png"));
    QVERIFY(png.startsWith("\x89PNG"));
    writeFile(m_dir + QStringLiteral("/good.png"), png);
    writeFile(m_dir + QStringLiteral("/empty.png"), QByteArray());
    writeFile(m_dir + QStringLiteral("/notimage.jpg"), "<html>404 not found</html>");
    writeFile(m_dir + QStringLiteral("/anim.gif"), QByteArray("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14));
    writeFile(m_dir + QStringLiteral("/photo.heic"),
        QByteArray("\0\0\0\x18"
                   "ftypheic\0\0\0\0",
            16));
    writeFile(m_dir + QStringLiteral("/icon.ico"), QByteArray("\0\0\1\0\1\0\x10\x10\0\0\1\0\x20\0\0\0", 16));
    writeFile(m_dir + QStringLiteral("/tiny.bmp"), QByteArray("BM") + QByteArray(60, '\0'));
    writeFile(m_dir + QStringLiteral("/gray.pgm"), "P5\n2 2\n255\n\x01\x02\x03\x04");
    QVERIFY(QDir(m_dir).mkdir(QStringLiteral("folder.png")));
}

void TestCatalogManifest::csvGoodFile()
{
    // BOM, CRLF, padded and upper-case header names, quoted commas, doubled quotes, line breaks
    // inside quotes (record on lines 4-5), a blank line in the middle and blank lines at the end.
    const QByteArray csv = "\xEF\xBB\xBF ID , Image ,TITLE,Category,URL,colour,material\r\n"
                           "A-1,good.png,\"Shirt, red\",Tops,https://ex.com/a1,red,cotton\r\n"
                           "A-2,good.png,\"The \"\"Best\"\" Mug\",Kitchen,,white,\r\n"
                           "A-3,good.png,\"Two\r\nline title\",,,\"blue,green\",wool\r\n"
                           "\r\n"
                           "  A-4 ,  good.png  ,  Padded  ,Misc,,black,steel\r\n"
                           "\r\n\r\n";
    const auto r = readCatalogManifest(fsPath(manifest(QStringLiteral("good.csv"), csv)));
    QCOMPARE(r.format, ManifestFormat::Csv);
    QVERIFY(r.rejected.empty());
    QCOMPARE(r.columns, (std::vector<std::string>{"id", "image", "title", "category", "url", "colour", "material"}));
    QCOMPARE(r.rows.size(), std::size_t(4));

    QCOMPARE(r.rows[0].line, 2);
    QCOMPARE(r.rows[0].id, std::string("A-1"));
    QCOMPARE(r.rows[0].image, fsPath(m_dir + QStringLiteral("/good.png")));
    QVERIFY(r.rows[0].image.is_absolute());
    QCOMPARE(r.rows[0].title, std::string("Shirt, red"));
    QCOMPARE(r.rows[0].category, std::string("Tops"));
    QCOMPARE(r.rows[0].url, std::string("https://ex.com/a1"));
    QCOMPARE(r.rows[0].attributes, (Attributes{{"colour", "red"}, {"material", "cotton"}}));

    QCOMPARE(r.rows[1].line, 3);
    QCOMPARE(r.rows[1].title, std::string("The \"Best\" Mug"));
    QCOMPARE(r.rows[1].url, std::string());
    QCOMPARE(r.rows[1].attributes, (Attributes{{"colour", "white"}})); // the empty material is left out

    QCOMPARE(r.rows[2].line, 4);
    QCOMPARE(r.rows[2].title, std::string("Two\r\nline title"));
    QCOMPARE(r.rows[2].category, std::string());
    QCOMPARE(r.rows[2].attributes, (Attributes{{"colour", "blue,green"}, {"material", "wool"}}));

    QCOMPARE(r.rows[3].line, 7); // after the two-line record and the blank line 6
    QCOMPARE(r.rows[3].id, std::string("A-4"));
    QCOMPARE(r.rows[3].title, std::string("Padded"));
    QCOMPARE(r.rows[3].image, fsPath(m_dir + QStringLiteral("/good.png")));
}

void TestCatalogManifest::csvLineEndings_data()
{
    QTest::addColumn<QByteArray>("eol");
    QTest::newRow("LF") << QByteArray("\n");
    QTest::newRow("CRLF") << QByteArray("\r\n");
    QTest::newRow("lone CR (old Mac Excel)") << QByteArray("\r");
}

void TestCatalogManifest::csvLineEndings()
{
    QFETCH(QByteArray, eol);
    const QByteArray csv = "id,image,title" + eol + "a,good.png,\"one" + eol + "two" + eol + "three\"" + eol
        + "b,good.png,B" + eol + eol + "c,good.png,\"C\"";
    const auto r = readCatalogManifest(fsPath(manifest(QStringLiteral("eol%1.csv").arg(++m_counter), csv)));
    QVERIFY(r.rejected.empty());
    QCOMPARE(r.rows.size(), std::size_t(3));
    QCOMPARE(r.rows[0].line, 2);
    QCOMPARE(QByteArray::fromStdString(r.rows[0].title), "one" + eol + "two" + eol + "three");
    QCOMPARE(r.rows[1].line, 5);
    QCOMPARE(r.rows[2].line, 7); // the last record has no line end
    QCOMPARE(r.rows[2].title, std::string("C"));
}

void TestCatalogManifest::attributesKeptInManifestOrder()
{
    const auto csv = readCatalogManifest(fsPath(
        manifest(QStringLiteral("order.csv"), "zeta,id,alpha,image,mid,title,beta\nz,A,a,good.png,m,Title,b\n")));
    QCOMPARE(csv.columns, (std::vector<std::string>{"zeta", "id", "alpha", "image", "mid", "title", "beta"}));
    QCOMPARE(csv.rows.size(), std::size_t(1));
    QCOMPARE(csv.rows[0].attributes, (Attributes{{"zeta", "z"}, {"alpha", "a"}, {"mid", "m"}, {"beta", "b"}}));

    // JSON keys in the order written, not sorted (QJsonObject would sort them).
    const auto jsonl = readCatalogManifest(fsPath(manifest(QStringLiteral("order.jsonl"),
        R"({"zeta": "z", "id": "A", "alpha": "a", "image": "good.png", "mid": "m", "title": "T", "beta": "b"})"
        "\n")));
    QCOMPARE(jsonl.rows.size(), std::size_t(1));
    QCOMPARE(jsonl.rows[0].attributes, (Attributes{{"zeta", "z"}, {"alpha", "a"}, {"mid", "m"}, {"beta", "b"}}));
}

void TestCatalogManifest::jsonLinesGoodFile()
{
    const QByteArray jsonl
        = R"({"id": 123, "image": "good.png", "title": "Mug", "price": 9.50, "in_stock": true, "tags": ["a", "b c"], "dims": {"w": 10, "h": 2.50, "n": null}, "note": null})"
          "\n"
          "\n"
          R"({"title": "Big id", "id": 12345678901234567890, "image": "good.png", "size": 1e3, "ratio": 0.1, "tiny": 1.5e-7})"
          "\r\n"
          "   \t\n"
          R"({"ID": 1.0, " Image ": "good.png", "Title": "Caf\u00e9 \ud83d\ude00", "category": "Kitchen", "url": "https://x/1", "escaped": "a\"b\\c\/d\ne", "on_sale": false})"
          "\n";
    const auto r = readCatalogManifest(fsPath(manifest(QStringLiteral("good.jsonl"), jsonl)));
    QCOMPARE(r.format, ManifestFormat::JsonLines);
    QVERIFY(r.rejected.empty());
    QCOMPARE(r.columns,
        (std::vector<std::string>{"id", "image", "title", "price", "in_stock", "tags", "dims", "note", "size", "ratio",
            "tiny", "category", "url", "escaped", "on_sale"}));
    QCOMPARE(r.rows.size(), std::size_t(3));

    QCOMPARE(r.rows[0].line, 1);
    QCOMPARE(r.rows[0].id, std::string("123"));
    QCOMPARE(r.rows[0].image, fsPath(m_dir + QStringLiteral("/good.png")));
    QCOMPARE(r.rows[0].attributes,
        (Attributes{{"price", "9.5"}, {"in_stock", "true"}, {"tags", R"(["a","b c"])"},
            {"dims", R"({"w":10,"h":2.50,"n":null})"}})); // note: null = absent

    QCOMPARE(r.rows[1].line, 3);
    QCOMPARE(r.rows[1].id, std::string("12345678901234567890")); // digit for digit, no double rounding
    QCOMPARE(r.rows[1].title, std::string("Big id"));
    QCOMPARE(r.rows[1].attributes, (Attributes{{"size", "1000"}, {"ratio", "0.1"}, {"tiny", "1.5e-07"}}));

    QCOMPARE(r.rows[2].line, 5);
    QCOMPARE(r.rows[2].id, std::string("1"));
    QCOMPARE(r.rows[2].title, std::string("Caf\xC3\xA9 \xF0\x9F\x98\x80"));
    QCOMPARE(r.rows[2].category, std::string("Kitchen"));
    QCOMPARE(r.rows[2].url, std::string("https://x/1"));
    QCOMPARE(r.rows[2].attributes, (Attributes{{"escaped", "a\"b\\c/d\ne"}, {"on_sale", "false"}}));
}

void TestCatalogManifest::rejectsBadRows_data()
{
    // Each manifest starts with one good row (id "A"; CSV line 2, JSON Lines line 1 then a blank
    // line); `body` follows. {DIR} stands for the scratch folder.
    QTest::addColumn<QString>("format");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("goodRows");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("reason");

    QTest::newRow("csv: missing title") << "csv" << QByteArray("B,good.png,\n") << 1 << 3 << "B"
                                        << "missing title";
    QTest::newRow("csv: blank id") << "csv" << QByteArray("  ,good.png,T\n") << 1 << 3 << ""
                                   << "missing id";
    QTest::newRow("csv: nothing but an id") << "csv" << QByteArray("B,,\n") << 1 << 3 << "B"
                                            << "missing image and title";
    QTest::newRow("csv: too few cells") << "csv" << QByteArray("B,good.png\n") << 1 << 3 << "B"
                                        << "2 cells, but the header has 3 columns";
    QTest::newRow("csv: too many cells (unquoted comma)")
        << "csv" << QByteArray("B,good.png,Shirt, red\n") << 1 << 3 << "B"
        << "4 cells, but the header has 3 columns";
    QTest::newRow("csv: duplicate id names the first line")
        << "csv" << QByteArray("B,good.png,B\n A ,good.png,Again\n") << 2 << 4 << "A"
        << "duplicate id 'A' (first on line 2)";
    // Ids that could be imported but never exported to TREC files.
    QTest::newRow("csv: id with a space") << "csv" << QByteArray("id with space,good.png,T\n") << 1 << 3
                                          << "id with space" << "id holds a space (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: id with #") << "csv" << QByteArray("A#2,good.png,T\n") << 1 << 3 << "A#2"
                                    << "id holds '#' (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: id with a tab") << "csv" << QByteArray("B\tC,good.png,T\n") << 1 << 3 << "B\tC"
                                        << "id holds a tab (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: id with a line break") << "csv" << QByteArray("\"B\nC\",good.png,T\n") << 1 << 3
                                               << "B\nC" << "id holds a line break (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: id with a NUL") << "csv" << QByteArray("B\0C,good.png,T\n", 15) << 1 << 3
                                        << QString::fromUtf8("B\0C", 3) << "id holds a NUL byte (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: a 100 KB id is cut in the report")
        << "csv" << QByteArray(100000, 'X') + QByteArray(" y,good.png,T\n") << 1 << 3
        << QString(200, QLatin1Char('X')) + QStringLiteral("... (100002 bytes)")
        << "id holds a space (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("jsonl: id with a space") << "jsonl" << QByteArray("{\"id\":\"B C\",\"image\":\"good.png\",\"title\":\"T\"}\n")
                                            << 1 << 3 << "B C" << "id holds a space (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    QTest::newRow("csv: missing image") << "csv" << QByteArray("B,nope.png,T\n") << 1 << 3 << "B"
                                        << "image not found: {DIR}/nope.png";
    QTest::newRow("csv: image is a directory") << "csv" << QByteArray("B,folder.png,T\n") << 1 << 3 << "B"
                                               << "image is a folder, not a regular file: {DIR}/folder.png";
    QTest::newRow("csv: empty image") << "csv" << QByteArray("B,empty.png,T\n") << 1 << 3 << "B"
                                      << "image is empty: {DIR}/empty.png";
    QTest::newRow("csv: HTML saved as .jpg") << "csv" << QByteArray("B,notimage.jpg,T\n") << 1 << 3 << "B"
                                             << "not an image (unknown format): {DIR}/notimage.jpg";
    QTest::newRow("csv: GIF") << "csv" << QByteArray("B,anim.gif,T\n") << 1 << 3 << "B"
                              << "GIF images are not supported: {DIR}/anim.gif";
    QTest::newRow("csv: HEIC") << "csv" << QByteArray("B,photo.heic,T\n") << 1 << 3 << "B"
                               << "HEIF/HEIC images are not supported: {DIR}/photo.heic";
    // The import and the decoder share one signature table (ImageDecoder.h): an icon is named.
    QTest::newRow("csv: ICO") << "csv" << QByteArray("B,icon.ico,T\n") << 1 << 3 << "B"
                              << "ICO images are not supported: {DIR}/icon.ico";
    QTest::newRow("csv: non-UTF-8 title (Latin-1)")
        << "csv" << QByteArray("B,good.png,Caf\xE9 au lait\n") << 1 << 3 << "B"
        << "invalid UTF-8 in column 'title' at byte 3";
    QTest::newRow("csv: text after a closing quote")
        << "csv" << QByteArray("B,good.png,\"Title\" extra\n") << 1 << 3 << "B"
        << "text after the closing quote in cell 3";
    QTest::newRow("csv: unterminated quote swallows the rest")
        << "csv" << QByteArray("B,good.png,\"Unclosed\nC,good.png,C\n") << 1 << 3 << "B"
        << "unterminated quoted field: the quote opened on line 3 is never closed (the rest of the file is part of "
           "this record)";

    QTest::newRow("jsonl: missing title (null)")
        << "jsonl" << QByteArray(R"({"id": "B", "image": "good.png", "title": null})") << 1 << 3 << "B"
        << "missing title";
    QTest::newRow("jsonl: empty id") << "jsonl" << QByteArray(R"({"id": " ", "image": "good.png", "title": "T"})") << 1
                                     << 3 << ""
                                     << "missing id";
    QTest::newRow("jsonl: duplicate numeric and string id")
        << "jsonl"
        << QByteArray("{\"id\": 7, \"image\": \"good.png\", \"title\": \"T\"}\n"
                      "{\"id\": \"7\", \"image\": \"good.png\", \"title\": \"U\"}")
        << 2 << 4 << "7"
        << "duplicate id '7' (first on line 3)";
    QTest::newRow("jsonl: non-UTF-8 title")
        << "jsonl" << QByteArray("{\"id\": \"B\", \"image\": \"good.png\", \"title\": \"Caf\xE9\"}") << 1 << 3 << "B"
        << "invalid UTF-8 in key 'title' at byte 3";
    QTest::newRow("jsonl: bad JSON (missing comma)")
        << "jsonl" << QByteArray(R"({"id":"B" "image":"good.png","title":"T"})") << 1 << 3 << ""
        << "invalid JSON: expected ',' or '}' at column 11";
    QTest::newRow("jsonl: truncated line")
        << "jsonl" << QByteArray(R"({"id":"B","image":"good.png","title":"T)") << 1 << 3 << ""
        << "invalid JSON: unterminated string at column 40";
    QTest::newRow("jsonl: array instead of object")
        << "jsonl" << QByteArray(R"(["B", "good.png", "T"])") << 1 << 3 << ""
        << "invalid JSON: not a JSON object (the line holds an array) at column 1";
    QTest::newRow("jsonl: lone surrogate")
        << "jsonl" << QByteArray(R"({"id":"B","image":"good.png","title":"\ud800x"})") << 1 << 3 << ""
        << "invalid JSON: unpaired surrogate in a \\u escape at column 45";
    QTest::newRow("jsonl: title is an object")
        << "jsonl" << QByteArray(R"({"id":"B","image":"good.png","title":{"en":"T"}})") << 1 << 3 << "B"
        << "key 'title' must be text, not an object";
    QTest::newRow("jsonl: duplicate key (case-insensitive)")
        << "jsonl" << QByteArray(R"({"id":"B","image":"good.png","title":"T","Title":"U"})") << 1 << 3 << "B"
        << "duplicate key 'Title'";
    QTest::newRow("jsonl: missing image")
        << "jsonl" << QByteArray(R"({"id":"B","image":"sub/../nope.png","title":"T"})") << 1 << 3 << "B"
        << "image not found: {DIR}/nope.png";
}

void TestCatalogManifest::rejectsBadRows()
{
    QFETCH(QString, format);
    QFETCH(QByteArray, body);
    QFETCH(int, goodRows);
    QFETCH(int, line);
    QFETCH(QString, id);
    QFETCH(QString, reason);

    const bool csv = format == QLatin1String("csv");
    const QByteArray content = csv ? "id,image,title\nA,good.png,Good\n" + body
                                   : "{\"id\": \"A\", \"image\": \"good.png\", \"title\": \"Good\"}\n\n" + body + "\n";
    const QString path = manifest(QStringLiteral("bad%1.%2").arg(++m_counter).arg(format), content);
    const auto r = readCatalogManifest(fsPath(path));
    QCOMPARE(r.rows.size(), std::size_t(goodRows));
    QCOMPARE(r.rows[0].id, std::string("A"));
    QCOMPARE(r.rejected.size(), std::size_t(1));
    QCOMPARE(r.rejected[0].line, line);
    QCOMPARE(QString::fromStdString(r.rejected[0].id), id);
    QCOMPARE(QString::fromStdString(r.rejected[0].reason), QString(reason).replace(QStringLiteral("{DIR}"), m_dir));
}

void TestCatalogManifest::unreadableImageIsRejected()
{
    const QString image = m_dir + QStringLiteral("/locked.png");
    writeFile(image, testsupport::readFileBytes(m_dir + QStringLiteral("/good.png")));
    QVERIFY(QFile::setPermissions(image, QFileDevice::WriteOwner));
    if (QFile(image).open(QIODevice::ReadOnly))
        QSKIP("running as root: permissions do not stop reading");
    const auto r
        = readCatalogManifest(fsPath(manifest(QStringLiteral("locked.csv"), "id,image,title\nL,locked.png,T\n")));
    QCOMPARE(r.rejected.size(), std::size_t(1));
    QCOMPARE(r.rejected[0].reason, "image unreadable: " + image.toStdString() + " (permission denied)");
}

void TestCatalogManifest::fatalErrors_data()
{
    // {FILE} stands for the manifest's path.
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const int bad = int(ErrorCode::BadManifest);

    QTest::newRow("missing file") << "absent.csv" << QByteArray() << int(ErrorCode::FileNotFound)
                                  << "{FILE}: file not found";
    QTest::newRow("a directory") << "folder.png" << QByteArray() << int(ErrorCode::FileUnreadable)
                                 << "{FILE}: is a directory, not a manifest file";
    QTest::newRow("empty CSV") << "empty.csv" << QByteArray("\xEF\xBB\xBF\n\n") << bad
                               << "{FILE}: the manifest is empty (a CSV header row is needed)";
    QTest::newRow("header without title")
        << "notitle.csv" << QByteArray("id,image,name\nA,good.png,x\n") << bad
        << "{FILE}: line 1 (header): the header has no title column (columns: id, image, name)";
    QTest::newRow("header without image and title, after blank lines")
        << "noimage.csv" << QByteArray("\n\nID,Name\nA,x\n") << bad
        << "{FILE}: line 3 (header): the header has no image and title columns (columns: id, Name)";
    QTest::newRow("duplicate header (case-insensitive)")
        << "duphead.csv" << QByteArray("id,image,Title,title\n") << bad
        << "{FILE}: line 1 (header): duplicate column 'title' (columns 3 and 4)";
    QTest::newRow("semicolon-separated")
        << "semi.csv" << QByteArray("id;image;title\nA;good.png;T\n") << bad
        << "{FILE}: line 1 (header): the header has no id, image and title columns (columns: id;image;title); the "
           "cells must be separated by commas";
    QTest::newRow("non-UTF-8 header") << "latin1.csv" << QByteArray("id,image,title,d\xE9tail\n") << bad
                                      << "{FILE}: line 1 (header): invalid UTF-8 in the name of column 4 at byte 1";
    QTest::newRow("JSON Lines without any title key")
        << "notitle.jsonl"
        << QByteArray("{\"id\": 1, \"image\": \"a.png\", \"name\": \"x\"}\n{\"id\": 2, \"image\": \"b.png\"}\n") << bad
        << "{FILE}: no row has the key 'title' (keys: id, image, name)";
    QTest::newRow("a JSON array, not JSON Lines")
        << "array.json" << QByteArray("[{\"id\": 1, \"image\": \"a.png\", \"title\": \"x\"}]\n") << bad
        << "{FILE}: line 1: not JSON Lines (one JSON object per line): invalid JSON: not a JSON object (the line "
           "holds an array) at column 1";
    QTest::newRow("empty JSON Lines") << "blank.jsonl" << QByteArray("\n  \n") << bad
                                      << "{FILE}: the manifest is empty (no JSON lines)";
}

void TestCatalogManifest::fatalErrors()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QFETCH(int, code);
    QFETCH(QString, message);
    const QString path = m_dir + QLatin1Char('/') + name;
    if (!content.isEmpty() || name.startsWith(QLatin1String("empty")))
        writeFile(path, content);
    const auto e = errorOf([&] { readCatalogManifest(fsPath(path)); });
    QVERIFY(e);
    QCOMPARE(int(e->code()), code);
    QCOMPARE(QString::fromUtf8(e->what()), message.replace(QStringLiteral("{FILE}"), path));
}

void TestCatalogManifest::strictModeTurnsFirstRejectionIntoError()
{
    const QString path = manifest(QStringLiteral("catalog.csv"),
        "id,image,title\nA-1,good.png,One\nB,good.png,Two\nA-1,good.png,Again\nC,good.png,\n");
    const auto lenient = readCatalogManifest(fsPath(path));
    QCOMPARE(lenient.rows.size(), std::size_t(2));
    QCOMPARE(lenient.rejected.size(), std::size_t(2));

    ManifestOptions strict;
    strict.strict = true;
    const auto e = errorOf([&] { readCatalogManifest(fsPath(path), strict); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::BadManifest);
    QCOMPARE(std::string(e->what()), path.toStdString() + ": line 4: duplicate id 'A-1' (first on line 2)");
    QCOMPARE(e->subject(), std::string("line 4"));

    // Same in JSON Lines, with an image problem.
    const QString jsonl = manifest(QStringLiteral("catalog.jsonl"),
        "{\"id\":\"A\",\"image\":\"good.png\",\"title\":\"T\"}\n"
        "{\"id\":\"B\",\"image\":\"anim.gif\",\"title\":\"T\"}\n");
    const auto e2 = errorOf([&] { readCatalogManifest(fsPath(jsonl), strict); });
    QVERIFY(e2);
    QCOMPARE(
        std::string(e2->what()), jsonl.toStdString() + ": line 2: GIF images are not supported: " + inDir("anim.gif"));

    // A clean file passes strict mode.
    const auto clean
        = readCatalogManifest(fsPath(manifest(QStringLiteral("clean.csv"), "id,image,title\nA,good.png,T\n")), strict);
    QCOMPARE(clean.rows.size(), std::size_t(1));
}

void TestCatalogManifest::imagePathsRelativeAndAbsolute()
{
    // The manifest lives in a sub-folder; paths resolve against it, not the working directory.
    QVERIFY(QDir(m_dir).mkpath(QStringLiteral("shop/img")));
    writeFile(
        m_dir + QStringLiteral("/shop/img/x.png"), testsupport::readFileBytes(m_dir + QStringLiteral("/good.png")));
    const QByteArray csv = "id,image,title\n"
                           "up,../good.png,T\n"
                           "down,./img//x.png,T\n"
                           "absolute,"
        + (m_dir + QStringLiteral("/shop/../tiny.bmp")).toUtf8()
        + ",T\n"
          "pnm,img/../../gray.pgm,T\n";
    const QString path = m_dir + QStringLiteral("/shop/manifest.csv");
    writeFile(path, csv);
    const auto r = readCatalogManifest(fsPath(path));
    QVERIFY2(r.rejected.empty(), r.rejected.empty() ? "" : r.rejected[0].reason.c_str());
    QCOMPARE(r.rows.size(), std::size_t(4));
    QCOMPARE(r.rows[0].image, std::filesystem::path(inDir("good.png")));
    QCOMPARE(r.rows[1].image, std::filesystem::path(inDir("shop/img/x.png")));
    QCOMPARE(r.rows[2].image, std::filesystem::path(inDir("tiny.bmp")));
    QCOMPARE(r.rows[3].image, std::filesystem::path(inDir("gray.pgm")));

    // Without image checks a missing image is accepted; its path is still resolved.
    ManifestOptions noChecks;
    noChecks.checkImages = false;
    const auto unchecked = readCatalogManifest(
        fsPath(manifest(QStringLiteral("unchecked.csv"), "id,image,title\nA,later/1.jpg,T\n")), noChecks);
    QVERIFY(unchecked.rejected.empty());
    QCOMPARE(unchecked.rows[0].image, std::filesystem::path(inDir("later/1.jpg")));
}

void TestCatalogManifest::formatDetection_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<ManifestFormat>("requested");
    QTest::addColumn<ManifestFormat>("expected");
    QTest::newRow(".csv") << "f.csv" << ManifestFormat::Auto << ManifestFormat::Csv;
    QTest::newRow(".CSV") << "f2.CSV" << ManifestFormat::Auto << ManifestFormat::Csv;
    QTest::newRow(".jsonl") << "f.jsonl" << ManifestFormat::Auto << ManifestFormat::JsonLines;
    QTest::newRow(".ndjson") << "f.ndjson" << ManifestFormat::Auto << ManifestFormat::JsonLines;
    QTest::newRow(".json") << "f.json" << ManifestFormat::Auto << ManifestFormat::JsonLines;
    QTest::newRow(".txt holding JSON Lines") << "j.txt" << ManifestFormat::Auto << ManifestFormat::JsonLines;
    QTest::newRow(".txt holding CSV") << "c.txt" << ManifestFormat::Auto << ManifestFormat::Csv;
    QTest::newRow("explicit beats extension") << "j.csv" << ManifestFormat::JsonLines << ManifestFormat::JsonLines;
}

void TestCatalogManifest::formatDetection()
{
    QFETCH(QString, name);
    QFETCH(ManifestFormat, requested);
    QFETCH(ManifestFormat, expected);
    const QByteArray content = expected == ManifestFormat::Csv
        ? QByteArray("id,image,title\nA,good.png,T\n")
        : QByteArray("\xEF\xBB\xBF\n  {\"id\":\"A\",\"image\":\"good.png\",\"title\":\"T\"}\n");
    ManifestOptions options;
    options.format = requested;
    const auto r = readCatalogManifest(fsPath(manifest(name, content)), options);
    QCOMPARE(r.format, expected);
    QCOMPARE(r.rows.size(), std::size_t(1));
    QCOMPARE(r.rows[0].line, 2); // CSV after its header, JSON Lines after a blank line
    QCOMPARE(r.rows[0].title, std::string("T"));
}

void TestCatalogManifest::rejectedRowsReportRoundTrip()
{
    const std::vector<RejectedRow> rows = {
        {3, "A,1", "duplicate id 'A,1' (first on line 2)"},
        {5, "", "missing id"},
        {7, "q\"uote", "invalid JSON: expected ',' or '}' at column 11"},
        {9, "multi\nline", "x"},
    };
    const QString report = m_dir + QStringLiteral("/rejected.csv");
    QVERIFY(writeRejectedRowsReport(fsPath(report), rows));
    QCOMPARE(testsupport::readFileBytes(report),
        QByteArray("line,id,reason\n"
                   "3,\"A,1\",\"duplicate id 'A,1' (first on line 2)\"\n"
                   "5,,missing id\n"
                   "7,\"q\"\"uote\",\"invalid JSON: expected ',' or '}' at column 11\"\n"
                   "9,\"multi\nline\",x\n"));

    // A real import's rejections survive the trip through the report.
    const auto r = readCatalogManifest(fsPath(manifest(QStringLiteral("report-src.csv"),
        "id,image,title\nA,good.png,T\n\"A\",good.png,\"Quoted, \"\"twice\"\"\"\n\"B,2\",nope.png,T\nC,good.png\n")));
    QCOMPARE(r.rejected.size(), std::size_t(3));
    QVERIFY(writeRejectedRowsReport(fsPath(report), r.rejected));
    const auto parsed = parseCsv(testsupport::readFileBytes(report));
    QCOMPARE(parsed.size(), r.rejected.size() + 1);
    QCOMPARE(parsed[0], (std::vector<std::string>{"line", "id", "reason"}));
    for (std::size_t i = 0; i < r.rejected.size(); ++i)
        QCOMPARE(parsed[i + 1],
            (std::vector<std::string>{std::to_string(r.rejected[i].line), r.rejected[i].id, r.rejected[i].reason}));
    QCOMPARE(parsed[2][1], std::string("B,2"));

    QVERIFY(!writeRejectedRowsReport(fsPath(m_dir + QStringLiteral("/no/such/folder/r.csv")), rows));
}

void TestCatalogManifest::hundredThousandRows_data()
{
    QTest::addColumn<bool>("jsonl");
    QTest::newRow("CSV") << false;
    QTest::newRow("JSON Lines") << true;
}

void TestCatalogManifest::hundredThousandRows()
{
    QFETCH(bool, jsonl);
    constexpr int kRows = 100'000;
    // Every 1000th title spans two lines in CSV, so line numbers drift from row numbers.
    QByteArray content;
    content.reserve(kRows * 120);
    std::vector<int> lines;
    lines.reserve(kRows);
    int line = 1;
    if (!jsonl) {
        content += "id,image,title,category,url,price,colour\n";
        ++line;
    }
    for (int i = 0; i < kRows; ++i) {
        const QByteArray n = QByteArray::number(i);
        lines.push_back(line);
        if (jsonl) {
            content += "{\"id\": " + n + ", \"image\": \"img/" + n + ".jpg\", \"title\": \"Product " + n
                + ", size M\", \"category\": \"Cat " + QByteArray::number(i % 10) + "\", \"url\": \"https://ex.com/p/"
                + n + "\", \"price\": 9.99, \"colour\": \"red\"}\n";
            ++line;
        } else {
            const bool twoLines = i % 1000 == 0;
            content += "SKU-" + n + ",img/" + n + ".jpg,\"Product " + n + (twoLines ? ",\nsize M\"" : ", size M\"")
                + ",Cat " + QByteArray::number(i % 10) + ",https://ex.com/p/" + n + ",9.99,red\n";
            line += twoLines ? 2 : 1;
        }
    }
    const QString path = manifest(jsonl ? QStringLiteral("big.jsonl") : QStringLiteral("big.csv"), content);
    ManifestOptions options;
    options.checkImages = false;

    QElapsedTimer timer;
    timer.start();
    const auto r = readCatalogManifest(fsPath(path), options);
    const qint64 ms = timer.elapsed();
    qInfo("%d rows (%.1f MB) read in %lld ms", kRows, double(content.size()) / 1e6, ms);

    QVERIFY(r.rejected.empty());
    QCOMPARE(r.rows.size(), std::size_t(kRows));
    for (int i : {0, 1, 999, 1000, 1001, 54321, kRows - 1}) {
        const CatalogRow &row = r.rows[std::size_t(i)];
        const std::string n = std::to_string(i);
        QCOMPARE(row.line, lines[std::size_t(i)]);
        QCOMPARE(row.id, jsonl ? n : "SKU-" + n);
        QCOMPARE(row.title, "Product " + n + (!jsonl && i % 1000 == 0 ? ",\nsize M" : ", size M"));
        QCOMPARE(row.image, std::filesystem::path(inDir("img")) / (n + ".jpg"));
        QCOMPARE(row.category, "Cat " + std::to_string(i % 10));
        QCOMPARE(row.url, "https://ex.com/p/" + n);
        QCOMPARE(row.attributes, (Attributes{{"price", "9.99"}, {"colour", "red"}}));
    }
    // Generous for debug builds; a release build takes a fraction of this. Not checked under
    // AddressSanitizer (the asan preset), which makes this many small allocations 5-10x slower.
#if !defined(__SANITIZE_ADDRESS__)
    QVERIFY2(ms < 5000, qPrintable(QStringLiteral("took %1 ms").arg(ms)));
#endif
}

QTEST_MAIN(TestCatalogManifest)
#include "tst_catalogmanifest.moc"
