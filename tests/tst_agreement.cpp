// Inter-rater agreement against published values: Cohen's kappa (Wikipedia's examples, SAS
// PROC FREQ output, scikit-learn's reference values for linear / quadratic weights), Krippendorff's
// alpha (the worked examples of Krippendorff 2011 and of Wikipedia, all four metrics; Fleiss'
// kappa example), the degenerate cases, and the disagreement list.
#include "core/metrics/Agreement.h"

#include "core/Error.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace lookalike;

Q_DECLARE_METATYPE(lookalike::KappaWeights)
Q_DECLARE_METATYPE(lookalike::AlphaLevel)

namespace {

ContingencyTable toTable(const QList<QList<double>> &rows)
{
    ContingencyTable table;
    for (const auto &row : rows)
        table.emplace_back(row.begin(), row.end());
    return table;
}

// Grades as a QList, -1 = not rated.
std::vector<std::optional<int>> toGrades(const QList<int> &grades)
{
    std::vector<std::optional<int>> out;
    for (int g : grades)
        out.push_back(g < 0 ? std::nullopt : std::optional<int>(g));
    return out;
}

// {{grade, count}, ...} -> the grades repeated, e.g. scikit-learn's [0] * 46 + [1] * 44.
QList<int> runs(std::initializer_list<std::pair<int, int>> parts)
{
    QList<int> out;
    for (const auto &[grade, count] : parts)
        for (int i = 0; i < count; ++i)
            out.append(grade);
    return out;
}

// Reliability data in Krippendorff's layout, one row per observer, one column per unit, -1 =
// missing -> the grades each unit received.
std::vector<RatedUnit> unitsFromObservers(const QList<QList<int>> &observers)
{
    std::vector<RatedUnit> units(observers.isEmpty() ? 0 : static_cast<std::size_t>(observers.first().size()));
    for (const auto &row : observers)
        for (qsizetype u = 0; u < row.size(); ++u)
            if (row[u] >= 0)
                units[static_cast<std::size_t>(u)].push_back(row[u]);
    return units;
}

constexpr int M = -1; // missing

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers, 12
// units, values 1..5, missing data. Also the example of the irr / DescTools R packages.
QList<QList<int>> krippendorff2011C()
{
    return {{1, 2, 3, 3, 2, 1, 4, 1, 2, M, M, M}, {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, M, 3},
        {M, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, M}, {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, M}};
}

// Wikipedia, "Krippendorff's alpha", computational example: 3 coders, 15 units, values 1..4.
QList<QList<int>> wikipediaExample()
{
    return {{M, M, M, M, M, 3, 4, 1, 2, 1, 1, 3, 3, M, 3}, {1, M, 2, 1, 3, 3, 4, 3, M, M, M, M, M, M, M},
        {M, M, 2, 1, 3, 4, 4, M, 2, 1, 1, 3, 3, M, 4}};
}

} // namespace

class TestAgreement : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void kappaFromTable_data();
    void kappaFromTable();
    void kappaFromGrades_data();
    void kappaFromGrades();
    void kappaCountsOnlyItemsBothRated();
    void kappaPerfectAgreement();
    void kappaDegenerate_data();
    void kappaDegenerate();
    void kappaRejectsBadInput();
    void alphaPublishedExamples_data();
    void alphaPublishedExamples();
    void alphaCountsPairableValues();
    void alphaMatchesFleissKappa();
    void alphaIgnoresUnpairableUnits();
    void ordinalAlphaDependsOnlyOnOrder();
    void alphaPerfectAgreement();
    void alphaDegenerate_data();
    void alphaDegenerate();
    void alphaRejectsBadGrades();
    void disagreementList();
};

