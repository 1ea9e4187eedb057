// TREC qrels and run files: the exact text written, round trips through files, trec_eval's
// ranking of a run (score descending, ties by docid descending), and bad lines rejected with
// their line numbers.
#include "core/Error.h"
#include "core/metrics/TrecFiles.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"

#include <QFile>
#include <QTest>

#include <optional>

using namespace lookalike;

namespace {

using testsupport::errorOf;

std::filesystem::path fsPath(const QString &path)
{
    return std::filesystem::path(path.toStdString());
}

std::vector<std::string> strings(const char *spaceSeparated)
{
    std::vector<std::string> out;
    for (const QString &s : QString::fromUtf8(spaceSeparated).split(QLatin1Char(' '), Qt::SkipEmptyParts))
        out.push_back(s.toStdString());
    return out;
}

QString join(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out << QString::fromStdString(s);
    return out.join(QLatin1Char(' '));
}

TrecQrels sampleQrels()
{
    TrecQrels q;
    q["A-1042"]["B-7"] = 3;
    q["A-1042"]["B-10"] = 0;
    q["A-1042"]["caf\xC3\xA9-1"] = 1; // UTF-8 ids are fine
    q["A-9"]["B-7"] = 2;
    q["empty"]; // a query without grades writes nothing
    return q;
}

TrecRun sampleRun()
{
    TrecRun run;
    run.tag = "siglip-ft-v2";
    run.rankings["A-9"] = strings("Z-1 A-2 M-3");
    run.rankings["A-1042"] = strings("B-10 B-7");
    run.rankings["no-list"] = {};
    return run;
}

} // namespace

class TestTrecFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void qrelsText();
    void runText();
    void roundTripThroughFiles();
    void runIsRankedLikeTrecEval_data();
    void runIsRankedLikeTrecEval();
    void tiedCosinesExportInLookalikeOrder();
    void commentsBlankLinesAndCrLf();
    void malformedQrels_data();
    void malformedQrels();
    void malformedRun_data();
    void malformedRun();
    void idsThatCannotBeWritten_data();
    void idsThatCannotBeWritten();
    void refusedWrites();
    void missingFile();
};

void TestTrecFiles::qrelsText()
{
    // Sorted by query, then document (byte order); iteration column 0.
    QCOMPARE(QByteArray::fromStdString(formatQrels(sampleQrels())),
        QByteArray("A-1042 0 B-10 0\n"
                   "A-1042 0 B-7 3\n"
                   "A-1042 0 caf\xC3\xA9-1 1\n"
                   "A-9 0 B-7 2\n"));
}

void TestTrecFiles::runText()
{
    // Scores n + 1 - rank, whatever the cosines were: strictly decreasing with the rank.
    QCOMPARE(QByteArray::fromStdString(formatRun(sampleRun())),
        QByteArray("A-1042 Q0 B-10 1 2 siglip-ft-v2\n"
                   "A-1042 Q0 B-7 2 1 siglip-ft-v2\n"
                   "A-9 Q0 Z-1 1 3 siglip-ft-v2\n"
                   "A-9 Q0 A-2 2 2 siglip-ft-v2\n"
                   "A-9 Q0 M-3 3 1 siglip-ft-v2\n"));
}

void TestTrecFiles::roundTripThroughFiles()
{
    const QString dir = testsupport::scratchDir(QStringLiteral("trec-roundtrip"));
    const auto qrelsFile = fsPath(dir + QStringLiteral("/qrels.txt"));
    const auto runFile = fsPath(dir + QStringLiteral("/run.txt"));
    writeQrelsFile(qrelsFile, sampleQrels());
    writeRunFile(runFile, sampleRun());

    TrecQrels expectedQrels = sampleQrels();
    expectedQrels.erase("empty");
    QVERIFY(readQrelsFile(qrelsFile) == expectedQrels);

    const TrecRun run = readRunFile(runFile);
    QCOMPARE(run.tag, std::string("siglip-ft-v2"));
    QCOMPARE(run.rankings.size(), std::size_t(2)); // the empty ranking has no line
    QCOMPARE(join(run.rankings.at("A-9")), QStringLiteral("Z-1 A-2 M-3"));
    QCOMPARE(join(run.rankings.at("A-1042")), QStringLiteral("B-10 B-7"));

    // Writing again replaces the file.
    TrecQrels smaller;
    smaller["q"]["d"] = 1;
    writeQrelsFile(qrelsFile, smaller);
    QCOMPARE(testsupport::readFileBytes(QString::fromStdString(qrelsFile.string())), QByteArray("q 0 d 1\n"));
}

