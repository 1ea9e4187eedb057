// `lookalike eval`, `export`, `import-qrels`, `agreement` and `settings` through the executable:
// eval's numbers equal the engine's and trec_eval's (an oracle re-implemented from its source)
// on the exported qrels and run files; comparisons, breakdowns, ranges, CSV; qrels imported as
// one rater with a report of unmatched ids; settings that change the metrics; clear errors.
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/RaterBoard.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TrecEvalOracle.h"
#include "support/TwoModelProject.h"

#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <random>
#include <set>

using namespace lookalike;
using testsupport::runLookalike;

namespace {


// A two-model project whose queries are partly graded by two raters (seeded), then closed so
// that only the executable touches it.
struct GradedProject {
    QString folder;
    std::vector<std::string> queryKeys;
};

GradedProject gradedProject(unsigned seed = 5)
{
    auto f = testsupport::makeTwoModelProject();
    JudgmentStore store(*f.project);
    std::mt19937 rng(seed);
    for (std::size_t qi = 0; qi < f.queries.size(); ++qi) {
        if (qi == f.queries.size() - 1)
            break; // the last query stays unjudged: it must be left out of the means
        const std::int64_t q = f.queries[qi];
        for (const ModelVersion &v : f.versions) {
            const auto list = frozenResultList(*f.project, v, q);
            for (std::size_t r = 0; r < list.size(); ++r)
                if (rng() % 3 != 0) // about two thirds judged: unjudged candidates stay in the lists
                    store.grade(
                        q, list[r].candidateItemId, rng() % 4 == 0 ? "ben" : "ana", static_cast<int>(rng() % 4));
        }
    }
    GradedProject g;
    g.folder = f.folder;
    for (std::int64_t q : f.queries)
        g.queryKeys.push_back(f.project->item(q).key);
    return g;
}

QJsonObject evalJson(const QStringList &extra, const QString &folder)
{
    const auto r = runLookalike(QStringList{QStringLiteral("eval"), folder, QStringLiteral("--json")} + extra);
    if (r.exitCode != 0)
        qWarning("%s", r.err.constData());
    return QJsonDocument::fromJson(r.out).object();
}

QJsonObject modelJson(const QJsonObject &doc, const QString &name)
{
    for (const QJsonValue &m : doc.value(QStringLiteral("models")).toArray())
        if (m.toObject().value(QStringLiteral("name")).toString() == name)
            return m.toObject();
    return {};
}

} // namespace

class TestCliEval : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void evalEqualsEngineAndTrecEvalOnExportedFiles_data();
    void evalEqualsEngineAndTrecEvalOnExportedFiles();
    void comparisonBreakdownWorstAndCsv();
    void rangesBracketTheMetrics();
    void importQrelsReportsUnmatchedIds();
    void importedRunIsAVersionLikeAnyOther();
    void reportIsWritten();
    void planSaysWhereTheComparisonStands();
    void assignPlanHandsOutThePlannedQueries();
    void agreementBetweenRaters();
    void settingsChangeTheMetrics();
    void errorsAreOneLine();
    void approximateListsAreNamed();
};

void TestCliEval::evalEqualsEngineAndTrecEvalOnExportedFiles_data()
{
    QTest::addColumn<int>("threshold");
    QTest::newRow("relevant from grade 1") << 1;
    QTest::newRow("relevant from grade 3 (trec_eval -l 3)") << 3;
}

