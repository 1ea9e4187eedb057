// RunImport: a version from another system's result lists. Its lists are frozen in trec_eval's
// order with the file's scores and give the metrics trec_eval gives on the same file; bad lines
// are reported by number and skipped (or, strict, refuse the whole import); the import is one
// transaction, idempotent under the same name; the version has no embeddings and every step
// that needs them says so; it exports like any other version.
#include "core/Error.h"
#include "core/project/AddQueries.h"
#include "core/project/CatalogSearch.h"
#include "core/project/EmbeddingStore.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/FrozenLists.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/RunImport.h"
#include "core/project/TrecInterchange.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TrecEvalOracle.h"
#include "support/TwoModelProject.h"

#include <QFile>
#include <QTest>

#include <cmath>

using namespace lookalike;
using testsupport::errorOf;

namespace {

std::int64_t idOf(Project &p, const char *key)
{
    return p.requireItem(key).id;
}

std::vector<std::string> keysOf(Project &p, const std::vector<std::int64_t> &ids)
{
    std::vector<std::string> out;
    for (const Item &item : p.items(ids))
        out.push_back(item.key);
    return out;
}

std::filesystem::path writeRun(const QString &name, const QByteArray &text)
{
    return testsupport::writeScratchFile(name, text).toStdString();
}

// red-0's list: ties at 0.5 (trec_eval: docid descending), ranks that disagree with scores.
const QByteArray kRun = "red-0 Q0 red-3 1 0.5 prod\n"
                        "red-0 Q0 red-9 2 0.8 prod\n"
                        "red-0 Q0 red-5 3 0.5 prod\n"
                        "red-0 Q0 blue-4 4 0.1 prod\n"
                        "green-0 Q0 green-2 1 2.0 prod\n"
                        "green-0 Q0 green-3 2 1.0 prod\n";

} // namespace

class TestRunImport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void trecRunBecomesAVersionInTrecEvalsOrder();
    void metricsAreTrecEvalsOnTheSameFile();
    void badLinesAreReportedAndSkipped();
    void strictImportsNothing();
    void reimportIsIdempotentAndOtherListsNeedANewName();
    void listsAreCutToTheProjectsDepth();
    void csvAndJsonLinesByRank();
    void aRunVersionHasNoEmbeddingsAndSaysSo();
    void exportsAndNewQueriesNameIt();
};

void TestRunImport::trecRunBecomesAVersionInTrecEvalsOrder()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const RunImportReport r = importRun(p, {writeRun(QStringLiteral("prod.txt"), kRun), "prod", false});
    QCOMPARE(r.version.kind, ModelKind::Run);
    QCOMPARE(r.version.dimension, 0);
    QCOMPARE(r.format, RunFileFormat::Trec);
    QCOMPARE(r.lines, std::size_t(6));
    QCOMPARE(r.lists, std::size_t(2));
    QCOMPARE(r.entries, std::size_t(6));
    QCOMPARE(r.cut, std::size_t(0));
    QVERIFY(r.scores);
    QVERIFY(r.problems.empty());
    QCOMPARE(r.queriesWithoutList, f.queries.size() - 2);
    QVERIFY(QString::fromStdString(r.version.config).contains(QStringLiteral("\"tag\":\"prod\"")));

    const ModelVersion v = requireModelVersion(p, "prod");
    QCOMPARE(v.fingerprint, sha256OfFile(r.version.source));
    QCOMPARE(keysOf(p, frozenCandidates(p, v.id, idOf(p, "red-0"))),
             (std::vector<std::string>{"red-9", "red-5", "red-3", "blue-4"}));
    const std::vector<ResultEntry> list = frozenResultList(p, v, idOf(p, "green-0"));
    QCOMPARE(list.size(), std::size_t(2));
    QCOMPARE(list[0].score, 2.0f); // the file's scores are kept
    QCOMPARE(list[1].score, 1.0f);
    QCOMPARE(frozenListsBySearch(p, v).at("run"), std::int64_t(2));
}

