// JudgingPlanner on a project: the plan holds only ungraded pairs of the compared queries, most
// informative first; grading in plan order through the ordinary judgment store never gives a
// verdict that every grade later contradicts, and ends where a fresh planner on every grade
// does; with a clear difference the resampled interval decides well before the bounds settle;
// the one-line status says the verdict; bad requests are refused by name.
#include "core/Error.h"
#include "core/project/FrozenLists.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/JudgmentStore.h"
#include "support/ErrorOf.h"
#include "support/TwoModelProject.h"

#include <QTest>

#include <optional>
#include <random>
#include <set>

using namespace lookalike;
using testsupport::errorOf;

class TestJudgingPlanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void planHoldsOnlyUngradedPairs();
    void gradingInPlanOrderIsNeverContradicted_data();
    void gradingInPlanOrderIsNeverContradicted();
    void significantBeforeSettled();
    void gradesTeachTheOtherQueries();
    void statusLineSaysTheVerdict();
    void badRequestsAreRefused();
};

void TestJudgingPlanner::planHoldsOnlyUngradedPairs()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    const std::int64_t q = f.queries[0];
    const std::int64_t graded = frozenResultList(p, f.versions[0], q).at(0).candidateItemId;
    store.grade(q, graded, "ana", 2);
    const JudgingPlanner planner(p, "model-a", "model-b");
    const PlanStatus s = planner.status();
    QCOMPARE(s.queries, f.queries.size());
    QCOMPARE(s.judged, std::size_t(1));
    QVERIFY(s.pairs >= 10 * f.queries.size());
    QCOMPARE(s.verdict, PlanVerdict::Open);
    const std::vector<PlannedPair> plan = planner.next(1000);
    QCOMPARE(plan.size(), s.informative);
    std::set<std::pair<std::int64_t, std::int64_t>> seen;
    const std::set<std::int64_t> queries(f.queries.begin(), f.queries.end());
    for (std::size_t i = 0; i < plan.size(); ++i) {
        QVERIFY(seen.insert({plan[i].query, plan[i].candidate}).second);
        QVERIFY(queries.count(plan[i].query));
        QVERIFY(!(plan[i].query == q && plan[i].candidate == graded));
        QVERIFY(plan[i].value > 0);
        if (i > 0)
            QVERIFY(plan[i].value <= plan[i - 1].value);
    }
    QVERIFY(planner.informationLeft(q) > 0);
    QCOMPARE(planner.informationLeft(-5), 0.0);
}

void TestJudgingPlanner::gradingInPlanOrderIsNeverContradicted_data()
{
    QTest::addColumn<int>("metric");
    QTest::addColumn<unsigned>("seed");
    for (unsigned seed : {1u, 2u, 3u}) {
        QTest::addRow("nDCG@5, seed %u", seed) << int(Metric::Ndcg5) << seed;
        QTest::addRow("P@1, seed %u", seed) << int(Metric::Precision1) << seed;
    }
}