void TestCliEval::evalEqualsEngineAndTrecEvalOnExportedFiles()
{
    QFETCH(int, threshold);
    const GradedProject g = gradedProject();
    if (threshold != 1)
        CHECK_OK(runLookalike({QStringLiteral("settings"), g.folder, QStringLiteral("--threshold"), QString::number(threshold)}));
    // A query graded outside the query set: trec_eval 10 must not see it in a version's qrels.
    {
        Project project = Project::open(g.folder.toStdString());
        const auto lists = project.queryItemIds();
        std::int64_t outside = -1;
        for (const auto &[id, category] : project.itemCategories())
            if (std::find(lists.begin(), lists.end(), id) == lists.end()) {
                outside = id;
                break;
            }
        QVERIFY(outside >= 0);
        JudgmentStore(project).grade(outside, lists.front(), "zoe", 2);
    }
    const QJsonObject doc = evalJson({}, g.folder);
    QCOMPARE(doc.value(QStringLiteral("models")).toArray().size(), 2);
    // Counted as what it is, not as a query "graded without a list".
    QCOMPARE(doc.value(QStringLiteral("graded_outside_query_set")).toInt(), 1);
    const auto text = runLookalike({QStringLiteral("eval"), g.folder});
    QVERIFY2(text.out.contains("1 items graded as queries are not in the query set"), text.out.constData());
    QVERIFY2(!text.out.contains("graded without a list"), text.out.constData());

    Project project = Project::open(g.folder.toStdString());
    const EvaluationEngine engine(project);
    const QString out = testsupport::scratchDir(QStringLiteral("export"));
    const auto exported = runLookalike({QStringLiteral("export"), g.folder, QStringLiteral("--out"), out});
    CHECK_OK(exported);
    QVERIFY(exported.out.contains("qrels.txt"));
    // Every graded pair is in qrels.txt, the outside query too: trec_eval 10 would stop on it.
    const QByteArray allQrels = testsupport::readFileBytes(QDir(out).filePath(QStringLiteral("qrels.txt")));
    // The printed check commands, one per version.
    std::map<QString, QStringList> commands;
    for (const QByteArray &line : exported.out.split('\n'))
        if (line.trimmed().startsWith("check: trec_eval ")) {
            const QStringList words = QString::fromUtf8(line.trimmed().mid(7)).split(QLatin1Char(' '));
            commands[QFileInfo(words.back()).fileName()] = words;
        }
    QCOMPARE(commands.size(), std::size_t(2));

    for (const ModelVersion &v : engine.models()) {
        const ModelMetrics &m = engine.metrics(v.id);
        const QJsonObject model = modelJson(doc, QString::fromStdString(v.name));
        const QJsonObject mean = model.value(QStringLiteral("mean")).toObject();
        QCOMPARE(model.value(QStringLiteral("queries")).toInt(), static_cast<int>(m.perQuery.size()));
        QCOMPARE(model.value(QStringLiteral("queries_without_judgment")).toInt(), 1);
        QCOMPARE(model.value(QStringLiteral("queries_without_list")).toInt(), 0);
        // The JSON carries the doubles exactly.
        QCOMPARE(mean.value(QStringLiteral("ndcg@5")).toDouble(), m.mean.ndcg5);
        QCOMPARE(mean.value(QStringLiteral("p@1")).toDouble(), m.mean.precision1);
        QCOMPARE(mean.value(QStringLiteral("ndcg@10")).toDouble(), m.mean.ndcg10);
        QCOMPARE(mean.value(QStringLiteral("mrr")).toDouble(), m.mean.reciprocalRank);
        QCOMPARE(mean.value(QStringLiteral("judged@5")).toDouble(), m.mean.judged5);

        // Exactly the printed command: trec_eval [-l T] -m ndcg_cut.5 -m P.1 QRELS RUN.
        const QStringList command = commands.at(QStringLiteral("run-%1.txt").arg(QString::fromStdString(v.name)));
        const long level = command.contains(QStringLiteral("-l")) ? command.at(command.indexOf(QStringLiteral("-l")) + 1).toLong() : 1;
        QCOMPARE(level, long(threshold));
        const QByteArray qrels = testsupport::readFileBytes(command.at(command.size() - 2));
        const QByteArray run = testsupport::readFileBytes(command.back());
        const trec::Evaluation t = trec::evaluate(qrels, run, level);
        QVERIFY2(!t.refusedBy10, "trec_eval 10 would stop: the qrels has a query the run lacks");
        QVERIFY(trec::evaluate(allQrels, run, level).refusedBy10); // why the per-version file exists
        QCOMPARE(t.perQuery.size(), m.perQuery.size());
        QVERIFY(m.mean.ndcg5 > 0.0);
        QVERIFY2(std::abs(t.mean.ndcg5 - mean.value(QStringLiteral("ndcg@5")).toDouble()) < 1e-12,
            "nDCG@5 differs from trec_eval");
        QVERIFY2(
            std::abs(t.mean.p1 - mean.value(QStringLiteral("p@1")).toDouble()) < 1e-12, "P@1 differs from trec_eval");
        QVERIFY(std::abs(t.mean.ndcg10 - m.mean.ndcg10) < 1e-12);
        QVERIFY(std::abs(t.mean.p5 - m.mean.precision5) < 1e-12);
        QVERIFY(std::abs(t.mean.recipRank - m.mean.reciprocalRank) < 1e-12);
    }
}

