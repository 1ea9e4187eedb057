// Failure analysis: per-group means computed by hand, worst queries and largest gaps in a
// stable order (ties by query id), comparisons restricted to a group, and the metric names the
// views and commands accept.
#include "core/metrics/FailureAnalysis.h"
#include "core/metrics/MetricKind.h"

#include <QTest>

#include <cmath>

using namespace lookalike;

namespace {

QueryMetrics withNdcgAndP1(double ndcg5, double p1)
{
    QueryMetrics m;
    m.ndcg5 = ndcg5;
    m.precision1 = p1;
    m.judged5 = 1.0;
    return m;
}

// Model A: queries 1..6; model B: queries 2..7. Values are exact in binary, so equal gaps
// are equal doubles and the tie rule is what orders them.
ModelMetrics modelA()
{
    ModelMetrics m;
    m.perQuery = {{1, withNdcgAndP1(0.875, 1)}, {2, withNdcgAndP1(0.25, 0)}, {3, withNdcgAndP1(0.5, 1)},
        {4, withNdcgAndP1(0.25, 0)}, {5, withNdcgAndP1(0.75, 1)}, {6, withNdcgAndP1(0.0, 0)}};
    return m;
}

ModelMetrics modelB()
{
    ModelMetrics m;
    m.perQuery = {{2, withNdcgAndP1(0.75, 1)}, {3, withNdcgAndP1(0.5, 1)}, {4, withNdcgAndP1(0.0, 0)},
        {5, withNdcgAndP1(0.25, 0)}, {6, withNdcgAndP1(0.5, 1)}, {7, withNdcgAndP1(1.0, 1)}};
    return m;
}

} // namespace

class TestFailureAnalysis : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void breakdownMeansByHand();
    void worstQueriesLowestFirstTiesById();
    void largestGapsOnSharedQueriesWithoutTies();
    void comparisonRestrictedToAGroup();
    void metricNamesRoundTrip_data();
    void metricNamesRoundTrip();
    void judgedHasNoRange();
};

void TestFailureAnalysis::breakdownMeansByHand()
{
    // 1, 3 -> "mug"; 2, 4 -> "lamp"; 5 -> "" (not listed); 6 -> "" (listed empty).
    const std::map<std::int64_t, std::string> groups{{1, "mug"}, {2, "lamp"}, {3, "mug"}, {4, "lamp"}, {6, ""}};
    const auto rows = breakdownByGroup(modelA(), groups);
    QCOMPARE(rows.size(), std::size_t(3));
    QCOMPARE(rows[0].group, std::string()); // "" sorts first
    QCOMPARE(rows[0].queries, (std::vector<std::int64_t>{5, 6}));
    QCOMPARE(rows[0].mean.ndcg5, (0.75 + 0.0) / 2);
    QCOMPARE(rows[1].group, std::string("lamp"));
    QCOMPARE(rows[1].queries, (std::vector<std::int64_t>{2, 4}));
    QCOMPARE(rows[1].mean.ndcg5, 0.25);
    QCOMPARE(rows[1].mean.precision1, 0.0);
    QCOMPARE(rows[2].group, std::string("mug"));
    QCOMPARE(rows[2].mean.ndcg5, (0.875 + 0.5) / 2);
    QCOMPARE(rows[2].mean.precision1, 1.0);
    // The groups partition the queries.
    std::size_t total = 0;
    for (const auto &g : rows)
        total += g.queries.size();
    QCOMPARE(total, modelA().perQuery.size());
    QVERIFY(breakdownByGroup(ModelMetrics{}, groups).empty());
}

void TestFailureAnalysis::worstQueriesLowestFirstTiesById()
{
    const auto worst = worstQueries(modelA(), Metric::Ndcg5, 4);
    QCOMPARE(worst.size(), std::size_t(4));
    QCOMPARE(worst[0].query, 6); // 0.0
    QCOMPARE(worst[1].query, 2); // 0.25, id 2 before id 4
    QCOMPARE(worst[2].query, 4);
    QCOMPARE(worst[3].query, 3); // 0.5
    QCOMPARE(worst[3].value, 0.5);
    QCOMPARE(worstQueries(modelA(), Metric::Ndcg5, 100).size(), std::size_t(6));
    QVERIFY(worstQueries(modelA(), Metric::Ndcg5, 0).empty());
    QCOMPARE(worstQueries(modelA(), Metric::Precision1, 1).front().query, 2); // P@1 0: 2, 4, 6
}