void TestTrecFiles::runIsRankedLikeTrecEval_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("score descending, the rank column ignored") << QByteArray("q Q0 a 1 0.1 t\n"
                                                                             "q Q0 b 2 0.9 t\n"
                                                                             "q Q0 c 3 0.5 t\n")
                                                               << "b c a";
    // form_res_rels.c comp_sim_docno: strcmp(p2->docno, p1->docno)
    QTest::newRow("ties by docid, descending") << QByteArray("q Q0 a 1 0.5 t\n"
                                                             "q Q0 c 2 0.5 t\n"
                                                             "q Q0 b 3 0.5 t\n"
                                                             "q Q0 z 4 0.9 t\n")
                                               << "z c b a";
    QTest::newRow("ties compare bytes, not numbers") << QByteArray("q Q0 10 1 1 t\n"
                                                                   "q Q0 9 2 1 t\n"
                                                                   "q Q0 100 3 1 t\n")
                                                     << "9 100 10";
    QTest::newRow("bytes above 127 sort after ASCII") << QByteArray("q Q0 \xC3\xA9 1 1 t\n"
                                                                    "q Q0 z 2 1 t\n")
                                                      << "\xC3\xA9 z";
    QTest::newRow("negative and exponent scores") << QByteArray("q Q0 a 1 -1e-3 t\n"
                                                                "q Q0 b 2 +2.5E1 t\n"
                                                                "q Q0 c 3 -2 t\n")
                                                  << "b a c";
}

void TestTrecFiles::runIsRankedLikeTrecEval()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    const TrecRun run = parseRun(text.toStdString(), "run.txt");
    QCOMPARE(join(run.rankings.at("q")), expected);
}

void TestTrecFiles::tiedCosinesExportInLookalikeOrder()
{
    // Three candidates with the same cosine, in Lookalike's order (item id ascending) whose
    // catalog ids happen to sort B-2, A-5, C-1; trec_eval, given the cosines, would rank C-1,
    // B-2, A-5. The exported scores keep Lookalike's order.
    TrecRun run;
    run.tag = "m";
    run.rankings["Q"] = strings("B-2 A-5 C-1 D-0");
    const std::string text = formatRun(run);
    QCOMPARE(join(parseRun(text, "run.txt").rankings.at("Q")), QStringLiteral("B-2 A-5 C-1 D-0"));
    const QByteArray withCosines("Q Q0 B-2 1 0.8 m\nQ Q0 A-5 2 0.8 m\nQ Q0 C-1 3 0.8 m\nQ Q0 D-0 4 0.2 m\n");
    QCOMPARE(join(parseRun(withCosines.toStdString(), "run.txt").rankings.at("Q")), QStringLiteral("C-1 B-2 A-5 D-0"));
}

void TestTrecFiles::commentsBlankLinesAndCrLf()
{
    const QByteArray qrels("# judged 2024-06-01\r\n"
                           "q1 0 d1 2\r\n"
                           "\r\n"
                           "   \t\n"
                           "q1\t0\td2\t0\r\n"
                           "  # indented comment\n"
                           "q2 0 d1 1"); // no final newline
    const TrecQrels q = parseQrels(qrels.toStdString(), "qrels.txt");
    QCOMPARE(q.size(), std::size_t(2));
    QCOMPARE(q.at("q1").at("d1"), 2);
    QCOMPARE(q.at("q1").at("d2"), 0);
    QCOMPARE(q.at("q2").at("d1"), 1);

    const QByteArray run("q1 Q0 d1 1 2.5 tag\r\n"
                         "\n"
                         "# comment\n"
                         "q1 Q0 d2 2 1.5 tag extra fields are ignored, as by trec_eval\r\n");
    const TrecRun r = parseRun(run.toStdString(), "run.txt");
    QCOMPARE(r.tag, std::string("tag"));
    QCOMPARE(join(r.rankings.at("q1")), QStringLiteral("d1 d2"));

    QVERIFY(parseQrels("", "empty.txt").empty());
    QVERIFY(parseRun("\n\n", "empty.txt").rankings.empty());
}