void TestCliEval::comparisonBreakdownWorstAndCsv()
{
    const GradedProject g = gradedProject();
    const QJsonObject doc
        = evalJson({QStringLiteral("--models"), QStringLiteral("model-a,model-b"), QStringLiteral("--by"),
                       QStringLiteral("category"), QStringLiteral("--worst"), QStringLiteral("3")},
            g.folder);
    const QJsonArray comparisons = doc.value(QStringLiteral("comparisons")).toArray();
    QCOMPARE(comparisons.size(), 1);
    const QJsonObject c = comparisons.at(0).toObject();
    QCOMPARE(c.value(QStringLiteral("baseline")).toString(), QStringLiteral("model-a"));
    QCOMPARE(c.value(QStringLiteral("model")).toString(), QStringLiteral("model-b"));

    Project project = Project::open(g.folder.toStdString());
    const EvaluationEngine engine(project);
    const auto &a = engine.models().at(0), &b = engine.models().at(1);
    const PairedComparison expected = engine.compare(a.id, b.id, Metric::Ndcg5);
    const QJsonObject ndcg = c.value(QStringLiteral("metrics")).toObject().value(QStringLiteral("ndcg@5")).toObject();
    QCOMPARE(ndcg.value(QStringLiteral("queries")).toInt(), static_cast<int>(expected.n));
    QCOMPARE(ndcg.value(QStringLiteral("delta")).toDouble(), expected.meanDelta);
    QCOMPARE(ndcg.value(QStringLiteral("ci")).toArray().at(0).toDouble(), expected.meanDeltaCI.lower);
    QCOMPARE(ndcg.value(QStringLiteral("p_value")).toDouble(), expected.randomization.pValue);
    QCOMPARE(ndcg.value(QStringLiteral("wins")).toInt() + ndcg.value(QStringLiteral("ties")).toInt()
            + ndcg.value(QStringLiteral("losses")).toInt(),
        static_cast<int>(expected.n));

    // The breakdown partitions the queries by category; each group's mean is its queries' mean.
    const QJsonObject modelA = modelJson(doc, QStringLiteral("model-a"));
    int grouped = 0;
    QStringList names;
    for (const QJsonValue &gv : modelA.value(QStringLiteral("groups")).toArray()) {
        grouped += gv.toObject().value(QStringLiteral("queries")).toInt();
        names << gv.toObject().value(QStringLiteral("group")).toString();
    }
    QCOMPARE(grouped, modelA.value(QStringLiteral("queries")).toInt());
    QCOMPARE(names, (QStringList{QStringLiteral("blue"), QStringLiteral("green"), QStringLiteral("red")}));
    QVERIFY(!c.value(QStringLiteral("groups")).toArray().isEmpty());
    const QJsonArray worst = modelA.value(QStringLiteral("worst")).toArray();
    QCOMPARE(worst.size(), 3);
    QVERIFY(worst.at(0).toObject().value(QStringLiteral("ndcg@5")).toDouble()
        <= worst.at(2).toObject().value(QStringLiteral("ndcg@5")).toDouble());

    const auto text
        = runLookalike({QStringLiteral("eval"), g.folder, QStringLiteral("--by"), QStringLiteral("category")});
    CHECK_OK(text);
    QVERIFY2(text.out.contains("model-b vs model-a (baseline)"), text.out.constData());
    QVERIFY(text.out.contains("95% CI of delta"));
    QVERIFY(text.out.contains("By category"));
    QVERIFY(text.out.contains("left out of the mean: 1 queries with a list but no grade yet"));

    const auto csv
        = runLookalike({QStringLiteral("eval"), g.folder, QStringLiteral("--csv"), QStringLiteral("--per-query")});
    CHECK_OK(csv);
    const QList<QByteArray> lines = csv.out.trimmed().split('\n');
    QCOMPARE(lines.at(0),
        QByteArray("section,model,baseline,group,query,metric,value,low,high,queries,p_value,wins,ties,losses"));
    for (const QByteArray &line : lines)
        QCOMPARE(line.count(','), 13);
    QVERIFY(csv.out.contains("mean,model-a,,,,ndcg@5,"));
    QVERIFY(csv.out.contains("comparison,model-b,model-a,,,p@1,"));
    QVERIFY(
        csv.out.contains(QByteArray("query,model-b,,,") + QByteArray::fromStdString(g.queryKeys.front()) + ",ndcg@5,"));
}