void TestJudgingPlanner::gradingInPlanOrderIsNeverContradicted()
{
    QFETCH(int, metric);
    QFETCH(unsigned, seed);
    auto f = testsupport::makeTwoModelProject(seed);
    Project &p = *f.project;
    // The truth: model-b's lists are better (grades fall with model-b's rank), plus noise.
    std::map<std::pair<std::int64_t, std::int64_t>, int> truth;
    std::mt19937 rng(seed);
    for (std::int64_t q : f.queries) {
        for (const ResultEntry &e : frozenResultList(p, f.versions[0], q))
            truth[{q, e.candidateItemId}] = static_cast<int>(rng() % 2);
        for (const ResultEntry &e : frozenResultList(p, f.versions[1], q))
            truth[{q, e.candidateItemId}] = std::max(0, 3 - e.rank / 2 - static_cast<int>(rng() % 2));
    }
    JudgmentStore store(p);
    JudgingPlanner planner(p, "model-a", "model-b", Metric(metric));
    std::vector<PlanStatus> history{planner.status()};
    std::size_t steps = 0;
    for (std::vector<PlannedPair> next = planner.next(1); !next.empty(); next = planner.next(1)) {
        const auto [q, c] = std::make_pair(next[0].query, next[0].candidate);
        store.grade(q, c, "ana", truth.at({q, c}));
        planner.refreshQuery(q);
        history.push_back(planner.status());
        QVERIFY(++steps <= truth.size());
    }
    // Grade the rest (pairs the plan never needed): nothing may change.
    for (const auto &[pair, grade] : truth)
        store.grade(pair.first, pair.second, "ana", grade);
    const PlanStatus final = JudgingPlanner(p, "model-a", "model-b", Metric(metric)).status();
    QCOMPARE(final.judged, final.pairs);
    QCOMPARE(final.informative, std::size_t(0));
    QVERIFY(final.verdict != PlanVerdict::Open);
    QCOMPARE(history.back().direction, final.direction);
    QCOMPARE(history.back().verdict, final.verdict);
    QVERIFY2(std::abs(history.back().low - final.low) < 1e-12 && std::abs(history.back().high - final.high) < 1e-12,
             "the plan stopped before the bounds were final");
    for (const PlanStatus &s : history) {
        if (s.direction != 0)
            QCOMPARE(s.direction, final.direction);
        QVERIFY(s.low <= final.low + 1e-12 && final.high <= s.high + 1e-12);
        if (s.verdict == PlanVerdict::Significant)
            QVERIFY(final.verdict == PlanVerdict::Significant && final.direction == s.direction);
    }
    // Which version is better was known, for good, before the plan's last grade.
    std::size_t decided = history.size();
    while (decided > 0 && history[decided - 1].direction == final.direction)
        --decided;
    if (final.direction != 0)
        QVERIFY2(decided < history.size() - 1,
                 qPrintable(QStringLiteral("decided after %1 of %2 grades").arg(decided).arg(history.size() - 1)));
}

// 120 generated queries, B's lists far better than A's: grading in plan order, the interval
// that resamples the unjudged grades excludes 0 (on B's side, as every grade has it) while the
// bounds still include 0, and with a fraction of the pairs; never on A's side.
void TestJudgingPlanner::significantBeforeSettled()
{
    std::mt19937 rng(3);
    std::map<std::int64_t, PlanQuery> queries;
    std::map<std::int64_t, QueryJudgments> truth;
    std::int64_t next = 100;
    for (std::int64_t q = 0; q < 120; ++q) {
        std::vector<std::pair<int, std::int64_t>> items;
        for (int i = 0; i < 20; ++i)
            items.emplace_back(static_cast<int>(rng() % 10 < 6 ? 0 : 1 + rng() % 3), next++);
        for (const auto &[grade, id] : items)
            truth[q][id] = grade;
        PlanQuery &pq = queries[q];
        std::shuffle(items.begin(), items.end(), rng);
        for (int r = 0; r < 10; ++r)
            pq.a.push_back(items[static_cast<std::size_t>(r)].second); // A: any order
        std::sort(items.rbegin(), items.rend());
        for (int r = 0; r < 10; ++r)
            pq.b.push_back(items[static_cast<std::size_t>(r)].second); // B: best first
        std::set<std::int64_t> pool(pq.a.begin(), pq.a.end());
        pool.insert(pq.b.begin(), pq.b.end());
        pq.pool.assign(pool.begin(), pool.end());
        std::erase_if(truth[q], [&](const auto &kv) { return !pool.count(kv.first); });
    }
    JudgingPlanner planner(queries, MetricSettings{}, Metric::Ndcg5);
    std::size_t all = 0;
    for (const auto &[q, g] : truth)
        all += g.size();
    std::map<std::int64_t, QueryJudgments> seen;
    std::optional<std::size_t> significantAt;
    for (std::size_t step = 1; !significantAt; ++step) {
        const std::vector<PlannedPair> top = planner.next(1);
        QVERIFY(!top.empty());
        seen[top[0].query][top[0].candidate] = truth[top[0].query].at(top[0].candidate);
        planner.setGrades(top[0].query, seen[top[0].query]);
        const PlanStatus s = planner.status();
        QVERIFY(s.ciHigh > 0); // never A's side
        if (s.verdict == PlanVerdict::Significant) {
            significantAt = step;
            QCOMPARE(s.direction, 1);
            QVERIFY2(s.low < 0, "the bounds had settled already: the interval decided nothing earlier");
            QVERIFY(s.ciLow > 0 && s.ciLow <= s.mean && s.mean <= s.ciHigh);
            QVERIFY(s.low <= s.mean && s.mean <= s.high);
        }
    }
    QVERIFY2(*significantAt < all / 4, qPrintable(QStringLiteral("significant after %1 of %2 pairs").arg(*significantAt).arg(all)));
    for (auto &[q, pq] : queries)
        pq.grades = truth[q];
    const PlanStatus final = JudgingPlanner(queries, MetricSettings{}, Metric::Ndcg5).status();
    QCOMPARE(final.verdict, PlanVerdict::Significant);
    QCOMPARE(final.direction, 1);
}

