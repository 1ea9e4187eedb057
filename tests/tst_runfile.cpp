// RunFile: another system's result lists read line by line in the three forms (TREC run, CSV,
// JSON Lines): well-formed rows kept with their line numbers, every bad line reported with its
// number and a reason, the order of a TREC run exactly trec_eval's (score descending, ties by
// docid descending), CSV and JSON Lines by rank.
#include "core/Error.h"
#include "core/metrics/RunFile.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TrecEvalOracle.h"

#include <QTest>

using namespace lookalike;
using testsupport::errorOf;

namespace {

RunFileContents parse(const char *text, RunFileFormat format)
{
    return parseRunRows(text, format, "run.txt");
}

QString problemAt(const RunFileContents &c, int line)
{
    for (const RunFileProblem &p : c.problems)
        if (p.line == line)
            return QString::fromStdString(p.reason);
    return {};
}

QStringList candidates(std::vector<RunFileRow> rows, RunFileFormat format)
{
    orderRunRows(rows, format);
    QStringList out;
    for (const RunFileRow &r : rows)
        out << QString::fromStdString(r.candidate);
    return out;
}

} // namespace

class TestRunFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void formatFollowsTheExtension();
    void trecRowsAndOrderAreTrecEvals();
    void trecBadLinesAreReportedByNumber();
    void csvColumnsInAnyOrderScoreOptional();
    void csvHeaderProblemsStopTheRead();
    void csvBadRowsAreReportedByNumber();
    void jsonLinesRowsAndProblems();
    void readsOnlyRegularFiles();
};

void TestRunFile::formatFollowsTheExtension()
{
    QCOMPARE(runFileFormatOf("a/run.txt"), RunFileFormat::Trec);
    QCOMPARE(runFileFormatOf("run"), RunFileFormat::Trec);
    QCOMPARE(runFileFormatOf("lists.CSV"), RunFileFormat::Csv);
    QCOMPARE(runFileFormatOf("lists.jsonl"), RunFileFormat::JsonLines);
    QCOMPARE(runFileFormatOf("lists.ndjson"), RunFileFormat::JsonLines);
}

void TestRunFile::trecRowsAndOrderAreTrecEvals()
{
    // Ranks disagree with scores on purpose (trec_eval ignores ranks), ties between b, c and a
    // (docid descending), a comment, a blank line and CR LF line ends.
    const char *text = "# made by prod\n"
                       "q1 Q0 a 1 0.5 prod\r\n"
                       "\n"
                       "q1 Q0 d 2 0.9 prod\n"
                       "q1 Q0 b 3 0.5 prod extra fields are ignored\n"
                       "q1 Q0 c 4 +0.5 prod\n"
                       "q2 Q0 z 1 1e-3 prod\n";
    const RunFileContents c = parse(text, RunFileFormat::Trec);
    QVERIFY2(c.problems.empty(), c.problems.empty() ? "" : c.problems.front().reason.c_str());
    QCOMPARE(c.lines, std::size_t(5));
    QCOMPARE(c.tag, std::string("prod"));
    QCOMPARE(c.rows.size(), std::size_t(5));
    QCOMPARE(c.rows[0].line, 2);
    QCOMPARE(*c.rows[4].score, 1e-3);
    std::vector<RunFileRow> q1(c.rows.begin(), c.rows.begin() + 4);
    const QStringList ours = candidates(q1, RunFileFormat::Trec);
    QCOMPARE(ours, QStringList({QStringLiteral("d"), QStringLiteral("c"), QStringLiteral("b"), QStringLiteral("a")}));
    // The oracle's order (trec_eval's qsort with comp_sim_docno) on the same text.
    const auto run = trec::readRun(text);
    trec::ResRels r = trec::formResRels(run.at("q1"), {{"a", 1}});
    QStringList theirs;
    for (const std::string &doc : r.ranking)
        theirs << QString::fromStdString(doc);
    QCOMPARE(ours, theirs);
}