void TestCliEval::rangesBracketTheMetrics()
{
    const GradedProject g = gradedProject();
    const QJsonObject doc = evalJson({QStringLiteral("--ranges"), QStringLiteral("--per-query")}, g.folder);
    int open = 0;
    for (const QJsonValue &mv : doc.value(QStringLiteral("models")).toArray()) {
        for (const QJsonValue &qv : mv.toObject().value(QStringLiteral("per_query")).toArray()) {
            const QJsonObject q = qv.toObject();
            for (const char *key : {"ndcg@5", "p@1", "ndcg@10", "p@5", "mrr"}) {
                const double value = q.value(QLatin1String(key)).toDouble();
                const QJsonArray range = q.value(QLatin1String(key) + QStringLiteral("_range")).toArray();
                QCOMPARE(range.size(), 2);
                QVERIFY(range.at(0).toDouble() <= value + 1e-12);
                QVERIFY(value <= range.at(1).toDouble() + 1e-12);
                open += range.at(0).toDouble() < range.at(1).toDouble();
            }
        }
        QVERIFY(mv.toObject().value(QStringLiteral("mean")).toObject().contains(QStringLiteral("ndcg@5_range")));
    }
    QVERIFY(open > 0); // a third of the candidates are unjudged: some metric must still be open
    const auto text = runLookalike({QStringLiteral("eval"), g.folder, QStringLiteral("--ranges")});
    CHECK_OK(text);
    QVERIFY(text.out.contains("[low, high]: what the metric could still become"));
}

// A production system's lists as a version: imported with its bad lines reported, evaluated as
// trec_eval evaluates the same file, exported, and refused in words where embeddings are needed.
void TestCliEval::importedRunIsAVersionLikeAnyOther()
{
    const GradedProject g = gradedProject();
    QByteArray runText = "# production recommender, week 48\n";
    for (const char *q : {"red-0", "red-1", "green-0", "blue-0"})
        for (int r = 1; r <= 6; ++r)
            runText += QByteArray(q) + " Q0 " + QByteArray(q).split('-')[0] + "-" + QByteArray::number(r + 3) + " "
                     + QByteArray::number(r) + " " + QByteArray::number(1.0 / (r % 3 + 1)) + " prod\n"; // ties
    const QByteArray bad = "red-0 Q0 nope-1 7 0.01 prod\n";
    const QString file = testsupport::writeScratchFile(QStringLiteral("prod.run"), runText + bad);

    const auto usage = runLookalike({QStringLiteral("import-run"), g.folder, file});
    QCOMPARE(usage.exitCode, 2);
    const auto strict = runLookalike(
        {QStringLiteral("import-run"), g.folder, file, QStringLiteral("--name"), QStringLiteral("prod"), QStringLiteral("--strict")});
    QCOMPARE(strict.exitCode, 1);
    QVERIFY2(strict.err.count('\n') == 1 && strict.err.contains("prod.run") && strict.err.contains("line 26")
                 && strict.err.contains("nothing was imported"),
             strict.err.constData());
    QVERIFY(!runLookalike({QStringLiteral("models"), g.folder}).out.contains("prod"));

    const auto r = runLookalike({QStringLiteral("import-run"), g.folder, file, QStringLiteral("--name"), QStringLiteral("prod")});
    CHECK_OK(r);
    QVERIFY2(r.out.contains("prod: 4 lists (24 candidates) from 25 lines of a TREC run file, frozen at depth 10"), r.out.constData());
    QVERIFY2(r.out.contains("1 lines skipped:\n  line 26: candidate 'nope-1' is not in the catalog"), r.out.constData());
    QVERIFY(r.out.contains("4 queries of the query set have no list in the file"));
    QVERIFY(testsupport::readFileBytes(g.folder + QStringLiteral("/run-import-report.txt")).contains("line 26\t"));
    const auto models = runLookalike({QStringLiteral("models"), g.folder});
    QVERIFY2(models.out.contains(QByteArray("prod").leftJustified(20) + "  run"), models.out.constData());

    // eval: the version is there, its lists not called approximate, its numbers trec_eval's on the file.
    const QJsonObject doc = evalJson({}, g.folder);
    const QJsonObject prod = modelJson(doc, QStringLiteral("prod"));
    QCOMPARE(prod.value(QStringLiteral("lists_searched_with")).toObject().value(QStringLiteral("run")).toInt(), 4);
    QVERIFY(!runLookalike({QStringLiteral("eval"), g.folder}).out.contains("prod's lists came from an approximate index"));
    const QString out = testsupport::scratchDir(QStringLiteral("export-run"));
    CHECK_OK(runLookalike({QStringLiteral("export"), g.folder, QStringLiteral("--out"), out}));
    const QByteArray qrels = testsupport::readFileBytes(QDir(out).filePath(QStringLiteral("qrels-prod.txt")));
    const trec::Evaluation onTheirFile = trec::evaluate(qrels, runText, 1);
    const trec::Evaluation onOurExport
        = trec::evaluate(qrels, testsupport::readFileBytes(QDir(out).filePath(QStringLiteral("run-prod.txt"))), 1);
    QVERIFY(!onTheirFile.perQuery.empty());
    const double ndcg = prod.value(QStringLiteral("mean")).toObject().value(QStringLiteral("ndcg@5")).toDouble();
    QVERIFY2(std::abs(onTheirFile.mean.ndcg5 - ndcg) < 1e-12, "nDCG@5 differs from trec_eval on the imported file");
    QVERIFY(std::abs(onOurExport.mean.ndcg5 - ndcg) < 1e-12);
    for (const auto &[qid, m] : onTheirFile.perQuery)
        QCOMPARE(onOurExport.perQuery.at(qid).ranking, m.ranking);

    // Embedding work is refused in one line that says why.
    const auto neighbours = runLookalike({QStringLiteral("neighbours"), g.folder, QStringLiteral("--model"),
                                          QStringLiteral("prod"), QStringLiteral("--query"), QStringLiteral("red-0")});
    QCOMPARE(neighbours.exitCode, 1);
    QVERIFY2(neighbours.err.count('\n') == 1 && neighbours.err.contains("no embeddings"), neighbours.err.constData());
}

