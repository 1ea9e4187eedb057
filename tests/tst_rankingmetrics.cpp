// Ranking metrics: hand-computed nDCG@k, P@k, reciprocal rank, judged@k and ranges, the mean
// rule, and agreement with trec_eval itself, re-implemented below from its source as an oracle
// that reads the exported qrels and run files.
#include "core/Error.h"
#include "core/metrics/RankingMetrics.h"
#include "core/metrics/TrecFiles.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TrecEvalOracle.h"

#include <QTest>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <sstream>

using namespace lookalike;

Q_DECLARE_METATYPE(GainKind)

namespace {

// "1:3 2:0" -> {1: 3, 2: 0}
QueryJudgments grades(const QString &text)
{
    QueryJudgments out;
    const QStringList pairs = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString &pair : pairs) {
        const QStringList parts = pair.split(QLatin1Char(':'));
        out[parts[0].toLongLong()] = parts[1].toInt();
    }
    return out;
}

RankedList ranked(const QList<qint64> &ids)
{
    return RankedList(ids.begin(), ids.end());
}

MetricSettings settingsOf(GainKind gain, int threshold, int highest = 3)
{
    MetricSettings s;
    s.gain = gain;
    s.relevanceThreshold = threshold;
    s.highestGrade = highest;
    return s;
}

QString mismatch(double actual, double expected, const char *what)
{
    return QStringLiteral("%1: %2, expected %3")
        .arg(QLatin1String(what))
        .arg(actual, 0, 'g', 17)
        .arg(expected, 0, 'g', 17);
}

// Exact to 1e-12 (trec_eval prints 4 decimals; the computations agree far below that). A macro,
// so that a test function stops at its first mismatch.
#define VERIFY_CLOSE(actual, expected, what)                                                                           \
    QVERIFY2(std::abs((actual) - (expected)) <= 1e-12, qPrintable(mismatch((actual), (expected), (what))))

using testsupport::errorOf;

const double L3 = std::log2(3.0); // discount of rank 2
const double L6 = std::log2(6.0); // rank 5
const double L7 = std::log2(7.0); // rank 6

// -----------------------------------------------------------------------------------------------
// Random projects for the oracle: a catalog whose ids sort unlike the item ids, several model
// versions with frozen lists full of equal cosines, pooled grades.
struct RandomProject {
    std::map<std::int64_t, std::string> catalogId;
    std::map<std::string, std::int64_t> itemOf;
    std::vector<std::map<std::int64_t, RankedList>> lists; // per model: query -> list
    std::vector<std::map<std::int64_t, std::vector<double>>> cosines; // per model: same order
    std::map<std::int64_t, QueryJudgments> judgments;
};

RandomProject randomProject(std::uint64_t seed, int maxGrade)
{
    std::mt19937_64 rng(seed); // mt19937_64's sequence is fixed by the standard
    auto below = [&rng](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
    RandomProject p;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/";
    const int items = 400;
    for (std::int64_t item = 1; item <= items; ++item) {
        std::string id;
        do {
            id.clear();
            const auto length = 1 + below(6);
            for (int c = 0; c < length; ++c)
                id += alphabet[static_cast<std::size_t>(below(static_cast<std::uint64_t>(alphabet.size())))];
            if (below(10) == 0)
                id += "\xC3\xA9"; // é: bytes above 127 compare as unsigned in strcmp
        } while (p.itemOf.count(id));
        p.catalogId[item] = id;
        p.itemOf[id] = item;
    }
    const int models = 3;
    p.lists.resize(models);
    p.cosines.resize(models);
    const int depths[] = {0, 1, 3, 4, 5, 7, 10, 10, 12};
    for (int q = 0; q < 250; ++q) {
        const std::int64_t query = 1 + below(items);
        if (p.lists[0].count(query))
            continue;
        std::set<std::int64_t> pool;
        for (int m = 0; m < models; ++m) {
            const int depth = depths[below(std::size(depths))];
            std::vector<std::pair<double, std::int64_t>> scored;
            std::set<std::int64_t> taken{query};
            while (static_cast<int>(scored.size()) < depth) {
                const std::int64_t candidate = 1 + below(items);
                if (!taken.insert(candidate).second)
                    continue;
                scored.emplace_back(0.25 * static_cast<double>(below(4)) + 0.1, candidate); // few distinct cosines
            }
            // Lookalike's order: cosine descending, then item id ascending.
            std::sort(scored.begin(), scored.end(), [](const auto &a, const auto &b) {
                return a.first != b.first ? a.first > b.first : a.second < b.second;
            });
            RankedList list;
            std::vector<double> cos;
            for (const auto &[cosine, candidate] : scored) {
                list.push_back(candidate);
                cos.push_back(cosine);
                pool.insert(candidate);
            }
            p.lists[static_cast<std::size_t>(m)][query] = list;
            p.cosines[static_cast<std::size_t>(m)][query] = cos;
        }
        if (below(7) == 0)
            continue; // not graded yet
        const int share = static_cast<int>(below(3)); // a third, two thirds or all of the pool
        const bool allZero = below(8) == 0;
        QueryJudgments g;
        for (std::int64_t candidate : pool)
            if (share == 2 || below(3) <= share)
                g[candidate] = allZero ? 0 : static_cast<int>(below(static_cast<std::uint64_t>(maxGrade + 1)));
        if (below(4) == 0) { // graded in an earlier, refrozen list: in the pool, in no list
            const std::int64_t extra = 1 + below(items);
            if (extra != query && !pool.count(extra))
                g[extra] = allZero ? 0 : static_cast<int>(below(static_cast<std::uint64_t>(maxGrade + 1)));
        }
        if (!g.empty())
            p.judgments[query] = g;
    }
    return p;
}

TrecQrels qrelsOf(const RandomProject &p, bool exponentialGrades)
{
    TrecQrels q;
    for (const auto &[query, g] : p.judgments)
        for (const auto &[candidate, grade] : g)
            q[p.catalogId.at(query)][p.catalogId.at(candidate)] = exponentialGrades ? (1 << grade) - 1 : grade;
    return q;
}

TrecRun runOf(const RandomProject &p, std::size_t model)
{
    TrecRun run;
    run.tag = "model-" + std::to_string(model);
    for (const auto &[query, list] : p.lists[model]) {
        auto &docs = run.rankings[p.catalogId.at(query)];
        for (std::int64_t candidate : list)
            docs.push_back(p.catalogId.at(candidate));
    }
    return run;
}

} // namespace

class TestRankingMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ndcg_data();
    void ndcg();
    void precision_data();
    void precision();
    void reciprocalRank_data();
    void reciprocalRank();
    void judged_data();
    void judged();
    void ndcgRange_data();
    void ndcgRange();
    void gradingEverythingHighestIsNotTheBestCase();
    void ndcgRangeMatchesEveryGrading();
    void precisionAndReciprocalRankRanges_data();
    void precisionAndReciprocalRankRanges();
    void queryMetricsCollectsEveryMetric();
    void meanOverQueriesWithListAndGrades();
    void meanOfRangesIsRangeOfMean();
    void invalidInput_data();
    void invalidInput();
    void matchesTrecEvalOnExportedFiles_data();
    void matchesTrecEvalOnExportedFiles();
    void runExportKeepsLookalikeOrderForTiedScores();
};

void TestRankingMetrics::ndcg_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<GainKind>("gain");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<double>("expected");
    const GainKind lin = GainKind::Linear;
    // rank r is discounted by log2(r + 1): 1, log2 3, 2, log2 5, log2 6, ...
    QTest::newRow("ideal order, graded") << QList<qint64>{1, 2, 3} << "1:3 2:2 3:1" << 5 << lin << 1 << 1.0;
    // DCG 1 + 2/log2 3 + 3/2, ideal 3 + 2/log2 3 + 1/2: 0.78999
    QTest::newRow("reversed order, graded")
        << QList<qint64>{3, 2, 1} << "1:3 2:2 3:1" << 5 << lin << 1 << (1 + 2 / L3 + 1.5) / (3 + 2 / L3 + 0.5);
    // The rank-2 discount is log2 3 (trec_eval 9.0alpha did not discount rank 2 and gave 1.0).
    QTest::newRow("unjudged at rank 1 keeps its rank") << QList<qint64>{9, 1} << "1:2" << 5 << lin << 1 << 1 / L3;
    // DCG 1, ideal 3 + 1/log2 3 (candidate 5 is graded from another model's list): 0.27541
    QTest::newRow("ideal DCG from the whole pool")
        << QList<qint64>{1, 9} << "1:1 5:3" << 5 << lin << 1 << 1 / (3 + 1 / L3);
    QTest::newRow("nothing relevant: 0, not NaN") << QList<qint64>{1, 2} << "1:0 2:0" << 5 << lin << 1 << 0.0;
    QTest::newRow("only unjudged retrieved") << QList<qint64>{7, 8} << "1:2" << 5 << lin << 1 << 0.0;
    QTest::newRow("relevant below the cutoff") << QList<qint64>{1, 2, 3, 4, 5, 6} << "6:3" << 5 << lin << 1 << 0.0;
    QTest::newRow("same at 10") << QList<qint64>{1, 2, 3, 4, 5, 6} << "6:3" << 10 << lin << 1 << 1 / L7;
    // DCG 1/log2 3, ideal 1 + 1/log2 3: 0.38685
    QTest::newRow("list shorter than k") << QList<qint64>{1, 2} << "1:0 2:1 7:1" << 5 << lin << 1
                                         << (1 / L3) / (1 + 1 / L3);
    // 7 relevant in the pool; the ideal stops at rank 5
    const double top4 = 1 + 1 / L3 + 0.5 + 1 / std::log2(5.0);
    QTest::newRow("ideal cut at k") << QList<qint64>{1, 2, 3, 4, 99} << "1:1 2:1 3:1 4:1 5:1 6:1 7:1" << 5 << lin << 1
                                    << top4 / (top4 + 1 / L6);
    // gains 2^3-1 = 7 and 2^1-1 = 1: DCG 1 + 7/log2 3, ideal 7 + 1/log2 3: 0.70986
    QTest::newRow("exponential gain") << QList<qint64>{3, 2} << "2:3 3:1" << 5 << GainKind::Exponential << 1
                                      << (1 + 7 / L3) / (7 + 1 / L3);
    QTest::newRow("linear gain, same list")
        << QList<qint64>{3, 2} << "2:3 3:1" << 5 << lin << 1 << (1 + 3 / L3) / (3 + 1 / L3);
    QTest::newRow("binary grades") << QList<qint64>{1, 2, 3} << "2:1 3:0" << 5 << lin << 1 << 1 / L3;
    QTest::newRow("the threshold does not touch nDCG")
        << QList<qint64>{3, 2, 1} << "1:3 2:2 3:1" << 5 << lin << 3 << (1 + 2 / L3 + 1.5) / (3 + 2 / L3 + 0.5);
    QTest::newRow("empty list") << QList<qint64>{} << "1:3" << 5 << lin << 1 << 0.0;
}