void TestAgreement::kappaFromTable_data()
{
    QTest::addColumn<QList<QList<double>>>("table");
    QTest::addColumn<KappaWeights>("weights");
    QTest::addColumn<double>("expected");
    QTest::addColumn<double>("tolerance");
    const auto none = KappaWeights::Unweighted;
    // Wikipedia, "Cohen's kappa": p_o = 0.7, p_e = 0.5.
    QTest::newRow("Wikipedia 20/5/10/15: 0.4") << QList<QList<double>>{{20, 5}, {10, 15}} << none << 0.4 << 1e-12;
    QTest::newRow("Wikipedia 45/15/25/15: 0.1304")
        << QList<QList<double>>{{45, 15}, {25, 15}} << none << 0.1304 << 5e-5;
    QTest::newRow("Wikipedia 25/35/5/35: 0.2593") << QList<QList<double>>{{25, 35}, {5, 35}} << none << 0.2593 << 5e-5;
    // Two categories: every weighting is the same (the only disagreement weight is 1).
    QTest::newRow("binary, quadratic = unweighted: 0.4")
        << QList<QList<double>>{{20, 5}, {10, 15}} << KappaWeights::Quadratic << 0.4 << 1e-12;
    // SAS PROC FREQ output (simple and Cicchetti-Allison weighted kappa), as quoted by
    // statsmodels' inter-rater tests and J. Uebersax's SAS kappa page.
    const QList<QList<double>> uebersax{{0, 0, 0}, {5, 16, 3}, {8, 12, 28}};
    QTest::newRow("SAS, Uebersax table: simple 0.3333") << uebersax << none << 0.3333 << 5e-5;
    QTest::newRow("SAS, Uebersax table: weighted 0.2895") << uebersax << KappaWeights::Linear << 0.2895 << 5e-5;
    const QList<QList<double>> sas{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}};
    QTest::newRow("SAS 3x3: simple 0.4842") << sas << none << 0.4842 << 5e-5;
    QTest::newRow("SAS 3x3: weighted 0.4701") << sas << KappaWeights::Linear << 0.4701 << 5e-5;
}

void TestAgreement::kappaFromTable()
{
    QFETCH(QList<QList<double>>, table);
    QFETCH(KappaWeights, weights);
    QFETCH(double, expected);
    QFETCH(double, tolerance);
    const KappaResult r = cohensKappa(toTable(table), weights);
    QVERIFY(r.defined);
    QVERIFY2(std::fabs(r.kappa - expected) <= tolerance, qPrintable(QString::number(r.kappa, 'g', 10)));
    // kappa = (p_o - p_e) / (1 - p_e) holds for the reported agreements too.
    QVERIFY(std::fabs(r.kappa - (r.observedAgreement - r.expectedAgreement) / (1.0 - r.expectedAgreement)) < 1e-12);
}

void TestAgreement::kappaFromGrades_data()
{
    QTest::addColumn<QList<int>>("raterA");
    QTest::addColumn<QList<int>>("raterB");
    QTest::addColumn<int>("categories");
    QTest::addColumn<KappaWeights>("weights");
    QTest::addColumn<double>("expected");
    QTest::addColumn<double>("tolerance");
    // scikit-learn's test_cohen_kappa (sklearn/metrics/tests/test_classification.py).
    QTest::newRow("sklearn binary: 0.348") << runs({{0, 40}, {1, 60}}) << runs({{0, 20}, {1, 20}, {0, 10}, {1, 50}})
                                           << 2 << KappaWeights::Unweighted << 0.348 << 5e-4;
    const QList<int> a3 = runs({{0, 46}, {1, 44}, {2, 10}});
    QTest::newRow("sklearn 3 grades: 0.8013")
        << a3 << runs({{0, 52}, {1, 32}, {2, 16}}) << 3 << KappaWeights::Unweighted << 0.8013 << 5e-5;
    const QList<int> b3 = runs({{0, 50}, {1, 40}, {2, 10}});
    QTest::newRow("sklearn 3 grades: unweighted 0.9315") << a3 << b3 << 3 << KappaWeights::Unweighted << 0.9315 << 5e-5;
    QTest::newRow("sklearn 3 grades: linear 0.9412") << a3 << b3 << 3 << KappaWeights::Linear << 0.9412 << 5e-5;
    QTest::newRow("sklearn 3 grades: quadratic 0.9541") << a3 << b3 << 3 << KappaWeights::Quadratic << 0.9541 << 5e-5;
    // Quadratic weighted kappa over a fixed label set, values from sklearn's cohen_kappa_score(...,
    // labels=range(K), weights="quadratic"): unused categories matter through the (K - 1)^2 scale
    // only, which cancels.
    QTest::newRow("QWK 5 grades, near misses: 0.85")
        << QList<int>{0, 4, 3} << QList<int>{1, 4, 2} << 5 << KappaWeights::Quadratic << 0.85 << 1e-12;
    QTest::newRow("QWK 5 grades, opposite: -0.8")
        << QList<int>{0, 4, 4} << QList<int>{4, 0, 0} << 5 << KappaWeights::Quadratic << -0.8 << 1e-12;
    QTest::newRow("QWK 3 grades: -1/3") << QList<int>{0, 1} << QList<int>{2, 1} << 3 << KappaWeights::Quadratic
                                        << -1.0 / 3.0 << 1e-12;
}

