// PairDelta: the bounds of one query's difference between two versions hold for every way of
// grading what is unjudged (checked by enumerating every grading against RankingMetrics),
// collapse to the difference once everything is graded, never widen when a grade is learned,
// and value nothing that cannot move them (a candidate at the same rank in both lists). Its
// moments (the unjudged grades drawn from a GradeModel) equal every grading weighed by its odds:
// exactly while few are unjudged, within the Monte Carlo error otherwise, the same every run.
#include "core/Error.h"
#include "core/metrics/PairDelta.h"
#include "support/ErrorOf.h"

#include <QTest>

#include <functional>
#include <map>
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

// A data row's settings: its gain, relevant from grade 2.
MetricSettings rowSettings(int gain)
{
    MetricSettings s;
    s.gain = GainKind(gain);
    s.relevanceThreshold = 2;
    return s;
}

// A model whose odds differ by position: high grades near the top, low ones deep and elsewhere.
GradeModel leaningModel(const MetricSettings &s)
{
    GradeModel model(s);
    for (int r = 0; r < 6; ++r)
        for (int g = s.lowestGrade; g <= s.highestGrade; ++g)
            for (int k = 0; k < 1 + (r < 2 ? g : s.highestGrade - g) * (1 + r); ++k)
                model.add(GradeModel::positionOf(r), g);
    return model;
}

// The moments by brute force: every grading weighed by the model's odds, through RankingMetrics.
struct Weighed {
    double mean = 0, variance = 0;
    std::map<std::int64_t, double> explained; // Var over its grade of E[difference | its grade]
};
Weighed weighEveryGrading(const Case &c, const GradeModel &model, Metric metric)
{
    const MetricSettings &s = model.settings();
    const int levels = model.levels();
    const RankedList a = c.a, b = c.b;
    const std::vector<std::int64_t> pool = c.pool;
    const PairDeltaInput in{&a, &b, &pool, &c.grades};
    std::vector<std::int64_t> unknown;
    for (std::int64_t id : c.pool)
        if (!c.grades.count(id))
            unknown.push_back(id);
    std::map<std::int64_t, std::vector<double>> conditional; // sum of weight x d, by its grade
    double sum = 0, squares = 0;
    forEveryGrading(c, levels, [&](const QueryJudgments &all) {
        double weight = 1;
        for (std::int64_t id : unknown)
            weight *= model.odds(GradeModel::positionOf(bestRank(in, id)))[static_cast<std::size_t>(all.at(id) - s.lowestGrade)];
        const double d = trueDelta(c, all, metric, s);
        sum += weight * d;
        squares += weight * d * d;
        for (std::int64_t id : unknown) {
            auto &v = conditional[id];
            v.resize(static_cast<std::size_t>(levels), 0.0);
            v[static_cast<std::size_t>(all.at(id) - s.lowestGrade)] += weight * d;
        }
    });
    Weighed w;
    w.mean = sum;
    w.variance = squares - sum * sum;
    for (std::int64_t id : unknown) {
        const std::vector<double> odds = model.odds(GradeModel::positionOf(bestRank(in, id)));
        double spread = 0;
        for (std::size_t g = 0; g < odds.size(); ++g) {
            const double e = conditional[id][g] / odds[g] - w.mean;
            spread += odds[g] * e * e;
        }
        w.explained[id] = spread;
    }
    return w;
}

} // namespace

class TestPairDelta : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boundsHoldForEveryGrading_data();
    void boundsHoldForEveryGrading();
    void sameListsHaveNothingToLearn();
    void sharedTopCandidateDoesNotMovePrecision();
    void momentsWeighEveryGrading_data();
    void momentsWeighEveryGrading();
    void drawnMomentsAreCloseAndRepeatable();
    void momentsValueNothingThatCannotMove();
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
    const MetricSettings s = rowSettings(gain);
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

void TestPairDelta::momentsWeighEveryGrading_data()
{
    boundsHoldForEveryGrading_data();
}

// At most kExactGradings gradings: deltaMoments weighs them all, so it equals brute force.
void TestPairDelta::momentsWeighEveryGrading()
{
    QFETCH(int, metric);
    QFETCH(int, gain);
    const Metric m = Metric(metric);
    const MetricSettings s = rowSettings(gain);
    const GradeModel model = leaningModel(s);
    std::mt19937 rng(5);
    int valued = 0;
    for (int trial = 0; trial < 40; ++trial) {
        Case c = randomCase(rng, model.levels());
        for (std::int64_t id : c.pool) // leave at most 4 unjudged (4^4 = 256 gradings)
            if (c.pool.size() - c.grades.size() > 4 && !c.grades.count(id))
                c.grades[id] = static_cast<int>(rng() % 4);
        const PairDeltaInput in{&c.a, &c.b, &c.pool, &c.grades};
        const DeltaMoments got = deltaMoments(in, m, model, 1);
        const Weighed want = weighEveryGrading(c, model, m);
        QVERIFY2(std::abs(got.mean - want.mean) < 1e-12 && std::abs(got.variance - want.variance) < 1e-12,
                 qPrintable(QStringLiteral("trial %1: mean %2 (want %3), variance %4 (want %5)")
                                .arg(trial).arg(got.mean).arg(want.mean).arg(got.variance).arg(want.variance)));
        const DeltaBounds b = deltaBounds(in, m, s);
        QVERIFY(b.low - 1e-12 <= got.mean && got.mean <= b.high + 1e-12);
        for (const auto &[id, explained] : want.explained) {
            const auto it = std::find_if(got.values.begin(), got.values.end(), [&](const CandidateValue &v) { return v.candidate == id; });
            const double value = it == got.values.end() ? 0.0 : it->value;
            QVERIFY2(std::abs(value - explained) < 1e-12,
                     qPrintable(QStringLiteral("trial %1, candidate %2: explains %3, want %4").arg(trial).arg(id).arg(value).arg(explained)));
            valued += value > 0;
        }
        for (std::size_t i = 1; i < got.values.size(); ++i)
            QVERIFY(got.values[i].value <= got.values[i - 1].value);
    }
    QVERIFY(valued > 0);
}