void TestRankingMetrics::ndcg()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(GainKind, gain);
    QFETCH(int, threshold);
    QFETCH(double, expected);
    VERIFY_CLOSE(ndcgAtK(ranked(list), grades(judgments), k, settingsOf(gain, threshold)), expected, "nDCG");
}

void TestRankingMetrics::precision_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<double>("expected");
    QTest::newRow("P@1 hit") << QList<qint64>{1, 2} << "1:1" << 1 << 1 << 1.0;
    QTest::newRow("P@1 grade 0 first") << QList<qint64>{1, 2} << "1:0 2:3" << 1 << 1 << 0.0;
    QTest::newRow("P@1 unjudged first") << QList<qint64>{9, 2} << "2:3" << 1 << 1 << 0.0;
    QTest::newRow("P@5 threshold 1") << QList<qint64>{1, 2, 3, 4, 5} << "1:1 2:2 3:0 4:3" << 5 << 1 << 0.6;
    QTest::newRow("P@5 threshold 2") << QList<qint64>{1, 2, 3, 4, 5} << "1:1 2:2 3:0 4:3" << 5 << 2 << 0.4;
    QTest::newRow("P@5 threshold 3") << QList<qint64>{1, 2, 3, 4, 5} << "1:1 2:2 3:0 4:3" << 5 << 3 << 0.2;
    QTest::newRow("P@5 of a 3-long list divides by 5") << QList<qint64>{1, 2, 3} << "1:1 2:1 3:1" << 5 << 1 << 0.6;
    QTest::newRow("P@5 ignores rank 6") << QList<qint64>{1, 2, 3, 4, 5, 6} << "6:1" << 5 << 1 << 0.0;
    QTest::newRow("P@1 empty list") << QList<qint64>{} << "1:1" << 1 << 1 << 0.0;
    QTest::newRow("P@1 binary") << QList<qint64>{4} << "4:1" << 1 << 1 << 1.0;
}

void TestRankingMetrics::precision()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(int, threshold);
    QFETCH(double, expected);
    for (GainKind gain : {GainKind::Linear, GainKind::Exponential}) // the gain is nDCG's only
        VERIFY_CLOSE(precisionAtK(ranked(list), grades(judgments), k, settingsOf(gain, threshold)), expected, "P@k");
}

void TestRankingMetrics::reciprocalRank_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<double>("expected");
    QTest::newRow("relevant at rank 1") << QList<qint64>{1, 2} << "1:2" << 1 << 1.0;
    QTest::newRow("first relevant at rank 3") << QList<qint64>{1, 2, 3} << "1:0 3:2" << 1 << 1.0 / 3;
    QTest::newRow("unjudged are not relevant") << QList<qint64>{9, 8, 3} << "3:1" << 1 << 1.0 / 3;
    QTest::newRow("nothing relevant") << QList<qint64>{1, 2} << "1:0 2:0" << 1 << 0.0;
    QTest::newRow("no cutoff: rank 12") << QList<qint64>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} << "12:1" << 1
                                        << 1.0 / 12;
    QTest::newRow("threshold 2 skips grade 1") << QList<qint64>{1, 2} << "1:1 2:2" << 2 << 0.5;
    QTest::newRow("empty list") << QList<qint64>{} << "1:1" << 1 << 0.0;
}