void TestRunFile::trecBadLinesAreReportedByNumber()
{
    const std::string longId(5000, 'x');
    const std::string text = "q1 Q0 a 1 0.9 prod\n"
                             "q1 Q0 b 2 0.8\n"                // 2: five fields
                             "q1 Q0 c two 0.7 prod\n"         // 3: rank
                             "q1 Q0 d 4 nan prod\n"           // 4: score
                             "q1 Q0 e 5 0.5 other\n"          // 5: tag
                             "q1 Q0 f 0 0.4 prod\n"           // 6: rank below 1
                             "q1 Q0 g 99999999999999999999 0.3 prod\n" // 7: out of range
                             "q1 Q0 " + longId + " 8 inf prod\n"      // 8: score, id not echoed whole
                             + std::string("q1 Q0 h\0 9 0.1 prod\n", 20) // 9: NUL
                             + "q1 Q0 i 10 0.05 prod\n";
    const RunFileContents c = parseRunRows(text, RunFileFormat::Trec, "run.txt");
    QCOMPARE(c.lines, std::size_t(10));
    QCOMPARE(c.rows.size(), std::size_t(2));
    QCOMPARE(c.rows[1].line, 10);
    QCOMPARE(c.problems.size(), std::size_t(8));
    QVERIFY(problemAt(c, 2).contains(QStringLiteral("expected 6 fields")));
    QVERIFY(problemAt(c, 3).contains(QStringLiteral("the rank 'two' is not an integer")));
    QVERIFY(problemAt(c, 4).contains(QStringLiteral("the score 'nan' is not a finite number")));
    QVERIFY(problemAt(c, 5).contains(QStringLiteral("run tag 'other' differs from 'prod' on line 1")));
    QVERIFY(problemAt(c, 6).contains(QStringLiteral("below 1")));
    QVERIFY(problemAt(c, 7).contains(QStringLiteral("out of range")));
    QVERIFY(problemAt(c, 8).contains(QStringLiteral("'inf' is not a finite number")));
    QVERIFY(problemAt(c, 9).contains(QStringLiteral("NUL")));
    for (const RunFileProblem &p : c.problems)
        QVERIFY2(p.reason.size() < 300 && p.reason.find('\n') == std::string::npos, p.reason.c_str());
}

void TestRunFile::csvColumnsInAnyOrderScoreOptional()
{
    // A spreadsheet's export: byte-order mark, columns in another order, extra column, quoted id
    // with a comma, one row without a score.
    const char *text = "\xEF\xBB\xBFRank,Query_ID,candidate_id,score,note\r\n"
                       "2,q1,b,0.4,x\r\n"
                       "1,q1,\"a,1\",0.9,y\r\n"
                       "1,q2,c,,z\r\n";
    const RunFileContents c = parse(text, RunFileFormat::Csv);
    QVERIFY(c.problems.empty());
    QCOMPARE(c.lines, std::size_t(3));
    QCOMPARE(c.rows.size(), std::size_t(3));
    QCOMPARE(c.rows[1].candidate, std::string("a,1"));
    QCOMPARE(c.rows[1].rank, 1LL);
    QCOMPARE(*c.rows[1].score, 0.9);
    QVERIFY(!c.rows[2].score.has_value());
    std::vector<RunFileRow> q1(c.rows.begin(), c.rows.begin() + 2);
    QCOMPARE(candidates(q1, RunFileFormat::Csv), QStringList({QStringLiteral("a,1"), QStringLiteral("b")}));
}

void TestRunFile::csvHeaderProblemsStopTheRead()
{
    for (const char *text : {"", "query_id,candidate_id\nq,a\n", "query_id,candidate_id,rank,rank\n",
                             "\"query_id,candidate_id,rank\n"}) {
        const auto e = errorOf([&] { parse(text, RunFileFormat::Csv); });
        QVERIFY2(e, text);
        QCOMPARE(e->code(), ErrorCode::BadTrecFile);
        QVERIFY2(QString::fromUtf8(e->what()).startsWith(QStringLiteral("run.txt: ")), e->what());
    }
    const auto missing = errorOf([&] { parse("query_id,candidate_id,score\n", RunFileFormat::Csv); });
    QVERIFY2(QString::fromUtf8(missing->what()).contains(QStringLiteral("query_id, candidate_id and rank")), missing->what());
}

