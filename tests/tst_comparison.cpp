// Paired comparison of two model versions: hand-computed means, relative change and wins / ties /
// losses; the exact randomization p-value enumerated by hand; Monte Carlo p-values with the +1
// correction; a bootstrap interval that is seeded, contains the mean and narrows with n.
#include "core/metrics/Comparison.h"

#include "core/Error.h"
#include "core/util/SeededRandom.h"

#include <QTest>

#include <cmath>

using namespace lookalike;

namespace {

std::vector<double> toStd(const QList<double> &values)
{
    return std::vector<double>(values.begin(), values.end());
}

// Deterministic per-query deltas: `shift` plus uniform noise in [-spread/2, spread/2).
std::vector<double> noisyDeltas(std::size_t n, double shift, double spread, std::uint64_t seed)
{
    SeededRandom random(seed);
    std::vector<double> out(n);
    for (double &d : out)
        d = shift + spread * (static_cast<double>(random.next() >> 11) / 9007199254740992.0 - 0.5);
    return out;
}

double sampleStdDev(const std::vector<double> &values)
{
    const double m = mean(values);
    double ss = 0.0;
    for (double v : values)
        ss += (v - m) * (v - m);
    return std::sqrt(ss / static_cast<double>(values.size() - 1));
}

} // namespace

class TestComparison : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void handComputedSummary();
    void relativeChange_data();
    void relativeChange();
    void tiesUseEpsilon();
    void mismatchedSizesThrow();
    void emptyInputIsGraceful();
    void quantileInterpolatesLinearly_data();
    void quantileInterpolatesLinearly();
    void exactPValueByHand_data();
    void exactPValueByHand();
    void exactPValueOfHandExample();
    void exactPValueSurvivesRounding();
    void identicalInputsGivePOne();
    void consistentImprovementIsSignificant();
    void monteCarloAgreesWithExact();
    void monteCarloIsSeeded();
    void bootstrapTwoValuesByHand();
    void bootstrapSingleValue();
    void bootstrapIsDeterministicForASeed();
    void bootstrapContainsMeanAndMatchesNormalTheory();
    void bootstrapNarrowsWithN();
    void bootstrapLevelWidens();
    void invalidOptionsThrow();
    void normalIntervalByHand();
    void liveOptionsUseTheNormalIntervalAndNoTest();
};

void TestComparison::handComputedSummary()
{
    // Four queries; B better on two, equal on one, worse on one.
    const std::vector<double> a{0.5, 0.2, 0.8, 0.4};
    const std::vector<double> b{0.6, 0.2, 0.7, 0.9};
    const PairedComparison c = comparePaired(a, b);
    QCOMPARE(c.n, std::size_t(4));
    QCOMPARE(c.deltas.size(), std::size_t(4));
    QVERIFY(std::fabs(c.deltas[0] - 0.1) < 1e-15);
    QCOMPARE(c.deltas[1], 0.0);
    QVERIFY(std::fabs(c.deltas[2] + 0.1) < 1e-15);
    QVERIFY(std::fabs(c.deltas[3] - 0.5) < 1e-15);
    QVERIFY(std::fabs(c.meanA - 0.475) < 1e-15); // 1.9 / 4
    QVERIFY(std::fabs(c.meanB - 0.6) < 1e-15); // 2.4 / 4
    QVERIFY(std::fabs(c.meanDelta - 0.125) < 1e-15);
    QVERIFY(std::fabs(c.relativeChangePercent - 100.0 * 0.125 / 0.475) < 1e-12); // 26.3158 %
    QCOMPARE(c.winsTiesLosses.wins, std::size_t(2));
    QCOMPARE(c.winsTiesLosses.ties, std::size_t(1));
    QCOMPARE(c.winsTiesLosses.losses, std::size_t(1));
    QVERIFY(c.randomization.exact);
    QCOMPARE(c.randomization.patterns, std::int64_t(16));
    QVERIFY(c.meanDeltaCI.lower <= c.meanDelta && c.meanDelta <= c.meanDeltaCI.upper);
}