void TestRankingMetrics::reciprocalRank()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, threshold);
    QFETCH(double, expected);
    VERIFY_CLOSE(lookalike::reciprocalRank(ranked(list), grades(judgments), settingsOf(GainKind::Linear, threshold)),
        expected, "reciprocal rank");
}

void TestRankingMetrics::judged_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<double>("expected");
    QTest::newRow("all graded, 0 included") << QList<qint64>{1, 2, 3, 4, 5} << "1:0 2:0 3:1 4:3 5:0" << 5 << 1.0;
    QTest::newRow("three of five") << QList<qint64>{1, 2, 3, 4, 5} << "1:0 3:2 5:1" << 5 << 0.6;
    QTest::newRow("rank 6 does not count") << QList<qint64>{1, 2, 3, 4, 5, 6} << "1:0 2:0 3:0 4:0 5:0" << 5 << 1.0;
    QTest::newRow("short list fully graded") << QList<qint64>{1, 2, 3} << "1:0 2:1 3:0" << 5 << 1.0;
    QTest::newRow("short list, one unjudged: 1 - 1/5") << QList<qint64>{1, 2, 3} << "1:0 2:0" << 5 << 0.8;
    QTest::newRow("at 1") << QList<qint64>{7, 1} << "1:2" << 1 << 0.0;
    QTest::newRow("empty list") << QList<qint64>{} << "" << 5 << 1.0;
}

void TestRankingMetrics::judged()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(double, expected);
    VERIFY_CLOSE(judgedAtK(ranked(list), grades(judgments), k), expected, "judged@k");
}

void TestRankingMetrics::ndcgRange_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("highest");
    QTest::addColumn<double>("low");
    QTest::addColumn<double>("high");
    QTest::newRow("all judged: the metric itself")
        << QList<qint64>{3, 2, 1} << "1:3 2:2 3:1" << 5 << 3 << (1 + 2 / L3 + 1.5) / (3 + 2 / L3 + 0.5)
        << (1 + 2 / L3 + 1.5) / (3 + 2 / L3 + 0.5);
    // 9 graded 3 at rank 5: DCG 3 + 3/log2 6, ideal 3 + 3/log2 3 -> 0.85034; 9 graded 0 -> 1
    QTest::newRow("a highest grade at rank 5 lowers nDCG")
        << QList<qint64>{1, 2, 3, 4, 9} << "1:3 2:0 3:0 4:0" << 5 << 3 << (3 + 3 / L6) / (3 + 3 / L3) << 1.0;
    // 9 graded 0: (1/log2 3) / 1; 9 graded 1..3: the ideal order
    QTest::newRow("unjudged at rank 1") << QList<qint64>{9, 1} << "1:1" << 5 << 3 << 1 / L3 << 1.0;
    QTest::newRow("binary scale") << QList<qint64>{9, 1} << "1:1" << 5 << 1 << 1 / L3 << 1.0;
    QTest::newRow("unjudged below k are not varied")
        << QList<qint64>{1, 2, 3, 4, 5, 9} << "1:0 2:0 3:0 4:0 5:0" << 5 << 3 << 0.0 << 0.0;
    QTest::newRow("nothing judged yet") << QList<qint64>{8, 9} << "" << 5 << 3 << 0.0 << 1.0;
    // Worst: 9 (rank 2) lowest, 8 (rank 5) highest: DCG 2 + 3/log2 6, ideal 3 + 2/log2 3 -> 0.74160,
    // below both "all lowest" (1) and "all highest" (0.85757).
    QTest::newRow("worst case mixes lowest and highest")
        << QList<qint64>{1, 9, 2, 3, 8} << "1:2 2:0 3:0" << 5 << 3 << (2 + 3 / L6) / (3 + 2 / L3) << 1.0;
}

void TestRankingMetrics::ndcgRange()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(int, highest);
    QFETCH(double, low);
    QFETCH(double, high);
    const MetricRange r = ndcgRangeAtK(ranked(list), grades(judgments), k, settingsOf(GainKind::Linear, 1, highest));
    VERIFY_CLOSE(r.low, low, "low");
    VERIFY_CLOSE(r.high, high, "high");
    const double now = ndcgAtK(ranked(list), grades(judgments), k);
    QVERIFY(r.low <= now && now <= r.high); // unjudged count as grade 0 today, a grade of the scale
}