void TestFailureAnalysis::largestGapsOnSharedQueriesWithoutTies()
{
    // Shared: 2..6. Deltas (B - A): 2: +0.5, 3: 0 (tie, left out), 4: -0.25, 5: -0.5, 6: +0.5.
    const auto gaps = largestGaps(modelA(), modelB(), Metric::Ndcg5, 10);
    QCOMPARE(gaps.size(), std::size_t(4));
    QCOMPARE(gaps[0].query, 2);
    QCOMPARE(gaps[1].query, 5);
    QCOMPARE(gaps[2].query, 6);
    QCOMPARE(gaps[3].query, 4);
    QCOMPARE(gaps[0].delta, 0.5);
    QCOMPARE(gaps[1].delta, -0.5);
    QCOMPARE(gaps[1].a, 0.75);
    QCOMPARE(gaps[1].b, 0.25);
    QCOMPARE(largestGaps(modelA(), modelB(), Metric::Ndcg5, 2).size(), std::size_t(2));
}

void TestFailureAnalysis::comparisonRestrictedToAGroup()
{
    ComparisonOptions options;
    options.bootstrap.resamples = 200;
    const PairedComparison all = compareModels(modelA(), modelB(), Metric::Ndcg5, options);
    QCOMPARE(all.n, std::size_t(5)); // queries 2..6
    QVERIFY(std::abs(all.meanDelta - (0.5 + 0.0 - 0.25 - 0.5 + 0.5) / 5) < 1e-12);
    QCOMPARE(all.winsTiesLosses.wins, std::size_t(2));
    QCOMPARE(all.winsTiesLosses.ties, std::size_t(1));
    QCOMPARE(all.winsTiesLosses.losses, std::size_t(2));

    const PairedComparison some = compareModels(modelA(), modelB(), Metric::Precision1, options, {1, 2, 6, 7});
    QCOMPARE(some.n, std::size_t(2)); // 1 and 7 are not in both
    QCOMPARE(some.meanA, 0.0);
    QCOMPARE(some.meanB, 1.0);
    QCOMPARE(some.winsTiesLosses.wins, std::size_t(2));
}

void TestFailureAnalysis::metricNamesRoundTrip_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("metric");
    QTest::newRow("display name") << QStringLiteral("nDCG@5") << int(Metric::Ndcg5);
    QTest::newRow("key") << QStringLiteral("p@1") << int(Metric::Precision1);
    QTest::newRow("upper case") << QStringLiteral("NDCG@10") << int(Metric::Ndcg10);
    QTest::newRow("mrr") << QStringLiteral("MRR") << int(Metric::ReciprocalRank);
    QTest::newRow("judged") << QStringLiteral("judged@5") << int(Metric::Judged5);
    QTest::newRow("unknown") << QStringLiteral("ndcg@7") << -1;
}

void TestFailureAnalysis::metricNamesRoundTrip()
{
    QFETCH(QString, text);
    QFETCH(int, metric);
    const auto parsed = parseMetric(text.toStdString());
    if (metric < 0) {
        QVERIFY(!parsed);
        return;
    }
    QVERIFY(parsed);
    QCOMPARE(int(*parsed), metric);
    QCOMPARE(parseMetric(metricKey(*parsed)), parsed);
    QCOMPARE(parseMetric(metricName(*parsed)), parsed);
}

void TestFailureAnalysis::judgedHasNoRange()
{
    QueryMetrics m;
    m.ndcg5 = 0.5;
    m.ndcg5Range = {0.25, 0.75};
    m.precision5 = 0.4;
    m.reciprocalRank = 0.5;
    QCOMPARE(metricValue(m, Metric::Ndcg5), 0.5);
    QCOMPARE(metricValue(m, Metric::Precision5), 0.4);
    QCOMPARE(metricValue(m, Metric::ReciprocalRank), 0.5);
    QCOMPARE(metricRange(m, Metric::Ndcg5)->high, 0.75);
    QVERIFY(!metricRange(m, Metric::Judged5));
}

QTEST_APPLESS_MAIN(TestFailureAnalysis)
#include "tst_failureanalysis.moc"