void TestRunImport::metricsAreTrecEvalsOnTheSameFile()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const auto file = writeRun(QStringLiteral("prod.txt"), kRun);
    importRun(p, {file, "prod", false});
    JudgmentStore store(p);
    store.grade(idOf(p, "red-0"), idOf(p, "red-3"), "ana", 3);
    store.grade(idOf(p, "red-0"), idOf(p, "red-5"), "ana", 1);
    store.grade(idOf(p, "red-0"), idOf(p, "blue-4"), "ana", 0);
    store.grade(idOf(p, "green-0"), idOf(p, "green-3"), "ana", 2);
    const EvaluationEngine engine(p);
    const ModelMetrics &m = engine.metrics(requireModelVersion(p, "prod").id);
    QCOMPARE(m.perQuery.size(), std::size_t(2));

    QFile run(QString::fromStdString(file.string()));
    QVERIFY(run.open(QIODevice::ReadOnly));
    const trec::Evaluation oracle
        = trec::evaluate(QByteArray::fromStdString(formatQrels(exportQrels(p))), run.readAll(), 1);
    QVERIFY(std::abs(m.mean.ndcg5 - oracle.mean.ndcg5) < 1e-12);
    QVERIFY(std::abs(m.mean.precision1 - oracle.mean.p1) < 1e-12);
    QVERIFY(std::abs(m.mean.reciprocalRank - oracle.mean.recipRank) < 1e-12);
    QVERIFY(m.mean.ndcg5 > 0 && m.mean.ndcg5 < 1); // the order matters to this number
}

void TestRunImport::badLinesAreReportedAndSkipped()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const QByteArray text = "red-0 Q0 red-3 1 0.9 prod\n"
                            "nobody Q0 red-3 1 0.9 prod\n"     // 2: query not in the catalog
                            "red-7 Q0 red-3 1 0.9 prod\n"      // 3: not in the query set
                            "red-0 Q0 ghost 2 0.8 prod\n"      // 4: candidate not in the catalog
                            "red-0 Q0 red-3 3 0.7 prod\n"      // 5: twice
                            "red-0 Q0 red-0 4 0.6 prod\n"      // 6: itself
                            "red-0 Q0 red-4 5 zero prod\n"     // 7: malformed
                            "red-0 Q0 red-4 6 0.5 prod\n";
    const RunImportReport r = importRun(p, {writeRun(QStringLiteral("bad.txt"), text), "prod", false});
    QCOMPARE(r.lines, std::size_t(8));
    QCOMPARE(r.entries, std::size_t(2));
    QCOMPARE(r.problems.size(), std::size_t(6));
    const std::vector<std::pair<int, const char *>> expected{
        {2, "query 'nobody' is not in the catalog"},
        {3, "query 'red-7' is not in the query set"},
        {4, "candidate 'ghost' is not in the catalog"},
        {5, "candidate 'red-3' is listed twice for query 'red-0' (first on line 1)"},
        {6, "query 'red-0' is listed as its own candidate"},
        {7, "the score 'zero' is not a finite number"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(r.problems[i].line, expected[i].first);
        QVERIFY2(r.problems[i].reason.find(expected[i].second) != std::string::npos, r.problems[i].reason.c_str());
    }
    const ModelVersion v = requireModelVersion(p, "prod");
    QCOMPARE(keysOf(p, frozenCandidates(p, v.id, idOf(p, "red-0"))), (std::vector<std::string>{"red-3", "red-4"}));

    // Nothing usable at all: refused, nothing registered.
    const auto none = errorOf([&] {
        importRun(p, {writeRun(QStringLiteral("none.txt"), "nobody Q0 red-3 1 0.9 x\n"), "empty", false});
    });
    QVERIFY(none);
    QVERIFY2(QString::fromUtf8(none->what()).contains(QStringLiteral("no line can be used")), none->what());
    QVERIFY(!findModelVersion(p, "empty"));
}

void TestRunImport::strictImportsNothing()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const auto file = writeRun(QStringLiteral("strict.txt"), kRun + "red-0 Q0 ghost 9 0.0 prod\n");
    const auto e = errorOf([&] { importRun(p, {file, "prod", true}); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::BadTrecFile);
    QVERIFY2(QString::fromUtf8(e->what()).contains(
                 QStringLiteral("1 line cannot be used; the first, line 7: candidate 'ghost' is not in the catalog")),
             e->what());
    QVERIFY2(QString::fromStdString(e->file()) == QString::fromStdString(file.string()), e->what());
    QVERIFY(!findModelVersion(p, "prod"));
    QCOMPARE(modelVersions(p).size(), std::size_t(2));
}

void TestRunImport::reimportIsIdempotentAndOtherListsNeedANewName()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const auto file = writeRun(QStringLiteral("prod.txt"), kRun);
    const RunImportReport first = importRun(p, {file, "prod", false});
    const RunImportReport again = importRun(p, {file, "prod", false});
    QCOMPARE(again.version.id, first.version.id);
    QCOMPARE(modelVersions(p).size(), std::size_t(3));
    QCOMPARE(frozenQueries(p, first.version.id).size(), std::size_t(2));

    const auto other = writeRun(QStringLiteral("prod2.txt"), "red-0 Q0 red-1 1 1 prod\n");
    const auto e = errorOf([&] { importRun(p, {other, "prod", false}); });
    QVERIFY(e);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("choose a new --name")), e->what());
    QCOMPARE(keysOf(p, frozenCandidates(p, first.version.id, idOf(p, "red-0"))).front(), std::string("red-9"));
    // A name a model took is refused too: a run never replaces a model's lists.
    const auto taken = errorOf([&] { importRun(p, {other, "model-a", false}); });
    QVERIFY(taken);
    QVERIFY2(QString::fromUtf8(taken->what()).contains(QStringLiteral("different kind")), taken->what());
}