void TestCliEval::planSaysWhereTheComparisonStands()
{
    const GradedProject g = gradedProject();
    QCOMPARE(runLookalike({QStringLiteral("plan"), g.folder, QStringLiteral("--models"), QStringLiteral("model-a")}).exitCode, 2);
    QCOMPARE(runLookalike({QStringLiteral("plan"), g.folder, QStringLiteral("--models"), QStringLiteral("model-a,model-b"),
                           QStringLiteral("--metric"), QStringLiteral("mrr")})
                 .exitCode,
             2);
    const auto text = runLookalike({QStringLiteral("plan"), g.folder, QStringLiteral("--models"),
                                    QStringLiteral("model-a,model-b"), QStringLiteral("--next"), QStringLiteral("3")});
    CHECK_OK(text);
    QVERIFY2(text.out.startsWith("model-b against model-a on nDCG@5, 8 queries: "), text.out.constData());
    QVERIFY2(text.out.contains("next 3 of "), text.out.constData());
    QVERIFY2(text.out.contains("expected from the grades seen"), text.out.constData());

    const auto json = runLookalike({QStringLiteral("plan"), g.folder, QStringLiteral("--models"), QStringLiteral("model-a,model-b"),
                                    QStringLiteral("--metric"), QStringLiteral("p@1"), QStringLiteral("--next"), QStringLiteral("50"),
                                    QStringLiteral("--json")});
    CHECK_OK(json);
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(doc.value(QStringLiteral("metric")).toString(), QStringLiteral("p@1"));
    QVERIFY(doc.value(QStringLiteral("judged")).toInt() > 0);
    QVERIFY(doc.value(QStringLiteral("judged")).toInt() <= doc.value(QStringLiteral("pairs")).toInt());
    const QJsonArray bounds = doc.value(QStringLiteral("bounds")).toArray();
    const double mean = doc.value(QStringLiteral("mean")).toDouble(-9);
    QVERIFY(bounds.at(0).toDouble() <= mean && mean <= bounds.at(1).toDouble());
    // The pairs it lists are ungraded, and grading them is ordinary judging.
    Project project = Project::open(g.folder.toStdString());
    JudgmentStore store(project);
    const auto graded = store.resolvedGrades();
    const QJsonArray next = doc.value(QStringLiteral("next")).toArray();
    QCOMPARE(next.size(), doc.value(QStringLiteral("informative")).toInt());
    for (const QJsonValue &v : next) {
        const std::int64_t q = project.requireItem(v[QStringLiteral("query")].toString().toStdString()).id;
        const std::int64_t c = project.requireItem(v[QStringLiteral("candidate")].toString().toStdString()).id;
        QVERIFY(!graded.count({q, c}));
        store.grade(q, c, "ana", 3);
    }
    const QJsonObject after = QJsonDocument::fromJson(runLookalike({QStringLiteral("plan"), g.folder, QStringLiteral("--models"),
                                                                    QStringLiteral("model-a,model-b"), QStringLiteral("--metric"),
                                                                    QStringLiteral("p@1"), QStringLiteral("--json")})
                                                          .out)
                                  .object();
    QCOMPARE(after.value(QStringLiteral("informative")).toInt(), 0);
    QVERIFY(after.value(QStringLiteral("verdict")).toString() != QStringLiteral("open"));
}

