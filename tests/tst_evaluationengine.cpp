// Live evaluation: metrics from frozen lists and pooled grades; after random sequences of
// grades and undos by several raters, the incrementally updated metrics equal a full
// recomputation exactly; comparisons run on the queries both versions have.
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "support/TwoModelProject.h"

#include <QTest>

#include <random>

using namespace lookalike;

namespace {

using Fixture = testsupport::TwoModelProject;

Fixture makeFixture()
{
    return testsupport::makeTwoModelProject();
}

void verifyEqual(const QueryMetrics &a, const QueryMetrics &b)
{
    QCOMPARE(a.ndcg5, b.ndcg5);
    QCOMPARE(a.precision1, b.precision1);
    QCOMPARE(a.ndcg10, b.ndcg10);
    QCOMPARE(a.precision5, b.precision5);
    QCOMPARE(a.reciprocalRank, b.reciprocalRank);
    QCOMPARE(a.judged5, b.judged5);
    QCOMPARE(a.ndcg5Range.low, b.ndcg5Range.low);
    QCOMPARE(a.ndcg5Range.high, b.ndcg5Range.high);
    QCOMPARE(a.precision1Range.high, b.precision1Range.high);
}

} // namespace

class TestEvaluationEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsFollowTheGrades();
    void incrementalEqualsFullAfterRandomGradesAndUndos();
    void comparisonUsesQueriesBothHave();
    void unjudgedQueriesListsAreReadOnDemand();
    void queriesOutsideTheSetAreCountedApart();
};

// An item graded as a query but not in the query set is left out of every metric and counted
// as such (live and in a full load alike), not as a query "graded without a list".
void TestEvaluationEngine::queriesOutsideTheSetAreCountedApart()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    EvaluationEngine live(p);
    const std::int64_t outside = p.requireItem("red-7").id;
    JudgmentStore store(p);
    store.grade(outside, p.requireItem("red-8").id, "ana", 2);
    live.refreshQuery(outside);
    QCOMPARE(live.gradedOutsideQuerySet(), 1);
    const EvaluationEngine full(p);
    QCOMPARE(full.gradedOutsideQuerySet(), 1);
    for (const ModelVersion &v : f.versions) {
        QCOMPARE(live.metrics(v.id).queriesWithoutList, 0);
        QCOMPARE(full.metrics(v.id).queriesWithoutList, 0);
        QVERIFY(live.metrics(v.id).perQuery.empty());
    }
    store.undo("ana");
    live.refreshQuery(outside);
    QCOMPARE(live.gradedOutsideQuerySet(), 0);

    // Graded, then made a query of the set: a full reload counts it in.
    store.redo("ana");
    p.addQueries({outside}, "test");
    live.refreshAll();
    QCOMPARE(live.gradedOutsideQuerySet(), 0);
    QCOMPARE(live.metrics(f.versions[0].id).queriesWithoutList, 1); // graded, no list frozen for it yet
}

void TestEvaluationEngine::metricsFollowTheGrades()
{
    Fixture f = makeFixture();
    EvaluationEngine engine(*f.project);
    const ModelVersion &a = f.versions[0];
    QVERIFY(engine.metrics(a.id).perQuery.empty()); // nothing judged yet: no query enters the mean
    QCOMPARE(engine.metrics(a.id).queriesWithoutJudgment, 8);

    const std::int64_t q = f.queries[0];
    const auto list = frozenResultList(*f.project, a, q);
    JudgmentStore store(*f.project);
    store.grade(q, list[0].candidateItemId, "ana", 3); // rank 1 near-identical
    store.grade(q, list[1].candidateItemId, "ana", 0);
    engine.refreshQuery(q);
    const QueryMetrics &m = engine.metrics(a.id).perQuery.at(q);
    QCOMPARE(m.precision1, 1.0);
    QCOMPARE(m.ndcg5, 1.0); // the only graded relevant item is at rank 1
    QCOMPARE(m.judged5, 2.0 / 5.0);
    QVERIFY(m.ndcg5Range.low < 1.0); // unjudged ranks 3-5 could still hold better items
    QCOMPARE(engine.metrics(a.id).mean.precision1, 1.0);

    store.undo("ana");
    store.undo("ana");
    engine.refreshQuery(q);
    QVERIFY(engine.metrics(a.id).perQuery.empty());
}

