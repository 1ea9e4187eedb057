// PairDelta: the bounds of one query's difference between two versions hold for every way of
// grading what is unjudged (checked by enumerating every grading against RankingMetrics),
// collapse to the difference once everything is graded, never widen when a grade is learned,
// and value nothing that cannot move them (a candidate at the same rank in both lists).
#include "core/Error.h"
#include "core/metrics/PairDelta.h"
#include "support/ErrorOf.h"

#include <QTest>

#include <random>
#include <set>

using namespace lookalike;
using testsupport::errorOf;

namespace {

struct Case {
    RankedList a, b;
    std::vector<std::int64_t> pool;
    QueryJudgments grades;
};

// Two lists of 6 over a pool of 9 candidates, some graded.
Case randomCase(std::mt19937 &rng, int levels)
{
    Case c;
    std::vector<std::int64_t> items{1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::shuffle(items.begin(), items.end(), rng);
    c.a.assign(items.begin(), items.begin() + 6);
    std::shuffle(items.begin(), items.end(), rng);
    c.b.assign(items.begin(), items.begin() + 6);
    std::set<std::int64_t> pool(c.a.begin(), c.a.end());
    pool.insert(c.b.begin(), c.b.end());
    c.pool.assign(pool.begin(), pool.end());
    for (std::int64_t id : c.pool)
        if (rng() % 3 == 0)
            c.grades[id] = static_cast<int>(rng() % static_cast<unsigned>(levels));
    return c;
}

double trueDelta(const Case &c, const QueryJudgments &all, Metric metric, const MetricSettings &s)
{
    if (metric == Metric::Ndcg5)
        return ndcgAtK(c.b, all, 5, s) - ndcgAtK(c.a, all, 5, s);
    return precisionAtK(c.b, all, 1, s) - precisionAtK(c.a, all, 1, s);
}

// Calls f with every completion of c's grades (each unjudged pool candidate any grade).
template <typename F> void forEveryGrading(const Case &c, int levels, F &&f)
{
    std::vector<std::int64_t> unknown;
    for (std::int64_t id : c.pool)
        if (!c.grades.count(id))
            unknown.push_back(id);
    std::vector<int> g(unknown.size(), 0);
    for (;;) {
        QueryJudgments all = c.grades;
        for (std::size_t i = 0; i < unknown.size(); ++i)
            all[unknown[i]] = g[i];
        f(all);
        std::size_t i = 0;
        while (i < g.size() && ++g[i] == levels)
            g[i++] = 0;
        if (i == g.size())
            return;
    }
}

} // namespace

class TestPairDelta : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boundsHoldForEveryGrading_data();
    void boundsHoldForEveryGrading();
    void sameListsHaveNothingToLearn();
    void sharedTopCandidateDoesNotMovePrecision();
    void otherMetricsAreRefused();
};

void TestPairDelta::boundsHoldForEveryGrading_data()
{
    QTest::addColumn<int>("metric");
    QTest::addColumn<int>("gain");
    QTest::newRow("nDCG@5, linear gain") << int(Metric::Ndcg5) << int(GainKind::Linear);
    QTest::newRow("nDCG@5, exponential gain") << int(Metric::Ndcg5) << int(GainKind::Exponential);
    QTest::newRow("P@1") << int(Metric::Precision1) << int(GainKind::Linear);
}