void TestComparison::relativeChange_data()
{
    QTest::addColumn<double>("meanA");
    QTest::addColumn<double>("meanB");
    QTest::addColumn<double>("expected"); // NaN: undefined
    QTest::newRow("paper headline: 0.44 -> 0.48 is +9.09 %") << 0.44 << 0.48 << 100.0 * 0.04 / 0.44;
    QTest::newRow("ten percent better") << 0.5 << 0.55 << 10.0;
    QTest::newRow("a quarter worse") << 0.4 << 0.3 << -25.0;
    QTest::newRow("no change") << 0.7 << 0.7 << 0.0;
    QTest::newRow("both zero: no change") << 0.0 << 0.0 << 0.0;
    QTest::newRow("from zero: undefined") << 0.0 << 0.2 << std::nan("");
    QTest::newRow("negative base keeps the sign of the change") << -0.5 << -0.25 << 50.0;
    QTest::newRow("NaN mean (no queries)") << std::nan("") << 0.3 << std::nan("");
}

void TestComparison::relativeChange()
{
    QFETCH(double, meanA);
    QFETCH(double, meanB);
    QFETCH(double, expected);
    const double got = relativeChangePercent(meanA, meanB);
    if (std::isnan(expected))
        QVERIFY2(std::isnan(got), qPrintable(QString::number(got)));
    else
        QVERIFY2(std::fabs(got - expected) < 1e-9, qPrintable(QString::number(got)));
}

void TestComparison::tiesUseEpsilon()
{
    // 1e-13 apart is a tie (equal lists summed in another order), 1e-6 is a real difference.
    const std::vector<double> a{0.3, 0.3, 0.3, 0.3};
    const std::vector<double> b{0.3 + 1e-13, 0.3 - 1e-13, 0.3 + 1e-6, 0.3 - 1e-6};
    const WinsTiesLosses wtl = winsTiesLosses(a, b);
    QCOMPARE(wtl.wins, std::size_t(1));
    QCOMPARE(wtl.ties, std::size_t(2));
    QCOMPARE(wtl.losses, std::size_t(1));
    const WinsTiesLosses loose = winsTiesLosses(a, b, 1e-3);
    QCOMPARE(loose.ties, std::size_t(4));
}

void TestComparison::mismatchedSizesThrow()
{
    bool thrown = false;
    try {
        comparePaired({0.1, 0.2}, {0.1});
    } catch (const Error &e) {
        thrown = true;
        QCOMPARE(e.code(), ErrorCode::InvalidArgument);
    }
    QVERIFY(thrown);
    QVERIFY_THROWS_EXCEPTION(Error, winsTiesLosses({0.1}, {}));
}

void TestComparison::emptyInputIsGraceful()
{
    const PairedComparison c = comparePaired({}, {});
    QCOMPARE(c.n, std::size_t(0));
    QVERIFY(c.deltas.empty());
    QVERIFY(std::isnan(c.meanA));
    QVERIFY(std::isnan(c.meanB));
    QVERIFY(std::isnan(c.meanDelta));
    QVERIFY(std::isnan(c.relativeChangePercent));
    QCOMPARE(c.winsTiesLosses.wins + c.winsTiesLosses.ties + c.winsTiesLosses.losses, std::size_t(0));
    QVERIFY(std::isnan(c.meanDeltaCI.lower));
    QVERIFY(std::isnan(c.meanDeltaCI.upper));
    QCOMPARE(c.randomization.pValue, 1.0);
    QVERIFY(c.randomization.exact);
    // Also with Monte Carlo forced.
    ComparisonOptions mc;
    mc.randomization.exactUpTo = -1;
    QCOMPARE(comparePaired({}, {}, mc).randomization.pValue, 1.0);
}