// A grade changes the odds every query's unjudged candidates are drawn from: after a query's
// lists are graded (high at the top, low below), another query's priorities have moved too,
// though nothing of it was graded.
void TestJudgingPlanner::gradesTeachTheOtherQueries()
{
    std::map<std::int64_t, PlanQuery> queries;
    for (std::int64_t q = 0; q < 3; ++q) {
        PlanQuery &pq = queries[q];
        for (std::int64_t r = 0; r < 8; ++r) {
            pq.a.push_back(q * 100 + r);
            pq.b.push_back(q * 100 + (r + 1) % 8); // B: A's list turned by one
        }
        pq.pool = pq.a;
    }
    JudgingPlanner planner(queries, MetricSettings{}, Metric::Ndcg5);
    auto valuesOf = [&](std::int64_t query) {
        std::map<std::int64_t, double> out;
        for (const PlannedPair &p : planner.next(1000))
            if (p.query == query)
                out[p.candidate] = p.value;
        return out;
    };
    const std::map<std::int64_t, double> before = valuesOf(2);
    QVERIFY(!before.empty());
    QueryJudgments grades;
    for (std::int64_t r = 0; r < 8; ++r)
        grades[r] = r < 3 ? 3 : 0;
    planner.setGrades(0, grades);
    const std::map<std::int64_t, double> after = valuesOf(2);
    QCOMPARE(after.size(), before.size());
    QVERIFY(after != before);
}

void TestJudgingPlanner::statusLineSaysTheVerdict()
{
    PlanStatus s;
    s.pairs = 2150;
    s.judged = 312;
    s.queries = 200;
    s.verdict = PlanVerdict::Settled;
    s.direction = 1;
    s.informative = 10;
    QCOMPARE(planStatusLine(s, "base", "siglip-ft", Metric::Ndcg5),
             std::string("settled after 312 of 2,150 pairs: siglip-ft better on nDCG@5, not significant yet"));
    s.verdict = PlanVerdict::Significant;
    s.direction = -1;
    s.ciLow = -0.2;
    s.ciHigh = -0.05;
    QCOMPARE(planStatusLine(s, "base", "siglip-ft", Metric::Precision1),
             std::string("significant after 312 of 2,150 pairs: base better on P@1 (95 % interval -0.2000 to -0.0500)"));
    s.verdict = PlanVerdict::Open;
    s.direction = 0;
    s.estimate = 1234;
    QCOMPARE(planStatusLine(s, "base", "siglip-ft", Metric::Ndcg5),
             std::string("open after 312 of 2,150 pairs: roughly 1,234 more judgments to decide"));
    s.estimate.reset();
    QVERIFY(planStatusLine(s, "a", "b", Metric::Ndcg5).find("no decision in sight") != std::string::npos);
    s.judged = 0;
    QCOMPARE(planStatusLine(s, "a", "b", Metric::Ndcg5), std::string("open after 0 of 2,150 pairs: nothing graded yet"));
}

void TestJudgingPlanner::badRequestsAreRefused()
{
    auto f = testsupport::makeTwoModelProject();
    const auto same = errorOf([&] { JudgingPlanner(*f.project, "model-a", "model-a"); });
    QVERIFY(same);
    QVERIFY2(QString::fromUtf8(same->what()).contains(QStringLiteral("two different versions")), same->what());
    const auto unknown = errorOf([&] { JudgingPlanner(*f.project, "model-a", "nope"); });
    QVERIFY(unknown);
    QCOMPARE(unknown->code(), ErrorCode::NotFound);
    const auto metric = errorOf([&] { JudgingPlanner(*f.project, "model-a", "model-b", Metric::Ndcg10); });
    QVERIFY(metric);
    QVERIFY2(QString::fromUtf8(metric->what()).contains(QStringLiteral("nDCG@5 or P@1")), metric->what());
}

QTEST_MAIN(TestJudgingPlanner)
#include "tst_judgingplanner.moc"