void TestAgreement::kappaFromGrades()
{
    QFETCH(QList<int>, raterA);
    QFETCH(QList<int>, raterB);
    QFETCH(int, categories);
    QFETCH(KappaWeights, weights);
    QFETCH(double, expected);
    QFETCH(double, tolerance);
    const KappaResult r = cohensKappa(toGrades(raterA), toGrades(raterB), categories, weights);
    QVERIFY(r.defined);
    QCOMPARE(r.items, double(raterA.size()));
    QVERIFY2(std::fabs(r.kappa - expected) <= tolerance, qPrintable(QString::number(r.kappa, 'g', 10)));
    // Kappa is symmetric in the two raters.
    QVERIFY(std::fabs(cohensKappa(toGrades(raterB), toGrades(raterA), categories, weights).kappa - r.kappa) < 1e-12);
}

void TestAgreement::kappaCountsOnlyItemsBothRated()
{
    // Wikipedia's 20/5/10/15 as grades, plus items only one rater graded.
    QList<int> a = runs({{1, 20}, {1, 5}, {0, 10}, {0, 15}});
    QList<int> b = runs({{1, 20}, {0, 5}, {1, 10}, {0, 15}});
    a << M << 0 << M << 1 << M;
    b << 1 << M << 0 << M << M;
    const KappaResult r = cohensKappa(toGrades(a), toGrades(b), 2);
    QCOMPARE(r.items, 50.0);
    QVERIFY(std::fabs(r.kappa - 0.4) < 1e-12);
    QVERIFY(std::fabs(r.observedAgreement - 0.7) < 1e-12);
    QVERIFY(std::fabs(r.expectedAgreement - 0.5) < 1e-12);
    const ContingencyTable t = contingencyTable(toGrades(a), toGrades(b), 2);
    QCOMPARE(t[1][1], 20.0);
    QCOMPARE(t[1][0], 5.0);
    QCOMPARE(t[0][1], 10.0);
    QCOMPARE(t[0][0], 15.0);
}

void TestAgreement::kappaPerfectAgreement()
{
    const QList<int> grades{0, 1, 2, 3, 3, 2, 0};
    for (KappaWeights w : {KappaWeights::Unweighted, KappaWeights::Linear, KappaWeights::Quadratic}) {
        const KappaResult r = cohensKappa(toGrades(grades), toGrades(grades), 4, w);
        QVERIFY(r.defined);
        QCOMPARE(r.kappa, 1.0);
        QCOMPARE(r.observedAgreement, 1.0);
    }
}

void TestAgreement::kappaDegenerate_data()
{
    QTest::addColumn<QList<int>>("raterA");
    QTest::addColumn<QList<int>>("raterB");
    QTest::addColumn<bool>("defined");
    QTest::addColumn<double>("kappa"); // when defined
    QTest::addColumn<double>("observedAgreement"); // NaN: no items
    // Both raters say "2" to everything: p_o = p_e = 1, kappa = 0 / 0.
    QTest::newRow("everything in one category: undefined")
        << QList<int>{2, 2, 2, 2} << QList<int>{2, 2, 2, 2} << false << 0.0 << 1.0;
    QTest::newRow("no item rated by both: undefined")
        << QList<int>{0, M, 1} << QList<int>{M, 3, M} << false << 0.0 << std::nan("");
    QTest::newRow("no items at all: undefined") << QList<int>{} << QList<int>{} << false << 0.0 << std::nan("");
    // Each rater constant, at opposite ends of the scale: p_o = 0 = p_e under every weighting, so
    // kappa = 0 (no better than chance), not undefined.
    QTest::newRow("constant, opposite raters: 0") << QList<int>{0, 0, 0} << QList<int>{3, 3, 3} << true << 0.0 << 0.0;
}