void TestComparison::quantileInterpolatesLinearly_data()
{
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<double>("p");
    QTest::addColumn<double>("expected");
    // NumPy: np.quantile([1, 2, 3, 4], q) (method="linear", the default).
    QTest::newRow("median of four: midway") << QList<double>{4, 1, 3, 2} << 0.5 << 2.5;
    QTest::newRow("first quartile: h = 0.75") << QList<double>{4, 1, 3, 2} << 0.25 << 1.75;
    QTest::newRow("2.5 % of four: h = 0.075") << QList<double>{1, 2, 3, 4} << 0.025 << 1.075;
    QTest::newRow("97.5 % of four: h = 2.925") << QList<double>{1, 2, 3, 4} << 0.975 << 3.925;
    QTest::newRow("minimum") << QList<double>{5, -1, 3} << 0.0 << -1.0;
    QTest::newRow("maximum") << QList<double>{5, -1, 3} << 1.0 << 5.0;
    QTest::newRow("one value") << QList<double>{7} << 0.3 << 7.0;
}

void TestComparison::quantileInterpolatesLinearly()
{
    QFETCH(QList<double>, values);
    QFETCH(double, p);
    QFETCH(double, expected);
    QVERIFY(std::fabs(quantile(toStd(values), p) - expected) < 1e-12);
}

void TestComparison::exactPValueByHand_data()
{
    QTest::addColumn<QList<double>>("deltas");
    QTest::addColumn<double>("expected");
    // d = (1, 2, 3, 4), observed sum 10: only all-plus and all-minus reach |sum| = 10 -> 2 / 16.
    QTest::newRow("all better: 2 of 16") << QList<double>{1, 2, 3, 4} << 2.0 / 16.0;
    // d = (1, 2, 3, -4), observed |sum| 2. Its 16 pattern sums are those of (1, 2, 3, 4): flipping
    // the subset S gives 10 - 2 sum(S), below 2 in size only for sum(S) = 5, S = {1,4} or {2,3}.
    QTest::newRow("mixed: 14 of 16") << QList<double>{1, 2, 3, -4} << 14.0 / 16.0;
    // d = (1, 1, 1): sums +-3 (2 patterns) and +-1 (6) -> 2 / 8.
    QTest::newRow("three equal: 2 of 8") << QList<double>{1, 1, 1} << 2.0 / 8.0;
    // One query: +d and -d are equally extreme.
    QTest::newRow("one query: always 1") << QList<double>{0.3} << 1.0;
    // Zero deltas double the patterns without changing any sum.
    QTest::newRow("zeros do not matter: 4 of 8") << QList<double>{0, 5, 5} << 4.0 / 8.0;
}

void TestComparison::exactPValueByHand()
{
    QFETCH(QList<double>, deltas);
    QFETCH(double, expected);
    const RandomizationResult r = randomizationTest(toStd(deltas));
    QVERIFY(r.exact);
    QCOMPARE(r.patterns, std::int64_t(1) << deltas.size());
    QVERIFY2(std::fabs(r.pValue - expected) < 1e-15, qPrintable(QString::number(r.pValue)));
}

void TestComparison::exactPValueOfHandExample()
{
    // handComputedSummary's deltas (0.1, 0, -0.1, 0.5), observed sum 0.5. Per sign of the 0.5:
    // +-0.1 +-0.1 gives 0.5 + {0, 0.2, -0.2, 0} -> |.| >= 0.5 for 3 of 4, and the zero's sign
    // doubles everything: 12 / 16.
    const PairedComparison c = comparePaired({0.5, 0.2, 0.8, 0.4}, {0.6, 0.2, 0.7, 0.9});
    QCOMPARE(c.randomization.pValue, 0.75);
}

void TestComparison::exactPValueSurvivesRounding()
{
    // d = (0.1, 0.2, -0.3, 0.5), i.e. tenths (1, 2, -3, 5), observed sum 5. Sign patterns of
    // (1, 2, -3) sum to {6, 0, 2, -4, 4, -2, 0, -6}; with +5: {11, 5, 7, 1, 9, 3, 5, -1}, 5 of 8
    // at least 5 in size, and the same with -5: 10 / 16. Flipping 0.1, 0.2 and -0.3 together is
    // as extreme as the observed sum only mathematically: in doubles it is 0.49999999999999994
    // against 0.5000000000000001, and without the rounding allowance p would drop to 8 / 16.
    const RandomizationResult r = randomizationTest({0.1, 0.2, -0.3, 0.5});
    QCOMPARE(r.pValue, 10.0 / 16.0);
}