void TestCliEval::assignPlanHandsOutThePlannedQueries()
{
    const GradedProject g = gradedProject();
    const QStringList plan{QStringLiteral("--models"), QStringLiteral("model-a,model-b")};
    const QJsonObject doc = QJsonDocument::fromJson(
        runLookalike(QStringList{QStringLiteral("plan"), g.folder, QStringLiteral("--next"), QStringLiteral("6"), QStringLiteral("--json")} + plan).out).object();
    Project project = Project::open(g.folder.toStdString());
    std::set<std::int64_t> expected;
    for (const QJsonValue &v : doc.value(QStringLiteral("next")).toArray())
        expected.insert(project.requireItem(v[QStringLiteral("query")].toString().toStdString()).id);
    QVERIFY(!expected.empty());
    QCOMPARE(runLookalike(QStringList{QStringLiteral("assign"), g.folder, QStringLiteral("--raters"), QStringLiteral("ana,ben"),
                                      QStringLiteral("--plan")})
                 .exitCode,
             2); // --plan needs --models
    const auto r = runLookalike(QStringList{QStringLiteral("assign"), g.folder, QStringLiteral("--raters"), QStringLiteral("ana,ben"),
                                            QStringLiteral("--plan"), QStringLiteral("--pairs"), QStringLiteral("6")}
                                + plan);
    CHECK_OK(r);
    QVERIFY2(r.out.startsWith("the planner's next 6 pairs (model-b against model-a on nDCG@5) are in these queries"), r.out.constData());
    std::set<std::int64_t> assigned;
    for (const auto &[query, raters] : RaterBoard(project).assignment()) {
        assigned.insert(query);
        QCOMPARE(raters.size(), std::size_t(1)); // each pair to one rater
    }
    QCOMPARE(assigned, expected);
}

void TestCliEval::reportIsWritten()
{
    const GradedProject g = gradedProject();
    const QString out = testsupport::scratchDir(QStringLiteral("cli-report")) + QStringLiteral("/r/report.html");
    QCOMPARE(runLookalike({QStringLiteral("report"), g.folder}).exitCode, 2); // --out is needed
    const auto r = runLookalike({QStringLiteral("report"), g.folder, QStringLiteral("--out"), out, QStringLiteral("--models"),
                                 QStringLiteral("model-b,model-a"), QStringLiteral("--blind"), QStringLiteral("--worst"),
                                 QStringLiteral("2")});
    CHECK_OK(r);
    QVERIFY2(r.out.contains("report.html: 2 versions, 8 queries in the set, "), r.out.constData());
    const QByteArray html = testsupport::readFileBytes(out);
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QVERIFY(!html.contains("model-a") && html.contains("Comparison with version 1"));
    QCOMPARE(html.count("<div class=\"case\">"), 2 * 2 + 2); // 2 worst per version, 2 gaps
    const auto unknown = runLookalike({QStringLiteral("report"), g.folder, QStringLiteral("--out"), out,
                                       QStringLiteral("--models"), QStringLiteral("nope")});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY2(unknown.err.count('\n') == 1 && unknown.err.contains("'nope'"), unknown.err.constData());
}