void TestAgreement::kappaDegenerate()
{
    QFETCH(QList<int>, raterA);
    QFETCH(QList<int>, raterB);
    QFETCH(bool, defined);
    QFETCH(double, kappa);
    QFETCH(double, observedAgreement);
    for (KappaWeights w : {KappaWeights::Unweighted, KappaWeights::Linear, KappaWeights::Quadratic}) {
        const KappaResult r = cohensKappa(toGrades(raterA), toGrades(raterB), 4, w);
        QCOMPARE(r.defined, defined);
        if (defined)
            QCOMPARE(r.kappa, kappa);
        else
            QVERIFY(std::isnan(r.kappa));
        if (std::isnan(observedAgreement))
            QVERIFY(std::isnan(r.observedAgreement));
        else
            QCOMPARE(r.observedAgreement, observedAgreement);
    }
}

void TestAgreement::kappaRejectsBadInput()
{
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(toGrades({0, 4}), toGrades({0, 1}), 4)); // grade 4 of 0..3
    const std::vector<std::optional<int>> negative{0, -1}; // "not rated" is nullopt, never a number
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(negative, toGrades({0, 1}), 4));
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(toGrades({0, 1}), toGrades({0}), 4)); // not aligned
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(ContingencyTable{{1, 2}, {3}})); // not square
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(ContingencyTable{{5}})); // one category
    QVERIFY_THROWS_EXCEPTION(Error, cohensKappa(ContingencyTable{{1, -1}, {0, 2}})); // negative count
    try {
        cohensKappa(toGrades({7}), toGrades({0}), 4);
        QFAIL("no exception");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        QVERIFY2(e.problem().find("grade 7 is outside 0..3") != std::string::npos, e.what());
    }
}

void TestAgreement::alphaPublishedExamples_data()
{
    QTest::addColumn<QList<QList<int>>>("observers");
    QTest::addColumn<int>("categories");
    QTest::addColumn<AlphaLevel>("level");
    QTest::addColumn<double>("expected");
    QTest::addColumn<double>("tolerance");
    // Krippendorff (2011) example C; the paper gives alpha to 3 decimals. Values 1..5, so 6
    // categories with 0 unused (unused values change nothing). Nominal exactly: n = 40 pairable
    // values, 8 off-diagonal coincidences, sum n_c^2 = 384: 1 - 39 * 8 / (40^2 - 384) = 1 - 312/1216.
    QTest::newRow("Krippendorff 2011 C, nominal: 0.743 (= 1 - 312/1216)")
        << krippendorff2011C() << 6 << AlphaLevel::Nominal << 1.0 - 312.0 / 1216.0 << 1e-12;
    QTest::newRow("Krippendorff 2011 C, ordinal: 0.815")
        << krippendorff2011C() << 6 << AlphaLevel::Ordinal << 0.815 << 5e-4;
    QTest::newRow("Krippendorff 2011 C, interval: 0.849")
        << krippendorff2011C() << 6 << AlphaLevel::Interval << 0.849 << 5e-4;
    QTest::newRow("Krippendorff 2011 C, ratio: 0.797")
        << krippendorff2011C() << 6 << AlphaLevel::Ratio << 0.797 << 5e-4;
    // Krippendorff (2011) example B: two observers, binary, no missing data: alpha = 0.095. With
    // two values every metric is a multiple of the nominal one, so all levels agree.
    const QList<QList<int>> binary{{0, 1, 0, 0, 0, 0, 0, 0, 1, 0}, {1, 1, 1, 0, 0, 1, 0, 0, 0, 0}};
    QTest::newRow("Krippendorff 2011 B, binary nominal: 0.095") << binary << 2 << AlphaLevel::Nominal << 0.095 << 5e-4;
    QTest::newRow("Krippendorff 2011 B, binary ordinal = nominal")
        << binary << 2 << AlphaLevel::Ordinal << 1.0 - 0.4 / (168.0 / 380.0) << 1e-12;
    QTest::newRow("Krippendorff 2011 B, binary interval = nominal")
        << binary << 2 << AlphaLevel::Interval << 1.0 - 0.4 / (168.0 / 380.0) << 1e-12;
    // Wikipedia's computational example (values to 6 decimals, as in the fast-krippendorff tests).
    QTest::newRow("Wikipedia, nominal: 0.691358") << wikipediaExample() << 5 << AlphaLevel::Nominal << 0.691358 << 5e-7;
    QTest::newRow("Wikipedia, interval: 0.810845")
        << wikipediaExample() << 5 << AlphaLevel::Interval << 0.810845 << 5e-7;
}

