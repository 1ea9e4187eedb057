// Query sampling: seeded and reproducible, proportional per category (largest remainder),
// independent of input order, never more than there is.
#include "core/project/QuerySampler.h"

#include <QTest>

#include <algorithm>
#include <set>

using namespace lookalike;

namespace {

std::vector<std::pair<std::int64_t, std::string>> candidates(const std::map<std::string, int> &sizes)
{
    std::vector<std::pair<std::int64_t, std::string>> out;
    std::int64_t id = 1;
    for (const auto &[category, n] : sizes)
        for (int i = 0; i < n; ++i)
            out.emplace_back(id++, category);
    return out;
}

QStringList names(const char *commaSeparated)
{
    return QString::fromLatin1(commaSeparated).split(QLatin1Char(','));
}

} // namespace

class TestQuerySampler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void randomIsSplitMix64();
    void belowIsInRange();
    void allocation_data();
    void allocation();
    void sameSeedSameSample();
    void differentSeedsDiffer();
    void inputOrderDoesNotMatter();
    void stratifiedFollowsAllocation();
    void neverMoreThanAvailable();
};

void TestQuerySampler::randomIsSplitMix64()
{
    // Reference values of SplitMix64 with seed 0 (Vigna's splitmix64.c), so samples are the same
    // on every platform and compiler.
    SeededRandom r(0);
    QCOMPARE(r.next(), 0xE220A8397B1DCDAFull);
    QCOMPARE(r.next(), 0x6E789E6AA1B965F4ull);
    QCOMPARE(r.next(), 0x06C45D188009454Full);
}

void TestQuerySampler::belowIsInRange()
{
    SeededRandom r(9);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 7000; ++i) {
        const auto v = r.below(7);
        QVERIFY(v < 7);
        ++counts[v];
    }
    for (int c : counts)
        QVERIFY2(c > 850 && c < 1150, qPrintable(QString::number(c))); // roughly uniform
}

void TestQuerySampler::allocation_data()
{
    QTest::addColumn<QStringList>("categories");
    QTest::addColumn<QList<int>>("sizes");
    QTest::addColumn<int>("n");
    QTest::addColumn<QList<int>>("expected");
    QTest::newRow("exact proportions") << names("a,b") << QList<int>{30, 10} << 8 << QList<int>{6, 2};
    // 10 * (5, 3, 2) / 10 = (5, 3, 2) exactly; 7 seats: 3.5, 2.1, 1.4 -> 3, 2, 1 + the largest remainder (a)
    QTest::newRow("largest remainder") << names("a,b,c") << QList<int>{5, 3, 2} << 7 << QList<int>{4, 2, 1};
    // 1 seat, two equal remainders: the larger category wins
    QTest::newRow("tie to the larger category") << names("a,b") << QList<int>{1, 3} << 1 << QList<int>{0, 1};
    // equal size and remainder: by name
    QTest::newRow("tie by name") << names("x,y") << QList<int>{2, 2} << 1 << QList<int>{1, 0};
    QTest::newRow("more than there is") << names("a,b") << QList<int>{2, 1} << 10 << QList<int>{2, 1};
    QTest::newRow("zero") << names("a") << QList<int>{4} << 0 << QList<int>{0};
}

void TestQuerySampler::allocation()
{
    QFETCH(QStringList, categories);
    QFETCH(QList<int>, sizes);
    QFETCH(int, n);
    QFETCH(QList<int>, expected);
    std::map<std::string, std::int64_t> in;
    for (int i = 0; i < categories.size(); ++i)
        in[categories[i].toStdString()] = sizes[i];
    const auto seats = proportionalAllocation(in, n);
    for (int i = 0; i < categories.size(); ++i)
        QCOMPARE(seats.at(categories[i].toStdString()), std::int64_t(expected[i]));
}

void TestQuerySampler::sameSeedSameSample()
{
    const auto c = candidates({{"a", 50}, {"b", 30}});
    QCOMPARE(sampleQueries(c, 10, 7, false), sampleQueries(c, 10, 7, false));
    QCOMPARE(sampleQueries(c, 10, 7, true), sampleQueries(c, 10, 7, true));
    const auto s = sampleQueries(c, 10, 7, false);
    QCOMPARE(s.size(), std::size_t(10));
    QCOMPARE(std::set<std::int64_t>(s.begin(), s.end()).size(), std::size_t(10)); // no repeats
    QVERIFY(std::is_sorted(s.begin(), s.end()));
}

void TestQuerySampler::differentSeedsDiffer()
{
    const auto c = candidates({{"a", 200}});
    QVERIFY(sampleQueries(c, 10, 1, false) != sampleQueries(c, 10, 2, false));
}

void TestQuerySampler::inputOrderDoesNotMatter()
{
    auto c = candidates({{"a", 40}, {"b", 25}});
    const auto before = sampleQueries(c, 12, 3, true);
    std::reverse(c.begin(), c.end());
    QCOMPARE(sampleQueries(c, 12, 3, true), before);
}

void TestQuerySampler::stratifiedFollowsAllocation()
{
    const auto c = candidates({{"bags", 60}, {"shoes", 30}, {"watches", 10}});
    const auto s = sampleQueries(c, 20, 11, true);
    std::map<std::string, int> perCategory;
    for (std::int64_t id : s)
        ++perCategory[std::find_if(c.begin(), c.end(), [&](const auto &p) { return p.first == id; })->second];
    QCOMPARE(perCategory["bags"], 12);
    QCOMPARE(perCategory["shoes"], 6);
    QCOMPARE(perCategory["watches"], 2);
}

void TestQuerySampler::neverMoreThanAvailable()
{
    const auto c = candidates({{"a", 3}});
    QCOMPARE(sampleQueries(c, 10, 1, false).size(), std::size_t(3));
    QCOMPARE(sampleQueries(c, 10, 1, true).size(), std::size_t(3));
    QVERIFY(sampleQueries({}, 5, 1, true).empty());
}

QTEST_MAIN(TestQuerySampler)
#include "tst_querysampler.moc"