void TestTrecFiles::malformedQrels_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("problem");
    QTest::newRow("three fields") << QByteArray("q 0 d 1\nq 0 d2\n") << 2 << "expected 4 fields";
    QTest::newRow("five fields") << QByteArray("q 0 d 1 extra\n") << 1 << "found 5";
    QTest::newRow("grade with a fraction") << QByteArray("q 0 d 2.5\n") << 1 << "not an integer";
    QTest::newRow("grade is a word") << QByteArray("\n# c\nq 0 d high\n") << 3 << "not an integer";
    QTest::newRow("negative grade") << QByteArray("q 0 d -1\n") << 1 << "negative grade";
    QTest::newRow("judged twice") << QByteArray("q 0 d 1\nq 0 e 1\nq 0 d 2\n") << 3 << "first on line 1";
    QTest::newRow("NUL byte") << QByteArray("q 0 d 1\nq 0 d\0x 1\n", 18) << 2 << "NUL";
    QTest::newRow("grade beyond int") << QByteArray("q 0 d 99999999999999999999\n") << 1
                                      << "the grade '99999999999999999999' is out of range";
    // A 1 MB grade field is named by its first 80 bytes and its length, not echoed whole.
    QTest::newRow("1 MB grade") << QByteArray("q 0 d ") + QByteArray(1 << 20, 'x') + QByteArray("\n") << 1
                                << QStringLiteral("the grade '") + QString(80, QLatin1Char('x')) + QStringLiteral("... (1048576 bytes)' is not an integer");
}

void TestTrecFiles::malformedQrels()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, problem);
    const QString file = testsupport::writeScratchFile(QStringLiteral("bad-qrels.txt"), text);
    const auto e = errorOf([&] { readQrelsFile(fsPath(file)); });
    QVERIFY(e.has_value());
    QCOMPARE(errorCodeName(e->code()), "BadTrecFile");
    QCOMPARE(QString::fromStdString(e->file()), file);
    QCOMPARE(QString::fromStdString(e->subject()), QStringLiteral("line %1").arg(line));
    QVERIFY2(QString::fromStdString(e->problem()).contains(problem), e->what());
    QVERIFY(std::string(e->what()).size() < 400); // never the whole of a huge field
}

void TestTrecFiles::malformedRun_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("problem");
    QTest::newRow("five fields") << QByteArray("q Q0 d 1 0.5 t\nq Q0 e 2 0.4\n") << 2 << "expected 6 fields";
    QTest::newRow("rank is a word") << QByteArray("q Q0 d first 0.5 t\n") << 1 << "rank";
    QTest::newRow("rank beyond 64 bits") << QByteArray("q Q0 d 99999999999999999999 0.5 t\n") << 1 << "out of range";
    QTest::newRow("score is a word") << QByteArray("q Q0 d 1 high t\n") << 1 << "score";
    QTest::newRow("score is NaN") << QByteArray("q Q0 d 1 nan t\n") << 1 << "finite";
    QTest::newRow("score is infinite") << QByteArray("q Q0 d 1 inf t\n") << 1 << "finite";
    QTest::newRow("score with trailing junk") << QByteArray("q Q0 d 1 0.5x t\n") << 1 << "score";
    QTest::newRow("two runs in one file")
        << QByteArray("q Q0 d 1 0.5 a\n\nq Q0 e 2 0.4 b\n") << 3 << "differs from 'a' on line 1";
    QTest::newRow("document listed twice") << QByteArray("q Q0 d 1 0.5 t\nq Q0 d 2 0.4 t\n") << 2 << "listed twice";
}