void TestRankingMetrics::gradingEverythingHighestIsNotTheBestCase()
{
    // Why the range is searched rather than taken from "all lowest" and "all highest": here
    // every unjudged candidate graded highest gives less than today's value.
    const RankedList list{1, 2, 3, 4, 9};
    const QueryJudgments now = grades(QStringLiteral("1:3 2:0 3:0 4:0"));
    QueryJudgments allHighest = now;
    allHighest[9] = 3;
    QVERIFY(ndcgAtK(list, allHighest, 5) < ndcgAtK(list, now, 5));
    const MetricRange r = ndcgRangeAtK(list, now, 5);
    VERIFY_CLOSE(r.high, 1.0, "high");
    VERIFY_CLOSE(r.low, ndcgAtK(list, allHighest, 5), "low");
}

void TestRankingMetrics::ndcgRangeMatchesEveryGrading()
{
    // Brute force: every grading of the unjudged top-k candidates, one by one.
    std::mt19937_64 rng(20240611);
    auto below = [&rng](std::uint64_t n) { return static_cast<int>(rng() % n); };
    int cases = 0;
    for (int trial = 0; trial < 400; ++trial) {
        const int highest = below(2) ? 3 : 1;
        const int k = 1 + below(6);
        const GainKind gain = below(2) ? GainKind::Linear : GainKind::Exponential;
        RankedList list;
        QueryJudgments judged;
        const int length = below(9);
        for (int i = 0; i < length; ++i) {
            list.push_back(100 + i);
            if (below(2))
                judged[100 + i] = below(highest + 1);
        }
        for (int extra = below(3); extra > 0; --extra)
            judged[1 + below(50)] = below(highest + 1); // pool members outside the list
        std::vector<std::int64_t> open;
        for (int i = 0; i < std::min(k, length); ++i)
            if (!judged.count(list[static_cast<std::size_t>(i)]))
                open.push_back(list[static_cast<std::size_t>(i)]);
        if (open.size() > 5)
            continue;
        const MetricSettings s = settingsOf(gain, 1, highest);
        double low = 2.0, high = -1.0;
        std::vector<int> g(open.size(), 0);
        for (;;) {
            QueryJudgments trial_ = judged;
            for (std::size_t j = 0; j < open.size(); ++j)
                trial_[open[j]] = g[j];
            const double v = ndcgAtK(list, trial_, k, s);
            low = std::min(low, v);
            high = std::max(high, v);
            std::size_t j = 0;
            while (j < g.size() && g[j] == highest)
                g[j++] = 0;
            if (j == g.size())
                break;
            ++g[j];
        }
        const MetricRange r = ndcgRangeAtK(list, judged, k, s);
        QVERIFY2(r.low == low && r.high == high,
            qPrintable(QStringLiteral("trial %1: [%2, %3], brute force [%4, %5]")
                           .arg(trial)
                           .arg(r.low, 0, 'g', 17)
                           .arg(r.high, 0, 'g', 17)
                           .arg(low, 0, 'g', 17)
                           .arg(high, 0, 'g', 17)));
        ++cases;
    }
    QVERIFY(cases > 300);
}

void TestRankingMetrics::precisionAndReciprocalRankRanges_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<int>("highest");
    QTest::addColumn<double>("pLow");
    QTest::addColumn<double>("pHigh");
    QTest::addColumn<double>("rrLow");
    QTest::addColumn<double>("rrHigh");
    QTest::newRow("two unjudged of three")
        << QList<qint64>{9, 1, 8} << "1:2" << 5 << 1 << 3 << 0.2 << 0.6 << 0.5 << 1.0;
    QTest::newRow("threshold above the judged grade")
        << QList<qint64>{9, 1, 8} << "1:2" << 5 << 3 << 3 << 0.0 << 0.4 << 0.0 << 1.0;
    QTest::newRow("binary scale") << QList<qint64>{9, 1, 8} << "1:1" << 5 << 1 << 1 << 0.2 << 0.6 << 0.5 << 1.0;
    QTest::newRow("P@1") << QList<qint64>{9, 1, 8} << "1:2" << 1 << 1 << 3 << 0.0 << 1.0 << 0.5 << 1.0;
    QTest::newRow("unjudged behind the first relevant")
        << QList<qint64>{1, 9, 2} << "1:0 2:1" << 5 << 1 << 3 << 0.2 << 0.4 << 1.0 / 3 << 0.5;
    QTest::newRow("all judged: points") << QList<qint64>{1, 2} << "1:0 2:1" << 5 << 1 << 3 << 0.2 << 0.2 << 0.5 << 0.5;
}