void TestEvaluationEngine::incrementalEqualsFullAfterRandomGradesAndUndos()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    store.setResolutionRule(ResolutionRule::Majority);
    EvaluationEngine live(*f.project);
    std::mt19937 rng(3);
    const std::vector<std::string> raters{"ana", "ben", "cid"};
    for (int step = 0; step < 120; ++step) {
        const std::string rater = raters[rng() % raters.size()];
        std::optional<JudgmentEvent> event;
        if (rng() % 5 == 0) {
            event = rng() % 2 ? store.undo(rater) : store.redo(rater);
        } else {
            const std::int64_t q = f.queries[rng() % f.queries.size()];
            const auto list = frozenResultList(*f.project, f.versions[rng() % 2], q);
            event = store.grade(q, list[rng() % list.size()].candidateItemId, rater, static_cast<int>(rng() % 4));
        }
        if (event)
            live.refreshQuery(event->queryItemId);
        if (step % 10 != 9)
            continue;
        const EvaluationEngine full(*f.project);
        for (const ModelVersion &v : f.versions) {
            const ModelMetrics &a = live.metrics(v.id), &b = full.metrics(v.id);
            QCOMPARE(a.perQuery.size(), b.perQuery.size());
            for (const auto &[q, m] : b.perQuery)
                verifyEqual(a.perQuery.at(q), m);
            verifyEqual(a.mean, b.mean);
            QCOMPARE(a.queriesWithoutJudgment, b.queriesWithoutJudgment);
            QCOMPARE(a.queriesWithoutList, b.queriesWithoutList);
        }
    }
    QVERIFY(!live.metrics(f.versions[0].id).perQuery.empty());
}

void TestEvaluationEngine::comparisonUsesQueriesBothHave()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    // Grade model-b's top candidate of each query relevant, model-a's top not relevant.
    for (std::int64_t q : f.queries) {
        const auto la = frozenResultList(*f.project, f.versions[0], q);
        const auto lb = frozenResultList(*f.project, f.versions[1], q);
        if (la[0].candidateItemId != lb[0].candidateItemId) {
            store.grade(q, la[0].candidateItemId, "ana", 0);
            store.grade(q, lb[0].candidateItemId, "ana", 3);
        }
    }
    const EvaluationEngine engine(*f.project);
    const PairedComparison c = engine.compare(f.versions[0].id, f.versions[1].id, Metric::Precision1);
    QVERIFY(c.n >= std::size_t(6));
    QCOMPARE(c.meanA, 0.0);
    QCOMPARE(c.meanB, 1.0);
    QCOMPARE(c.winsTiesLosses.wins, c.n);
    QVERIFY(c.randomization.pValue < 0.05);
}

void TestEvaluationEngine::unjudgedQueriesListsAreReadOnDemand()
{
    // The engine holds the judged queries' lists only; the others are read when asked for and
    // must be the frozen lists all the same, before and after a query is graded and ungraded.
    Fixture f = makeFixture();
    EvaluationEngine engine(*f.project);
    auto verifyLists = [&] {
        for (const ModelVersion &v : f.versions)
            for (std::int64_t q : f.queries) {
                RankedList expected;
                for (const ResultEntry &e : frozenResultList(*f.project, v, q))
                    expected.push_back(e.candidateItemId);
                QCOMPARE(engine.list(v.id, q), expected);
                QCOMPARE(engine.listLength(v.id, q), static_cast<int>(expected.size()));
            }
        QVERIFY(engine.list(f.versions[0].id, 999999).empty()); // no such query
    };
    verifyLists();
    const std::int64_t q = f.queries[2];
    JudgmentStore store(*f.project);
    store.grade(q, engine.list(f.versions[0].id, q)[0], "ana", 2);
    engine.refreshQuery(q);
    verifyLists();
    QCOMPARE(engine.metrics(f.versions[0].id).queriesWithoutJudgment, 7);
    QVERIFY(engine.metrics(f.versions[0].id).perQuery.count(q));
    store.undo("ana");
    engine.refreshQuery(q);
    verifyLists();
    QCOMPARE(engine.metrics(f.versions[0].id).queriesWithoutJudgment, 8);
    QVERIFY(engine.metrics(f.versions[0].id).perQuery.empty());
}

QTEST_MAIN(TestEvaluationEngine)
#include "tst_evaluationengine.moc"