void TestAgreement::alphaPublishedExamples()
{
    QFETCH(QList<QList<int>>, observers);
    QFETCH(int, categories);
    QFETCH(AlphaLevel, level);
    QFETCH(double, expected);
    QFETCH(double, tolerance);
    const AlphaResult r = krippendorffAlpha(unitsFromObservers(observers), categories, level);
    QVERIFY(r.defined);
    QVERIFY2(std::fabs(r.alpha - expected) <= tolerance, qPrintable(QString::number(r.alpha, 'g', 10)));
    QVERIFY(std::fabs(r.alpha - (1.0 - r.observedDisagreement / r.expectedDisagreement)) < 1e-12);
}

void TestAgreement::alphaCountsPairableValues()
{
    // Example C: unit 12 has a single value and is not pairable; the other 11 hold 40 values.
    const AlphaResult r = krippendorffAlpha(unitsFromObservers(krippendorff2011C()), 6, AlphaLevel::Nominal);
    QCOMPARE(r.pairableUnits, std::size_t(11));
    QCOMPARE(r.pairableValues, 40.0);
    // D_o = 8 / 40 off-diagonal coincidences per value (Krippendorff's coincidence matrix).
    QVERIFY(std::fabs(r.observedDisagreement - 8.0 / 40.0) < 1e-12);
    // D_e = (40^2 - 384) / (40 * 39).
    QVERIFY(std::fabs(r.expectedDisagreement - 1216.0 / 1560.0) < 1e-12);
}