void TestRunImport::listsAreCutToTheProjectsDepth()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    p.setResultDepth(3);
    const RunImportReport r = importRun(p, {writeRun(QStringLiteral("prod.txt"), kRun), "prod", false});
    QCOMPARE(r.depth, 3);
    QCOMPARE(r.cut, std::size_t(1));
    QCOMPARE(keysOf(p, frozenCandidates(p, r.version.id, idOf(p, "red-0"))),
             (std::vector<std::string>{"red-9", "red-5", "red-3"}));
}

void TestRunImport::csvAndJsonLinesByRank()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const RunImportReport csv = importRun(p, {writeRun(QStringLiteral("lists.csv"),
                                                       "query_id,candidate_id,rank\n"
                                                       "red-0,red-3,2\n"
                                                       "red-0,red-9,1\n"
                                                       "red-0,red-5,2\n" // 4: rank 2 again
                                                       "red-0,red-5,3\n"),
                                              "from-csv", false});
    QCOMPARE(csv.format, RunFileFormat::Csv);
    QVERIFY(!csv.scores);
    QCOMPARE(csv.problems.size(), std::size_t(1));
    QCOMPARE(csv.problems[0].line, 4);
    QVERIFY2(csv.problems[0].reason.find("rank 2 is given twice for query 'red-0' (first on line 2)") != std::string::npos,
             csv.problems[0].reason.c_str());
    QCOMPARE(keysOf(p, frozenCandidates(p, csv.version.id, idOf(p, "red-0"))),
             (std::vector<std::string>{"red-9", "red-3", "red-5"}));
    QCOMPARE(frozenResultList(p, csv.version, idOf(p, "red-0"))[0].score, 0.0f);

    const RunImportReport jsonl = importRun(
        p, {writeRun(QStringLiteral("lists.jsonl"),
                     "{\"query_id\": \"blue-0\", \"candidate_id\": \"blue-5\", \"rank\": 2, \"score\": 0.3}\n"
                     "{\"query_id\": \"blue-0\", \"candidate_id\": \"blue-6\", \"rank\": 1, \"score\": 0.7}\n"),
            "from-jsonl", false});
    QCOMPARE(jsonl.format, RunFileFormat::JsonLines);
    QVERIFY(jsonl.scores);
    QCOMPARE(keysOf(p, frozenCandidates(p, jsonl.version.id, idOf(p, "blue-0"))),
             (std::vector<std::string>{"blue-6", "blue-5"}));
}

void TestRunImport::aRunVersionHasNoEmbeddingsAndSaysSo()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const ModelVersion v = importRun(p, {writeRun(QStringLiteral("prod.txt"), kRun), "prod", false}).version;
    const auto says = [](const std::optional<Error> &e) {
        return e && e->code() == ErrorCode::Unsupported
            && QString::fromUtf8(e->what()).contains(QStringLiteral("imported from another system's result lists"))
            && QString::fromUtf8(e->what()).contains(QStringLiteral("no embeddings"));
    };
    QVERIFY(says(errorOf([&] { ModelIndex::load(p, v); })));
    QVERIFY(says(errorOf([&] { CatalogSearch(p.folder(), "prod"); })));
    QVERIFY(says(errorOf([&] { sampleEmbeddedItems(p, v, 100); })));
    QVERIFY(says(errorOf([&] { openImageEncoder(v, 1, 1); })));
}

void TestRunImport::exportsAndNewQueriesNameIt()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const ModelVersion v = importRun(p, {writeRun(QStringLiteral("prod.txt"), kRun), "prod", false}).version;
    const TrecRun run = exportRun(p, v);
    QCOMPARE(run.rankings.at("red-0"), (std::vector<std::string>{"red-9", "red-5", "red-3", "blue-4"}));

    const AddQueriesReport added = addQueriesAndFreeze(p, {idOf(p, "red-7")}, "test");
    QCOMPARE(added.added, std::int64_t(1));
    QCOMPARE(added.frozen.size(), std::size_t(2)); // the two models
    QCOMPARE(added.withoutNewLists.size(), std::size_t(1));
    QCOMPARE(added.withoutNewLists[0].name, std::string("prod"));
}

QTEST_MAIN(TestRunImport)
#include "tst_runimport.moc"