void TestPairDelta::boundsHoldForEveryGrading()
{
    QFETCH(int, metric);
    QFETCH(int, gain);
    const Metric m = Metric(metric);
    MetricSettings s;
    s.gain = GainKind(gain);
    s.relevanceThreshold = 2;
    const int levels = s.highestGrade - s.lowestGrade + 1;
    std::mt19937 rng(11);
    int narrowed = 0;
    for (int trial = 0; trial < 60; ++trial) {
        const Case c = randomCase(rng, levels);
        const PairDeltaInput in{&c.a, &c.b, &c.pool, &c.grades};
        const DeltaBounds b = deltaBounds(in, m, s);
        double seenLow = 1e9, seenHigh = -1e9;
        forEveryGrading(c, levels, [&](const QueryJudgments &all) {
            const double d = trueDelta(c, all, m, s);
            seenLow = std::min(seenLow, d);
            seenHigh = std::max(seenHigh, d);
            // Fully graded: the bounds are the difference itself.
            const PairDeltaInput done{&c.a, &c.b, &c.pool, &all};
            const DeltaBounds exact = deltaBounds(done, m, s);
            if (std::abs(exact.low - d) > 1e-12 || std::abs(exact.high - d) > 1e-12)
                QFAIL(qPrintable(QStringLiteral("trial %1: fully graded bounds [%2, %3], difference %4")
                                     .arg(trial).arg(exact.low).arg(exact.high).arg(d)));
        });
        QVERIFY2(b.low <= seenLow + 1e-12 && seenHigh <= b.high + 1e-12,
                 qPrintable(QStringLiteral("trial %1: bounds [%2, %3] miss [%4, %5]")
                                .arg(trial).arg(b.low).arg(b.high).arg(seenLow).arg(seenHigh)));
        // Learning any grade of any valued candidate never widens them, and the values say which.
        for (const CandidateValue &v : candidateValues(in, m, s)) {
            QVERIFY(v.value > 0);
            QVERIFY(!c.grades.count(v.candidate));
            for (int g = 0; g < levels; ++g) {
                QueryJudgments more = c.grades;
                more[v.candidate] = g;
                const PairDeltaInput then{&c.a, &c.b, &c.pool, &more};
                const DeltaBounds after = deltaBounds(then, m, s);
                QVERIFY(after.low >= b.low - 1e-12 && after.high <= b.high + 1e-12);
                narrowed += after.width() < b.width() - 1e-12;
            }
        }
    }
    QVERIFY(narrowed > 0);
}

void TestPairDelta::sameListsHaveNothingToLearn()
{
    const RankedList list{1, 2, 3, 4, 5, 6};
    const std::vector<std::int64_t> pool{1, 2, 3, 4, 5, 6};
    const QueryJudgments grades{{2, 3}};
    const PairDeltaInput in{&list, &list, &pool, &grades};
    for (Metric m : {Metric::Ndcg5, Metric::Precision1}) {
        const DeltaBounds b = deltaBounds(in, m, {});
        QCOMPARE(b.low, 0.0);
        QCOMPARE(b.high, 0.0);
        QVERIFY(candidateValues(in, m, {}).empty());
    }
}

void TestPairDelta::sharedTopCandidateDoesNotMovePrecision()
{
    const RankedList a{1, 2, 3}, b{1, 3, 2};
    const std::vector<std::int64_t> pool{1, 2, 3};
    const QueryJudgments none;
    const PairDeltaInput in{&a, &b, &pool, &none};
    QCOMPARE(deltaBounds(in, Metric::Precision1, {}).width(), 0.0);
    // nDCG@5: ranks 2 and 3 swapped, so those two can move it; rank 1 only through the ideal DCG.
    const auto values = candidateValues(in, Metric::Ndcg5, {});
    QVERIFY(!values.empty());
    QVERIFY(deltaBounds(in, Metric::Ndcg5, {}).width() > 0);
}

void TestPairDelta::otherMetricsAreRefused()
{
    const RankedList a{1}, b{2};
    const std::vector<std::int64_t> pool{1, 2};
    const QueryJudgments none;
    const PairDeltaInput in{&a, &b, &pool, &none};
    const auto e = errorOf([&] { deltaBounds(in, Metric::Ndcg10, {}); });
    QVERIFY(e);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("nDCG@5 or P@1")), e->what());
}

QTEST_MAIN(TestPairDelta)
#include "tst_pairdelta.moc"