void TestRunFile::csvBadRowsAreReportedByNumber()
{
    const char *text = "query_id,candidate_id,rank,score\n"
                       "q1,a,1,0.9\n"
                       "q1,b\n"              // 3: too few columns
                       "q1,c,1.5,0.5\n"      // 4: rank
                       ",d,4,0.4\n"          // 5: empty query id
                       "q1,e,5,high\n"       // 6: score
                       "q1,\"f\"g,6,0.1\n";  // 7: quoting
    const RunFileContents c = parse(text, RunFileFormat::Csv);
    QCOMPARE(c.rows.size(), std::size_t(1));
    QCOMPARE(c.problems.size(), std::size_t(5));
    QVERIFY(problemAt(c, 3).contains(QStringLiteral("expected 4 columns, found 2")));
    QVERIFY(problemAt(c, 4).contains(QStringLiteral("not an integer")));
    QVERIFY(problemAt(c, 5).contains(QStringLiteral("the query id is empty")));
    QVERIFY(problemAt(c, 6).contains(QStringLiteral("'high' is not a finite number")));
    QVERIFY(problemAt(c, 7).contains(QStringLiteral("after the closing quote")));
}

void TestRunFile::jsonLinesRowsAndProblems()
{
    const char *text = "{\"query_id\": \"q1\", \"candidate_id\": \"b\", \"rank\": 2, \"score\": 0.25}\n"
                       "{\"query_id\": 17, \"candidate_id\": \"a\", \"rank\": 1}\n"
                       "\n"
                       "{\"query_id\": \"q1\", \"candidate_id\": \"c\"}\n"          // 4: no rank
                       "[1, 2]\n"                                                  // 5: not an object
                       "{\"query_id\": \"q1\", \"candidate_id\": \"d\", \"rank\": 3,\n" // 6: bad JSON
                       "{\"query_id\": true, \"candidate_id\": \"e\", \"rank\": 4}\n"   // 7: id type
                       "{\"query_id\": \"q1\", \"candidate_id\": \"f\", \"rank\": 0.5}\n" // 8: rank
                       "{\"query_id\": \"q1\", \"candidate_id\": \"g\", \"rank\": 5, \"score\": \"x\"}\n"; // 9
    const RunFileContents c = parse(text, RunFileFormat::JsonLines);
    QCOMPARE(c.lines, std::size_t(8));
    QCOMPARE(c.rows.size(), std::size_t(2));
    QCOMPARE(c.rows[0].score.value_or(-1), 0.25);
    QCOMPARE(c.rows[1].query, std::string("17"));
    QVERIFY(!c.rows[1].score.has_value());
    QCOMPARE(c.problems.size(), std::size_t(6));
    QVERIFY(problemAt(c, 4).contains(QStringLiteral("\"rank\" is missing")));
    QVERIFY(problemAt(c, 5).contains(QStringLiteral("expected a JSON object")));
    QVERIFY(problemAt(c, 6).contains(QStringLiteral("not valid JSON")));
    QVERIFY(problemAt(c, 7).contains(QStringLiteral("\"query_id\" is missing or not a string")));
    QVERIFY(problemAt(c, 8).contains(QStringLiteral("not an integer")));
    QVERIFY(problemAt(c, 9).contains(QStringLiteral("\"score\" is not a number")));
}

void TestRunFile::readsOnlyRegularFiles()
{
    const auto dir = errorOf([] { readRunRows(testsupport::scratchDir(QStringLiteral("runfile")).toStdString()); });
    QVERIFY(dir);
    QVERIFY2(QString::fromUtf8(dir->what()).contains(QStringLiteral("not a regular file")), dir->what());
    const auto missing = errorOf([] { readRunRows("/nonexistent/run.txt"); });
    QVERIFY(missing);
    QCOMPARE(missing->code(), ErrorCode::FileNotFound);
    const QString csv = testsupport::writeScratchFile(QStringLiteral("lists.csv"),
                                                      "query_id,candidate_id,rank\nq,a,1\n");
    const RunFileContents c = readRunRows(csv.toStdString());
    QCOMPARE(c.format, RunFileFormat::Csv);
    QCOMPARE(c.rows.size(), std::size_t(1));
}

QTEST_MAIN(TestRunFile)
#include "tst_runfile.moc"