void TestRankingMetrics::precisionAndReciprocalRankRanges()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(int, threshold);
    QFETCH(int, highest);
    QFETCH(double, pLow);
    QFETCH(double, pHigh);
    QFETCH(double, rrLow);
    QFETCH(double, rrHigh);
    const MetricSettings s = settingsOf(GainKind::Linear, threshold, highest);
    const MetricRange p = precisionRangeAtK(ranked(list), grades(judgments), k, s);
    VERIFY_CLOSE(p.low, pLow, "P low");
    VERIFY_CLOSE(p.high, pHigh, "P high");
    const MetricRange rr = reciprocalRankRange(ranked(list), grades(judgments), s);
    VERIFY_CLOSE(rr.low, rrLow, "RR low");
    VERIFY_CLOSE(rr.high, rrHigh, "RR high");
}

void TestRankingMetrics::queryMetricsCollectsEveryMetric()
{
    // ranks: 1 graded 2, 2 unjudged, 3 graded 0, 4 graded 3, 5 unjudged, 6 graded 1
    const RankedList list{11, 12, 13, 14, 15, 16};
    const QueryJudgments g = grades(QStringLiteral("11:2 13:0 14:3 16:1"));
    const QueryMetrics m = queryMetrics(list, g);
    // DCG@5 2 + 3/log2 5, ideal 3 + 2/log2 3 + 1/2; @10 adds 1/log2 7 to the DCG
    VERIFY_CLOSE(m.ndcg5, (2 + 3 / std::log2(5.0)) / (3 + 2 / L3 + 0.5), "nDCG@5");
    VERIFY_CLOSE(m.ndcg10, (2 + 3 / std::log2(5.0) + 1 / L7) / (3 + 2 / L3 + 0.5), "nDCG@10");
    VERIFY_CLOSE(m.precision1, 1.0, "P@1");
    VERIFY_CLOSE(m.precision5, 0.4, "P@5");
    VERIFY_CLOSE(m.reciprocalRank, 1.0, "RR");
    VERIFY_CLOSE(m.judged5, 0.6, "judged@5");
    VERIFY_CLOSE(m.precision1Range.low, 1.0, "P@1 low");
    VERIFY_CLOSE(m.precision1Range.high, 1.0, "P@1 high");
    VERIFY_CLOSE(m.precision5Range.low, 0.4, "P@5 low");
    VERIFY_CLOSE(m.precision5Range.high, 0.8, "P@5 high");
    const MetricRange n5 = ndcgRangeAtK(list, g, 5);
    QCOMPARE(m.ndcg5Range.low, n5.low);
    QCOMPARE(m.ndcg5Range.high, n5.high);
    QVERIFY(m.ndcg5Range.low <= m.ndcg5 && m.ndcg5 < m.ndcg5Range.high);
    QVERIFY(m.ndcg10Range.low <= m.ndcg10 && m.ndcg10 <= m.ndcg10Range.high);
    VERIFY_CLOSE(m.reciprocalRankRange.low, 1.0, "RR low");
}

void TestRankingMetrics::meanOverQueriesWithListAndGrades()
{
    std::map<std::int64_t, RankedList> lists;
    std::map<std::int64_t, QueryJudgments> judged;
    lists[1] = {10, 11}; // graded: enters
    judged[1] = grades(QStringLiteral("10:2 11:0"));
    lists[2] = {20, 21}; // nothing graded yet: left out
    judged[3] = grades(QStringLiteral("30:1")); // no list: left out
    lists[4] = {}; // empty list (trec_eval never sees it): left out
    judged[4] = grades(QStringLiteral("40:3"));
    lists[5] = {50, 51}; // only grade 0: enters with 0
    judged[5] = grades(QStringLiteral("50:0"));
    const ModelMetrics m = evaluateModel(lists, judged);
    QCOMPARE(m.perQuery.size(), std::size_t(2));
    QVERIFY(m.perQuery.count(1) && m.perQuery.count(5));
    QCOMPARE(m.queriesWithoutJudgment, 1);
    QCOMPARE(m.queriesWithoutList, 2);
    QVERIFY(entersMean(lists[1], judged[1]));
    QVERIFY(!entersMean(lists[4], judged[4]));
    QVERIFY(!entersMean(lists[2], {}));
    VERIFY_CLOSE(m.perQuery.at(5).ndcg5, 0.0, "all grade 0");
    VERIFY_CLOSE(m.mean.ndcg5, (1.0 + 0.0) / 2, "mean nDCG@5");
    VERIFY_CLOSE(m.mean.precision1, 0.5, "mean P@1");
    VERIFY_CLOSE(m.mean.judged5, (1.0 + 0.8) / 2, "mean judged@5");
    const ModelMetrics none = evaluateModel({}, {});
    QVERIFY(none.perQuery.empty());
    QCOMPARE(none.mean.ndcg5, 0.0);
}