void TestComparison::identicalInputsGivePOne()
{
    const std::vector<double> a = noisyDeltas(40, 0.5, 0.4, 3);
    const PairedComparison c = comparePaired(a, a);
    QCOMPARE(c.meanDelta, 0.0);
    QCOMPARE(c.relativeChangePercent, 0.0);
    QCOMPARE(c.winsTiesLosses.ties, std::size_t(40));
    QVERIFY(!c.randomization.exact); // n = 40 > 20: Monte Carlo
    QCOMPARE(c.randomization.pValue, 1.0); // (10000 + 1) / (10000 + 1)
    QCOMPARE(c.meanDeltaCI.lower, 0.0);
    QCOMPARE(c.meanDeltaCI.upper, 0.0);
    const std::vector<double> few(a.begin(), a.begin() + 10);
    QCOMPARE(comparePaired(few, few).randomization.pValue, 1.0); // exact: 1024 / 1024
}

void TestComparison::consistentImprovementIsSignificant()
{
    // B better on every one of 50 queries by 0.08 +- 0.05: no sampled sign pattern is as extreme,
    // so the p-value is the smallest one possible, 1 / (iterations + 1).
    const std::vector<double> a = noisyDeltas(50, 0.5, 0.3, 5);
    const std::vector<double> d = noisyDeltas(50, 0.08, 0.1, 6);
    std::vector<double> b(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        b[i] = a[i] + d[i];
    const PairedComparison c = comparePaired(a, b);
    QCOMPARE(c.winsTiesLosses.wins, std::size_t(50));
    QVERIFY(!c.randomization.exact);
    QCOMPARE(c.randomization.patterns, std::int64_t(10000));
    QCOMPARE(c.randomization.pValue, 1.0 / 10001.0);
    QVERIFY(c.meanDeltaCI.lower > 0.0);
    // Exact on 12 of those queries: only the all-plus and all-minus patterns -> 2 / 4096.
    const std::vector<double> d12(d.begin(), d.begin() + 12);
    QCOMPARE(randomizationTest(d12).pValue, 2.0 / 4096.0);
}

void TestComparison::monteCarloAgreesWithExact()
{
    // A weak effect on 16 queries: exact p over 65,536 patterns vs 40,000 sampled ones. The
    // sampled p has a standard error of at most 0.0025; allow 4 of them.
    const std::vector<double> d = noisyDeltas(16, 0.03, 0.4, 11);
    const RandomizationResult exact = randomizationTest(d);
    QVERIFY(exact.exact);
    QVERIFY2(exact.pValue > 0.05 && exact.pValue < 0.95, qPrintable(QString::number(exact.pValue)));
    RandomizationOptions options;
    options.exactUpTo = 0;
    options.iterations = 40000;
    options.seed = 123;
    const RandomizationResult sampled = randomizationTest(d, options);
    QVERIFY(!sampled.exact);
    QVERIFY2(std::fabs(sampled.pValue - exact.pValue) < 0.01,
        qPrintable(QStringLiteral("%1 vs %2").arg(sampled.pValue).arg(exact.pValue)));
}

void TestComparison::monteCarloIsSeeded()
{
    const std::vector<double> d = noisyDeltas(60, 0.01, 0.3, 17);
    RandomizationOptions options;
    options.seed = 42;
    const double p1 = randomizationTest(d, options).pValue;
    QCOMPARE(randomizationTest(d, options).pValue, p1);
    // The p-value is a count over 10,001: a multiple of 1 / 10001.
    const double count = p1 * 10001.0;
    QVERIFY(std::fabs(count - std::round(count)) < 1e-6);
    options.seed = 43;
    const double p2 = randomizationTest(d, options).pValue;
    QVERIFY(p2 != p1); // another seed, other patterns
    QVERIFY(std::fabs(p2 - p1) < 0.03);
}

void TestComparison::bootstrapTwoValuesByHand()
{
    // d = (0, 1): a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4, so with
    // 10,000 resamples about 2,500 are 0 and 2,500 are 1: the 2.5 % and 97.5 % quantiles are 0 and 1.
    const ConfidenceInterval ci = bootstrapMeanCI({0.0, 1.0});
    QCOMPARE(ci.lower, 0.0);
    QCOMPARE(ci.upper, 1.0);
    QCOMPARE(ci.level, 0.95);
    // A 40 % interval (30 % and 70 % quantiles) is [0.5, 0.5].
    BootstrapOptions narrow;
    narrow.level = 0.4;
    const ConfidenceInterval mid = bootstrapMeanCI({0.0, 1.0}, narrow);
    QCOMPARE(mid.lower, 0.5);
    QCOMPARE(mid.upper, 0.5);
}

void TestComparison::bootstrapSingleValue()
{
    const ConfidenceInterval ci = bootstrapMeanCI({0.25});
    QCOMPARE(ci.lower, 0.25);
    QCOMPARE(ci.upper, 0.25);
}

void TestComparison::bootstrapIsDeterministicForASeed()
{
    const std::vector<double> d = noisyDeltas(80, 0.02, 0.5, 21);
    BootstrapOptions options;
    options.seed = 7;
    const ConfidenceInterval first = bootstrapMeanCI(d, options);
    const ConfidenceInterval again = bootstrapMeanCI(d, options);
    QCOMPARE(again.lower, first.lower); // bit for bit
    QCOMPARE(again.upper, first.upper);
    options.seed = 8;
    const ConfidenceInterval other = bootstrapMeanCI(d, options);
    QVERIFY(other.lower != first.lower || other.upper != first.upper);
    // ... but another seed moves the limits by far less than the interval's width.
    const double width = first.upper - first.lower;
    QVERIFY(std::fabs(other.lower - first.lower) < 0.1 * width);
    QVERIFY(std::fabs(other.upper - first.upper) < 0.1 * width);
}

void TestComparison::bootstrapContainsMeanAndMatchesNormalTheory()
{
    // For 400 deltas the bootstrap distribution of the mean is close to normal with standard
    // error s / sqrt(n) (s with divisor n - 1 differs from the bootstrap's divisor n by 0.1 %):
    // the 95 % interval is about mean +- 1.96 s / sqrt(n).
    const std::vector<double> d = noisyDeltas(400, 0.05, 0.6, 31);
    const double m = mean(d);
    const ConfidenceInterval ci = bootstrapMeanCI(d);
    QVERIFY(ci.lower < m && m < ci.upper);
    const double halfWidth = 1.959964 * sampleStdDev(d) / std::sqrt(400.0);
    QVERIFY2(std::fabs((ci.upper - ci.lower) / 2.0 - halfWidth) < 0.05 * halfWidth,
        qPrintable(QStringLiteral("%1 vs %2").arg((ci.upper - ci.lower) / 2.0).arg(halfWidth)));
    QVERIFY(std::fabs((ci.lower + ci.upper) / 2.0 - m) < 0.1 * halfWidth); // about symmetric
}

void TestComparison::bootstrapNarrowsWithN()
{
    // The same distribution of deltas, 16 times the queries: about a quarter of the width.
    const ConfidenceInterval small = bootstrapMeanCI(noisyDeltas(25, 0.05, 0.6, 41));
    const ConfidenceInterval large = bootstrapMeanCI(noisyDeltas(400, 0.05, 0.6, 42));
    const double ratio = (small.upper - small.lower) / (large.upper - large.lower);
    QVERIFY2(ratio > 3.0 && ratio < 5.5, qPrintable(QString::number(ratio)));
}

void TestComparison::bootstrapLevelWidens()
{
    const std::vector<double> d = noisyDeltas(100, 0.0, 1.0, 51);
    BootstrapOptions options;
    options.level = 0.8;
    const ConfidenceInterval ci80 = bootstrapMeanCI(d, options);
    options.level = 0.99;
    const ConfidenceInterval ci99 = bootstrapMeanCI(d, options);
    QCOMPARE(ci99.level, 0.99);
    QVERIFY(ci99.lower < ci80.lower);
    QVERIFY(ci99.upper > ci80.upper);
}

void TestComparison::invalidOptionsThrow()
{
    BootstrapOptions level;
    level.level = 1.0;
    QVERIFY_THROWS_EXCEPTION(Error, bootstrapMeanCI({0.1, 0.2}, level));
    BootstrapOptions resamples;
    resamples.resamples = 0;
    QVERIFY_THROWS_EXCEPTION(Error, bootstrapMeanCI({0.1, 0.2}, resamples));
    RandomizationOptions tooExact;
    tooExact.exactUpTo = 40; // 2^40 patterns: refused rather than running for hours
    QVERIFY_THROWS_EXCEPTION(Error, randomizationTest({0.1}, tooExact));
    RandomizationOptions iterations;
    iterations.iterations = 0;
    QVERIFY_THROWS_EXCEPTION(Error, randomizationTest({0.1}, iterations));
}

void TestComparison::normalIntervalByHand()
{
    // 1, 2, 3, 4, 5: mean 3, sample sd sqrt(2.5), half width 1.959964 * sqrt(2.5) / sqrt(5).
    const ConfidenceInterval ci = normalMeanCI({1, 2, 3, 4, 5});
    const double half = 1.959963984540054 * std::sqrt(2.5) / std::sqrt(5.0);
    QVERIFY(std::abs(ci.lower - (3 - half)) < 1e-12);
    QVERIFY(std::abs(ci.upper - (3 + half)) < 1e-12);
    QCOMPARE(ci.level, 0.95);
    // 99 %: z = 2.575829.
    const ConfidenceInterval wide = normalMeanCI({1, 2, 3, 4, 5}, 0.99);
    QVERIFY(std::abs(wide.upper - (3 + 2.5758293035489 * std::sqrt(2.5) / std::sqrt(5.0))) < 1e-9);
    QCOMPARE(normalMeanCI({0.7}).lower, 0.7);
    QVERIFY(std::isnan(normalMeanCI({}).upper));
    QVERIFY_THROWS_EXCEPTION(Error, normalMeanCI({1, 2}, 1.0));
}

void TestComparison::liveOptionsUseTheNormalIntervalAndNoTest()
{
    // The live panel and `eval` share comparePaired: the same deltas, means and counts; the
    // panel's options swap the bootstrap for the normal interval and skip the test.
    const std::vector<double> a{0.2, 0.5, 0.1, 0.9, 0.4, 0.3}, b{0.6, 0.5, 0.3, 0.7, 0.9, 0.35};
    const PairedComparison full = comparePaired(a, b);
    const PairedComparison live = comparePaired(a, b, ComparisonOptions::live());
    QCOMPARE(live.deltas, full.deltas);
    QCOMPARE(live.meanDelta, full.meanDelta);
    QCOMPARE(live.winsTiesLosses.wins, full.winsTiesLosses.wins);
    const ConfidenceInterval normal = normalMeanCI(full.deltas);
    QCOMPARE(live.meanDeltaCI.lower, normal.lower);
    QCOMPARE(live.meanDeltaCI.upper, normal.upper);
    QVERIFY(full.meanDeltaCI.lower != normal.lower); // the bootstrap is another interval
    QVERIFY(std::isnan(live.randomization.pValue));
    QCOMPARE(live.randomization.patterns, std::int64_t(0));
    QVERIFY(full.randomization.pValue > 0 && full.randomization.pValue <= 1);
}

QTEST_MAIN(TestComparison)
#include "tst_comparison.moc"