void TestTrecFiles::malformedRun()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, problem);
    const QString file = testsupport::writeScratchFile(QStringLiteral("bad-run.txt"), text);
    const auto e = errorOf([&] { readRunFile(fsPath(file)); });
    QVERIFY(e.has_value());
    QCOMPARE(errorCodeName(e->code()), "BadTrecFile");
    QCOMPARE(QString::fromStdString(e->file()), file);
    QCOMPARE(QString::fromStdString(e->subject()), QStringLiteral("line %1").arg(line));
    QVERIFY2(QString::fromStdString(e->problem()).contains(problem), e->what());
}

void TestTrecFiles::idsThatCannotBeWritten_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QString>("problem");
    QTest::newRow("space") << QByteArray("red wallet") << "whitespace";
    QTest::newRow("tab") << QByteArray("a\tb") << "whitespace";
    QTest::newRow("newline") << QByteArray("a\nb") << "whitespace";
    QTest::newRow("carriage return") << QByteArray("a\r") << "whitespace";
    QTest::newRow("hash") << QByteArray("SKU#12") << "'#'";
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("NUL") << QByteArray("a\0b", 3) << "NUL";
}

void TestTrecFiles::idsThatCannotBeWritten()
{
    QFETCH(QByteArray, id);
    QFETCH(QString, problem);
    const std::string bad = id.toStdString();
    QVERIFY(QString::fromStdString(trecIdProblem(bad)).contains(problem));

    TrecQrels badQuery;
    badQuery[bad]["d"] = 1;
    TrecQrels badDoc;
    badDoc["q"][bad] = 1;
    TrecRun badRunQuery{"t", {{bad, {"d"}}}};
    TrecRun badRunDoc{"t", {{"q", {"d", bad}}}};
    TrecRun badTag{bad, {{"q", {"d"}}}};
    const std::optional<Error> errors[] = {
        errorOf([&] { formatQrels(badQuery); }),
        errorOf([&] { formatQrels(badDoc); }),
        errorOf([&] { formatRun(badRunQuery); }),
        errorOf([&] { formatRun(badRunDoc); }),
        errorOf([&] { formatRun(badTag); }),
    };
    for (const auto &e : errors) {
        QVERIFY(e.has_value());
        QCOMPARE(errorCodeName(e->code()), "InvalidArgument");
        QVERIFY2(QString::fromStdString(e->what()).contains(problem), e->what());
    }
}

void TestTrecFiles::refusedWrites()
{
    QVERIFY(trecIdProblem("A-1042").empty());
    QVERIFY(trecIdProblem("caf\xC3\xA9/\xE2\x82\xAC:1").empty());

    TrecQrels negative;
    negative["q"]["d"] = -1;
    auto e = errorOf([&] { formatQrels(negative); });
    QVERIFY(e && QString::fromStdString(e->what()).contains(QStringLiteral("negative grade")));

    TrecRun twice{"t", {{"q", {"d", "e", "d"}}}};
    e = errorOf([&] { formatRun(twice); });
    QVERIFY(e && QString::fromStdString(e->what()).contains(QStringLiteral("ranked twice")));

    // A file that cannot be written: its folder does not exist. Nothing is half-written.
    const QString dir = testsupport::scratchDir(QStringLiteral("trec-unwritable"));
    e = errorOf([&] { writeQrelsFile(fsPath(dir + QStringLiteral("/missing/qrels.txt")), sampleQrels()); });
    QVERIFY(e.has_value());
    QCOMPARE(errorCodeName(e->code()), "FileUnreadable");
    e = errorOf([&] { writeRunFile(fsPath(dir + QStringLiteral("/run.txt")), twice); });
    QVERIFY(e.has_value());
    QVERIFY(!QFile::exists(dir + QStringLiteral("/run.txt")));
}

void TestTrecFiles::missingFile()
{
    const QString dir = testsupport::scratchDir(QStringLiteral("trec-missing"));
    auto e = errorOf([&] { readQrelsFile(fsPath(dir + QStringLiteral("/nope.txt"))); });
    QVERIFY(e.has_value());
    QCOMPARE(errorCodeName(e->code()), "FileNotFound");
    e = errorOf([&] { readRunFile(fsPath(dir)); });
    QVERIFY(e.has_value());
    QCOMPARE(errorCodeName(e->code()), "FileUnreadable");
}

QTEST_GUILESS_MAIN(TestTrecFiles)
#include "tst_trecfiles.moc"