void TestCliEval::importQrelsReportsUnmatchedIds()
{
    const GradedProject g = gradedProject();
    const QString qrels = testsupport::writeScratchFile(QStringLiteral("vendor.qrels"),
        "# from another tool\nred-0 0 red-1 3\nred-0 0 nope-9 2\nghost 0 red-1 1\nblue-0 0 blue-1 9\n");
    const auto strict = runLookalike({QStringLiteral("import-qrels"), g.folder, qrels, QStringLiteral("--rater"),
        QStringLiteral("vendor"), QStringLiteral("--strict")});
    QCOMPARE(strict.exitCode, 1);
    QVERIFY2(strict.err.startsWith("lookalike: error: ") && strict.err.count('\n') == 1, strict.err.constData());
    QVERIFY(strict.err.contains("vendor.qrels"));
    QVERIFY(strict.err.contains("nothing was imported"));

    const auto r = runLookalike(
        {QStringLiteral("import-qrels"), g.folder, qrels, QStringLiteral("--rater"), QStringLiteral("vendor")});
    CHECK_OK(r);
    QVERIFY2(r.out.contains("4 lines: 1 grades imported, 0 unchanged, 3 skipped"), r.out.constData());
    QVERIFY(r.out.contains("query ids not in the catalog (1): ghost"));
    QVERIFY(r.out.contains("document ids not in the catalog (1): nope-9"));
    QVERIFY(r.out.contains("grades not on the project's scale: 9"));
    const QByteArray report = testsupport::readFileBytes(g.folder + QStringLiteral("/qrels-import-report.txt"));
    QVERIFY(report.contains("query\tghost"));
    QVERIFY(report.contains("document\tnope-9"));

    Project project = Project::open(g.folder.toStdString());
    const auto vendor = JudgmentStore(project).judgments({}, "vendor");
    QCOMPARE(vendor.size(), std::size_t(1));
    QCOMPARE(vendor.front().grade, 3);

    const auto bad = runLookalike({QStringLiteral("import-qrels"), g.folder,
        testsupport::writeScratchFile(QStringLiteral("bad.qrels"), "red-0 0 red-1 x\n"), QStringLiteral("--rater"),
        QStringLiteral("vendor")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("bad.qrels") && bad.err.contains("line 1"), bad.err.constData());
}

void TestCliEval::agreementBetweenRaters()
{
    const GradedProject g = gradedProject();
    // Give ben a grade on every pair ana graded for the first query, one step off where ana gave 0.
    {
        Project project = Project::open(g.folder.toStdString());
        JudgmentStore store(project);
        const std::int64_t q = project.requireItem(g.queryKeys.front()).id;
        for (const Judgment &j : store.judgments(q, "ana"))
            store.grade(q, j.candidateItemId, "ben", j.grade == 0 ? 1 : j.grade);
    }
    const auto text = runLookalike({QStringLiteral("agreement"), g.folder});
    CHECK_OK(text);
    QVERIFY2(text.out.contains("2 raters: ana, ben"), text.out.constData());
    QVERIFY(text.out.contains("kappa (linear)"));
    QVERIFY(text.out.contains("Krippendorff's alpha (ordinal)"));

    const auto json = runLookalike({QStringLiteral("agreement"), g.folder, QStringLiteral("--json")});
    CHECK_OK(json);
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    const QJsonObject pair = doc.value(QStringLiteral("pairs")).toArray().at(0).toObject();
    QVERIFY(pair.value(QStringLiteral("items")).toDouble() >= 1);
    const double kappa = pair.value(QStringLiteral("kappa_quadratic")).toDouble();
    QVERIFY(kappa > -1.0 && kappa <= 1.0);
    for (const QJsonValue &d : doc.value(QStringLiteral("disagreements")).toArray())
        QVERIFY(d.toObject().value(QStringLiteral("spread")).toInt() >= 1);

    const auto alone
        = runLookalike({QStringLiteral("agreement"), g.folder, QStringLiteral("--exclude"), QStringLiteral("ben")});
    CHECK_OK(alone);
    QVERIFY(alone.out.contains("needs at least two raters"));
}

void TestCliEval::settingsChangeTheMetrics()
{
    const GradedProject g = gradedProject();
    const double before = modelJson(evalJson({}, g.folder), QStringLiteral("model-a"))
                              .value(QStringLiteral("mean"))
                              .toObject()
                              .value(QStringLiteral("p@5"))
                              .toDouble();
    const auto set = runLookalike({QStringLiteral("settings"), g.folder, QStringLiteral("--threshold"),
        QStringLiteral("3"), QStringLiteral("--rule"), QStringLiteral("majority")});
    CHECK_OK(set);
    QVERIFY2(set.out.contains("relevant:     grade >= 3"), set.out.constData());
    QVERIFY(set.out.contains("rule:         majority"));
    const QJsonObject after = evalJson({}, g.folder);
    QCOMPARE(after.value(QStringLiteral("settings")).toObject().value(QStringLiteral("relevant_threshold")).toInt(), 3);
    const double stricter = modelJson(after, QStringLiteral("model-a"))
                                .value(QStringLiteral("mean"))
                                .toObject()
                                .value(QStringLiteral("p@5"))
                                .toDouble();
    QVERIFY2(stricter < before, qPrintable(QStringLiteral("%1 vs %2").arg(stricter).arg(before)));

    const auto binary
        = runLookalike({QStringLiteral("settings"), g.folder, QStringLiteral("--scale"), QStringLiteral("binary")});
    QCOMPARE(binary.exitCode, 1); // grades 2 and 3 exist
    QVERIFY2(binary.err.contains("has no grade"), binary.err.constData());
    const auto rule
        = runLookalike({QStringLiteral("settings"), g.folder, QStringLiteral("--rule"), QStringLiteral("loudest")});
    QCOMPARE(rule.exitCode, 1);
    QVERIFY(rule.err.contains("unknown resolution rule 'loudest'"));
}

void TestCliEval::errorsAreOneLine()
{
    const GradedProject g = gradedProject();
    const auto unknown = runLookalike(
        {QStringLiteral("eval"), g.folder, QStringLiteral("--models"), QStringLiteral("model-a,model-z")});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY2(unknown.err.contains("no model version named 'model-z' (the project has: model-a, model-b)"),
        unknown.err.constData());
    QCOMPARE(unknown.err.count('\n'), 1);
    const auto both
        = runLookalike({QStringLiteral("eval"), g.folder, QStringLiteral("--json"), QStringLiteral("--csv")});
    QCOMPARE(both.exitCode, 2);
    const auto missing = runLookalike(
        {QStringLiteral("eval"), testsupport::scratchDir(QStringLiteral("none")) + QStringLiteral("/nope")});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.err.startsWith("lookalike: error: "));
    const auto by = runLookalike({QStringLiteral("eval"), g.folder, QStringLiteral("--by"), QStringLiteral("brand")});
    QCOMPARE(by.exitCode, 1);
    QVERIFY(by.err.contains("no query item has an attribute 'brand'"));
    const auto noOut = runLookalike({QStringLiteral("export"), g.folder});
    QCOMPARE(noOut.exitCode, 2);
}