void TestAgreement::alphaMatchesFleissKappa()
{
    // Wikipedia's Fleiss' kappa example (Fleiss 1971 layout): 10 subjects, 14 raters each, 5
    // categories; kappa = 0.210. With complete data, 1 - alpha_nominal = (1 - kappa) (n - 1) / n
    // for n = 140 values (alpha's expected disagreement samples without replacement).
    const int counts[10][5] = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
        {7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
    std::vector<RatedUnit> units;
    for (const auto &row : counts) {
        RatedUnit unit;
        for (int c = 0; c < 5; ++c)
            unit.insert(unit.end(), static_cast<std::size_t>(row[c]), c);
        units.push_back(unit);
    }
    const AlphaResult r = krippendorffAlpha(units, 5, AlphaLevel::Nominal);
    QCOMPARE(r.pairableValues, 140.0);
    const double expected = 1.0 - (1.0 - 0.210) * 139.0 / 140.0;
    QVERIFY2(std::fabs(r.alpha - expected) < 1e-3, qPrintable(QString::number(r.alpha, 'g', 10)));
}

void TestAgreement::alphaIgnoresUnpairableUnits()
{
    std::vector<RatedUnit> units = unitsFromObservers(krippendorff2011C());
    const double before = krippendorffAlpha(units, 6, AlphaLevel::Ordinal).alpha;
    units.push_back({5});
    units.push_back({});
    units.push_back({1});
    const AlphaResult after = krippendorffAlpha(units, 6, AlphaLevel::Ordinal);
    QCOMPARE(after.alpha, before);
    QCOMPARE(after.pairableUnits, std::size_t(11));
    // The order of grades within a unit is irrelevant.
    for (RatedUnit &u : units)
        std::reverse(u.begin(), u.end());
    QCOMPARE(krippendorffAlpha(units, 6, AlphaLevel::Ordinal).alpha, before);
}

void TestAgreement::ordinalAlphaDependsOnlyOnOrder()
{
    // Ordinal distances use ranks (the marginals between two values), so relabelling 1..5 by any
    // increasing map leaves alpha unchanged; interval alpha, which uses the values, changes.
    const QList<QList<int>> original = krippendorff2011C();
    const int relabel[6] = {0, 0, 1, 5, 6, 10}; // 1 -> 0, 2 -> 1, 3 -> 5, 4 -> 6, 5 -> 10
    QList<QList<int>> stretched = original;
    for (auto &row : stretched)
        for (int &v : row)
            if (v >= 0)
                v = relabel[v];
    const double ordinal = krippendorffAlpha(unitsFromObservers(original), 6, AlphaLevel::Ordinal).alpha;
    const double ordinalStretched = krippendorffAlpha(unitsFromObservers(stretched), 11, AlphaLevel::Ordinal).alpha;
    QVERIFY(std::fabs(ordinal - ordinalStretched) < 1e-12);
    const double interval = krippendorffAlpha(unitsFromObservers(original), 6, AlphaLevel::Interval).alpha;
    const double intervalStretched = krippendorffAlpha(unitsFromObservers(stretched), 11, AlphaLevel::Interval).alpha;
    QVERIFY(std::fabs(interval - intervalStretched) > 1e-3);
}

void TestAgreement::alphaPerfectAgreement()
{
    const std::vector<RatedUnit> units{{0, 0, 0}, {3, 3}, {1, 1, 1, 1}, {2}, {2, 2}};
    for (AlphaLevel level : {AlphaLevel::Nominal, AlphaLevel::Ordinal, AlphaLevel::Interval, AlphaLevel::Ratio}) {
        const AlphaResult r = krippendorffAlpha(units, 4, level);
        QVERIFY(r.defined);
        QCOMPARE(r.alpha, 1.0);
        QCOMPARE(r.observedDisagreement, 0.0);
    }
}

void TestAgreement::alphaDegenerate_data()
{
    QTest::addColumn<QList<QList<int>>>("observers");
    QTest::addColumn<int>("pairableUnits");
    // Every pairable grade is 1: D_e = 0, no variation to assess.
    QTest::newRow("a single value throughout: undefined") << QList<QList<int>>{{1, 1, 1}, {1, 1, M}} << 2;
    // Nobody rated the same unit as anybody else.
    QTest::newRow("no unit with two grades: undefined") << QList<QList<int>>{{0, M, 3}, {M, 2, M}} << 0;
    QTest::newRow("no units at all: undefined") << QList<QList<int>>{} << 0;
}

void TestAgreement::alphaDegenerate()
{
    QFETCH(QList<QList<int>>, observers);
    QFETCH(int, pairableUnits);
    for (AlphaLevel level : {AlphaLevel::Nominal, AlphaLevel::Ordinal, AlphaLevel::Interval, AlphaLevel::Ratio}) {
        const AlphaResult r = krippendorffAlpha(unitsFromObservers(observers), 4, level);
        QVERIFY(!r.defined);
        QVERIFY(std::isnan(r.alpha));
        QCOMPARE(r.pairableUnits, std::size_t(pairableUnits));
    }
}

void TestAgreement::alphaRejectsBadGrades()
{
    QVERIFY_THROWS_EXCEPTION(Error, krippendorffAlpha({{0, 4}}, 4)); // 4 is outside 0..3
    QVERIFY_THROWS_EXCEPTION(Error, krippendorffAlpha({{-1, 1}}, 4));
    QVERIFY_THROWS_EXCEPTION(Error, krippendorffAlpha({{9}}, 4)); // even in an unpairable unit
    QVERIFY_THROWS_EXCEPTION(Error, krippendorffAlpha({{0, 0}}, 0));
}

void TestAgreement::disagreementList()
{
    const std::vector<RatedUnit> units{{0, 0, 0}, {0, 3}, {1, 2, 2}, {2}, {3, 1, 2}, {2, 1}};
    const std::vector<Disagreement> all = disagreements(units);
    // Largest spread first; equal spreads (units 2 and 5) in input order.
    QCOMPARE(all.size(), std::size_t(4));
    QCOMPARE(all[0].unit, std::size_t(1));
    QCOMPARE(all[0].lowest, 0);
    QCOMPARE(all[0].highest, 3);
    QCOMPARE(all[0].spread, 3);
    QCOMPARE(all[0].ratings, std::size_t(2));
    QCOMPARE(all[1].unit, std::size_t(4));
    QCOMPARE(all[1].spread, 2);
    QCOMPARE(all[1].ratings, std::size_t(3));
    QCOMPARE(all[2].unit, std::size_t(2));
    QCOMPARE(all[2].spread, 1);
    QCOMPARE(all[3].unit, std::size_t(5));
    const std::vector<Disagreement> wide = disagreements(units, 2);
    QCOMPARE(wide.size(), std::size_t(2));
    QCOMPARE(wide[1].unit, std::size_t(4));
    QVERIFY(disagreements({{1, 1}, {3}, {}}).empty()); // agreement, single and empty units
}

QTEST_MAIN(TestAgreement)
#include "tst_agreement.moc"