void TestRankingMetrics::meanOfRangesIsRangeOfMean()
{
    QueryMetrics a;
    a.ndcg5 = 0.5;
    a.ndcg5Range = {0.25, 0.75};
    a.reciprocalRankRange = {1.0, 1.0};
    QueryMetrics b;
    b.ndcg5 = 1.0;
    b.ndcg5Range = {1.0, 1.0};
    b.reciprocalRankRange = {0.0, 0.5};
    const QueryMetrics m = meanMetrics({a, b});
    VERIFY_CLOSE(m.ndcg5, 0.75, "mean");
    VERIFY_CLOSE(m.ndcg5Range.low, 0.625, "low");
    VERIFY_CLOSE(m.ndcg5Range.high, 0.875, "high");
    VERIFY_CLOSE(m.reciprocalRankRange.low, 0.5, "RR low");
    VERIFY_CLOSE(m.reciprocalRankRange.high, 0.75, "RR high");
    QCOMPARE(meanMetrics({}).ndcg5Range.high, 0.0);
}

void TestRankingMetrics::invalidInput_data()
{
    QTest::addColumn<QList<qint64>>("list");
    QTest::addColumn<QString>("judgments");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<int>("lowest");
    QTest::addColumn<int>("highest");
    QTest::addColumn<QString>("message");
    QTest::newRow("k = 0") << QList<qint64>{1} << "1:1" << 0 << 1 << 0 << 3 << "cutoff";
    QTest::newRow("candidate listed twice") << QList<qint64>{1, 2, 1} << "1:1" << 5 << 1 << 0 << 3 << "listed twice";
    QTest::newRow("negative grade") << QList<qint64>{1} << "1:-1" << 5 << 1 << 0 << 3 << "negative grade";
    QTest::newRow("threshold 0") << QList<qint64>{1} << "1:1" << 5 << 0 << 0 << 3 << "threshold";
    QTest::newRow("scale upside down") << QList<qint64>{1} << "1:1" << 5 << 1 << 3 << 0 << "grade scale";
}

void TestRankingMetrics::invalidInput()
{
    QFETCH(QList<qint64>, list);
    QFETCH(QString, judgments);
    QFETCH(int, k);
    QFETCH(int, threshold);
    QFETCH(int, lowest);
    QFETCH(int, highest);
    QFETCH(QString, message);
    MetricSettings s;
    s.relevanceThreshold = threshold;
    s.lowestGrade = lowest;
    s.highestGrade = highest;
    const RankedList l = ranked(list);
    const QueryJudgments g = grades(judgments);
    const std::optional<Error> errors[] = {
        errorOf([&] { ndcgAtK(l, g, k, s); }),
        errorOf([&] { precisionAtK(l, g, k, s); }),
        errorOf([&] { ndcgRangeAtK(l, g, k, s); }),
    };
    for (const auto &e : errors) {
        QVERIFY(e.has_value());
        QCOMPARE(errorCodeName(e->code()), "InvalidArgument");
        QVERIFY2(QString::fromStdString(e->what()).contains(message), e->what());
    }
}

void TestRankingMetrics::matchesTrecEvalOnExportedFiles_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<GainKind>("gain");
    QTest::addColumn<int>("threshold");
    QTest::addColumn<int>("maxGrade");
    QTest::newRow("graded 0..3, defaults (trec_eval -m ndcg_cut -m P)") << quint64(1) << GainKind::Linear << 1 << 3;
    QTest::newRow("graded, another seed") << quint64(77) << GainKind::Linear << 1 << 3;
    QTest::newRow("binary 0/1") << quint64(5) << GainKind::Linear << 1 << 1;
    QTest::newRow("threshold 2 (trec_eval -l2)") << quint64(9) << GainKind::Linear << 2 << 3;
    QTest::newRow("threshold 3 (trec_eval -l3)") << quint64(10) << GainKind::Linear << 3 << 3;
    QTest::newRow("exponential gain (qrels of 2^g - 1)") << quint64(13) << GainKind::Exponential << 1 << 3;
}