// More gradings than that: drawn, within a few Monte Carlo errors of brute force, and the
// same numbers from the same seed.
void TestPairDelta::drawnMomentsAreCloseAndRepeatable()
{
    MetricSettings s;
    const GradeModel model = leaningModel(s);
    std::mt19937 rng(9);
    for (int trial = 0; trial < 3; ++trial) {
        Case c = randomCase(rng, model.levels());
        c.grades.clear(); // 9 unjudged: 262,144 gradings
        const PairDeltaInput in{&c.a, &c.b, &c.pool, &c.grades};
        const std::size_t draws = 4000;
        const DeltaMoments got = deltaMoments(in, Metric::Ndcg5, model, 42, draws);
        const Weighed want = weighEveryGrading(c, model, Metric::Ndcg5);
        const double error = std::sqrt(want.variance / static_cast<double>(draws));
        QVERIFY2(std::abs(got.mean - want.mean) < 4 * error + 1e-12,
                 qPrintable(QStringLiteral("trial %1: mean %2, want %3 +- %4").arg(trial).arg(got.mean).arg(want.mean).arg(error)));
        QVERIFY(std::abs(got.variance - want.variance) < 0.1 * want.variance + 1e-12);
        const DeltaMoments again = deltaMoments(in, Metric::Ndcg5, model, 42, draws);
        QCOMPARE(again.mean, got.mean);
        QCOMPARE(again.variance, got.variance);
        QCOMPARE(again.values.size(), got.values.size());
        // The candidate explaining most is the one brute force says explains most.
        const auto best = std::max_element(want.explained.begin(), want.explained.end(),
                                           [](const auto &x, const auto &y) { return x.second < y.second; });
        QVERIFY(!got.values.empty());
        QVERIFY(std::abs(got.values.front().value - best->second) < 0.2 * best->second);
    }
}

void TestPairDelta::momentsValueNothingThatCannotMove()
{
    // Candidate 1 at rank 1 in both lists with five 3s already pooled: its grade moves neither
    // DCG nor the ideal DCG. Candidates 2 and 3 swap ranks 2 and 3: they move the difference.
    const RankedList a{1, 2, 3}, b{1, 3, 2};
    const std::vector<std::int64_t> pool{1, 2, 3, 4, 5, 6, 7, 8};
    const QueryJudgments grades{{4, 3}, {5, 3}, {6, 3}, {7, 3}, {8, 3}};
    const PairDeltaInput in{&a, &b, &pool, &grades};
    const DeltaMoments m = deltaMoments(in, Metric::Ndcg5, GradeModel{}, 3);
    QCOMPARE(m.values.size(), std::size_t(2));
    for (const CandidateValue &v : m.values)
        QVERIFY(v.candidate == 2 || v.candidate == 3);
    QVERIFY(std::abs(m.mean) < 1e-12); // even odds: as likely either way
    QVERIFY(m.variance > 0);
    // Same lists: nothing can move, nothing to explain.
    const PairDeltaInput same{&a, &a, &pool, &grades};
    for (Metric metric : {Metric::Ndcg5, Metric::Precision1}) {
        const DeltaMoments none = deltaMoments(same, metric, GradeModel{}, 3);
        QCOMPARE(none.variance, 0.0);
        QVERIFY(none.values.empty());
    }
}

void TestPairDelta::otherMetricsAreRefused()
{
    const RankedList a{1}, b{2};
    const std::vector<std::int64_t> pool{1, 2};
    const QueryJudgments none;
    const PairDeltaInput in{&a, &b, &pool, &none};
    for (const auto &call : std::vector<std::function<void()>>{[&] { deltaBounds(in, Metric::Ndcg10, {}); },
                                                                [&] { deltaMoments(in, Metric::Ndcg10, GradeModel{}, 1); }}) {
        const auto e = errorOf(call);
        QVERIFY(e);
        QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("nDCG@5 or P@1")), e->what());
    }
}

QTEST_MAIN(TestPairDelta)
#include "tst_pairdelta.moc"