void TestCliEval::approximateListsAreNamed()
{
    // Exact lists need no note; lists frozen from HNSW are named as approximate, in the text
    // and in the JSON, because a neighbour the index missed counts against the model.
    const GradedProject g = gradedProject();
    const auto exact = runLookalike({QStringLiteral("eval"), g.folder});
    CHECK_OK(exact);
    QVERIFY(!exact.out.contains("approximate"));
    QCOMPARE(modelJson(evalJson({}, g.folder), QStringLiteral("model-b"))
                 .value(QStringLiteral("lists_searched_with")).toObject().value(QStringLiteral("exact")).toInt(),
             8);
    {
        Project project = Project::open(g.folder.toStdString());
        IndexOptions hnsw;
        hnsw.kind = IndexKind::Hnsw;
        buildIndexAndFreeze(project, requireModelVersion(project, "model-b"), hnsw, false, 10, true, false);
    }
    const auto approximate = runLookalike({QStringLiteral("eval"), g.folder});
    CHECK_OK(approximate);
    QVERIFY2(approximate.out.contains("note: model-b's lists came from an approximate index (hnsw for 8 of its 8 "
                                      "lists)"),
             approximate.out.constData());
    QVERIFY(!approximate.out.contains("model-a's lists"));
    const QJsonObject searched = modelJson(evalJson({}, g.folder), QStringLiteral("model-b"))
                                     .value(QStringLiteral("lists_searched_with")).toObject();
    QCOMPARE(searched.value(QStringLiteral("hnsw")).toInt(), 8);
    QVERIFY(!searched.contains(QStringLiteral("exact")));
}

QTEST_MAIN(TestCliEval)
#include "tst_cli_eval.moc"