void TestRankingMetrics::matchesTrecEvalOnExportedFiles()
{
    QFETCH(quint64, seed);
    QFETCH(GainKind, gain);
    QFETCH(int, threshold);
    QFETCH(int, maxGrade);
    const RandomProject project = randomProject(seed, maxGrade);
    MetricSettings s = settingsOf(gain, threshold, maxGrade);

    static int run = 0;
    const QString dir = testsupport::scratchDir(QStringLiteral("trec-oracle-%1").arg(++run));
    const std::filesystem::path qrelsFile = (dir + QStringLiteral("/qrels.txt")).toStdString();
    writeQrelsFile(qrelsFile, qrelsOf(project, gain == GainKind::Exponential));
    const QByteArray qrelsText = testsupport::readFileBytes(QString::fromStdString(qrelsFile.string()));

    int evaluated = 0, shortLists = 0, nothingRelevant = 0;
    for (std::size_t model = 0; model < project.lists.size(); ++model) {
        const std::filesystem::path runFile = (dir + QStringLiteral("/run%1.txt").arg(model)).toStdString();
        writeRunFile(runFile, runOf(project, model));
        const trec::Evaluation oracle = trec::evaluate(
            qrelsText, testsupport::readFileBytes(QString::fromStdString(runFile.string())), threshold);
        const ModelMetrics ours = evaluateModel(project.lists[model], project.judgments, s);

        QCOMPARE(ours.perQuery.size(), oracle.perQuery.size()); // the same queries enter the mean
        for (const auto &[query, m] : ours.perQuery) {
            const std::string qid = project.catalogId.at(query);
            QVERIFY2(oracle.perQuery.count(qid), qid.c_str());
            const trec::Measures &t = oracle.perQuery.at(qid);
            VERIFY_CLOSE(m.ndcg5, t.ndcg5, "ndcg_cut_5");
            VERIFY_CLOSE(m.ndcg10, t.ndcg10, "ndcg_cut_10");
            VERIFY_CLOSE(m.precision1, t.p1, "P_1");
            VERIFY_CLOSE(m.precision5, t.p5, "P_5");
            VERIFY_CLOSE(m.reciprocalRank, t.recipRank, "recip_rank");
            ++evaluated;
            shortLists += project.lists[model].at(query).size() < 5;
            const QueryJudgments &g = project.judgments.at(query);
            nothingRelevant += std::all_of(g.begin(), g.end(), [](const auto &kv) { return kv.second == 0; });
        }
        VERIFY_CLOSE(ours.mean.ndcg5, oracle.mean.ndcg5, "mean ndcg_cut_5");
        VERIFY_CLOSE(ours.mean.ndcg10, oracle.mean.ndcg10, "mean ndcg_cut_10");
        VERIFY_CLOSE(ours.mean.precision1, oracle.mean.p1, "mean P_1");
        VERIFY_CLOSE(ours.mean.precision5, oracle.mean.p5, "mean P_5");
        VERIFY_CLOSE(ours.mean.reciprocalRank, oracle.mean.recipRank, "mean recip_rank");
    }
    // The random projects do hold the cases that matter.
    QVERIFY2(evaluated > 300, qPrintable(QString::number(evaluated)));
    QVERIFY(shortLists > 20);
    QVERIFY(nothingRelevant > 5);
}

void TestRankingMetrics::runExportKeepsLookalikeOrderForTiedScores()
{
    const RandomProject project = randomProject(3, 3);
    int tiedQueries = 0, reorderedByRealScores = 0;
    for (std::size_t model = 0; model < project.lists.size(); ++model) {
        // The exported run: trec_eval's sort gives back Lookalike's rank order, every time.
        const QByteArray runText = QByteArray::fromStdString(formatRun(runOf(project, model)));
        const auto ranked_ = trec::readRun(runText);
        // The same lists with the real (tied) cosines in the score column.
        QByteArray rawText;
        for (const auto &[query, list] : project.lists[model])
            for (std::size_t i = 0; i < list.size(); ++i)
                rawText += QByteArray::fromStdString(project.catalogId.at(query) + " Q0 "
                               + project.catalogId.at(list[i]) + ' ' + std::to_string(i + 1) + ' ')
                    + QByteArray::number(project.cosines[model].at(query)[i], 'g', 17) + " raw\n";
        const auto raw = trec::readRun(rawText);
        for (const auto &[query, list] : project.lists[model]) {
            if (list.empty())
                continue;
            std::vector<std::string> expected;
            for (std::int64_t candidate : list)
                expected.push_back(project.catalogId.at(candidate));
            const std::string qid = project.catalogId.at(query);
            const trec::ResRels exported = trec::formResRels(ranked_.at(qid), {{"none", 0}});
            QCOMPARE(exported.ranking, expected);
            const std::vector<double> &cos = project.cosines[model].at(query);
            tiedQueries += std::adjacent_find(cos.begin(), cos.end()) != cos.end();
            reorderedByRealScores += trec::formResRels(raw.at(qid), {{"none", 0}}).ranking != expected;
        }
    }
    // Ties are common, and with the cosines as scores trec_eval would rank many of them otherwise.
    QVERIFY2(tiedQueries > 100, qPrintable(QString::number(tiedQueries)));
    QVERIFY2(reorderedByRealScores > 50, qPrintable(QString::number(reorderedByRealScores)));
}

QTEST_GUILESS_MAIN(TestRankingMetrics)
#include "tst_rankingmetrics.moc"
