// Ranking metrics with trec_eval's conventions (see RankingMetrics.h for the references).
#include "core/metrics/RankingMetrics.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>

namespace lookalike {

namespace {

constexpr int Unjudged = -1; // trec_eval's RELVALUE_NONPOOL: never relevant, no gain

// Beyond this many placements per range, the exact search would take seconds per query: the
// cutoffs Lookalike reports (5, 10) stay below a thousand.
constexpr double MaxRangeCases = 2e6;

[[noreturn]] void invalid(const std::string &problem)
{
    throw Error(ErrorCode::InvalidArgument, std::string(), problem);
}

void checkK(int k)
{
    if (k < 1)
        invalid("the cutoff k must be at least 1 (got " + std::to_string(k) + ")");
}

void checkSettings(const MetricSettings &s)
{
    if (s.relevanceThreshold < 1)
        invalid("the relevance threshold must be at least 1 (got " + std::to_string(s.relevanceThreshold) + ")");
    if (s.lowestGrade < 0 || s.highestGrade < s.lowestGrade)
        invalid("the grade scale " + std::to_string(s.lowestGrade) + ".." + std::to_string(s.highestGrade)
            + " is not a range of grades >= 0");
}

// The grade of each listed candidate, in rank order (Unjudged if none), and the grades of the
// whole pool. Checks the inputs every metric relies on.
struct Graded {
    std::vector<int> listed;
    std::vector<int> pool;
};

Graded gradesOf(const RankedList &list, const QueryJudgments &judgments)
{
    Graded g;
    g.pool.reserve(judgments.size());
    for (const auto &[candidate, grade] : judgments) {
        if (grade < 0)
            invalid("candidate " + std::to_string(candidate) + " has a negative grade (" + std::to_string(grade) + ")");
        g.pool.push_back(grade);
    }
    // trec_eval refuses a run that lists a document twice (te_form_res_rels: "duplicate docs").
    std::set<std::int64_t> seen;
    g.listed.reserve(list.size());
    for (std::int64_t candidate : list) {
        if (!seen.insert(candidate).second)
            invalid("candidate " + std::to_string(candidate) + " is listed twice in one result list");
        const auto it = judgments.find(candidate);
        g.listed.push_back(it == judgments.end() ? Unjudged : it->second);
    }
    return g;
}

double gainOf(int grade, GainKind kind)
{
    // Exact in double for every grade below 1024; 2^g - 1 is 0 for grade 0 like the linear gain.
    return kind == GainKind::Linear ? static_cast<double>(grade) : std::ldexp(1.0, grade) - 1.0;
}

// te_calc_ndcg_cut (m_ndcg_cut.c), term for term and in the same order so that the doubles are
// bit-identical: `sum += gain / log2((double) (i + 2))` for the 0-based index i, only for
// positive grades; the ideal from the pool's grades in descending order, stopping at the first
// grade 0 or at k; no division when the ideal DCG is 0. (trec_eval 9.0alpha did not discount
// ranks 1 and 2; every release since divides by log2(rank + 1).) `pool` is sorted here.
double ndcgOf(const std::vector<int> &listed, std::vector<int> &pool, int k, GainKind kind)
{
    const std::size_t cut = static_cast<std::size_t>(k);
    double dcg = 0.0;
    for (std::size_t i = 0; i < listed.size() && i < cut; ++i)
        if (listed[i] > 0)
            dcg += gainOf(listed[i], kind) / std::log2(static_cast<double>(i + 2));
    std::sort(pool.begin(), pool.end(), std::greater<int>());
    double ideal = 0.0;
    for (std::size_t i = 0; i < pool.size() && i < cut && pool[i] > 0; ++i)
        ideal += gainOf(pool[i], kind) / std::log2(static_cast<double>(i + 2));
    return ideal > 0.0 ? dcg / ideal : dcg;
}

// te_calc_P (m_P.c): relevant in the top min(k, n), over k.
double precisionOf(const std::vector<int> &listed, int k, int threshold)
{
    long relevant = 0;
    for (std::size_t i = 0; i < listed.size() && i < static_cast<std::size_t>(k); ++i)
        if (listed[i] >= threshold) // Unjudged (-1) never is: threshold >= 1
            ++relevant;
    return static_cast<double>(relevant) / static_cast<double>(k);
}

// te_calc_recip_rank (m_recip_rank.c): over the whole list, no cutoff.
double reciprocalRankOf(const std::vector<int> &listed, int threshold)
{
    for (std::size_t i = 0; i < listed.size(); ++i)
        if (listed[i] >= threshold)
            return 1.0 / static_cast<double>(i + 1);
    return 0.0;
}

// Calls `visit` with every non-increasing sequence of `length` grades from [lowest, highest]:
// each multiset of grades once.
void forEachMultiset(int length, int lowest, int highest, const std::function<void(const std::vector<int> &)> &visit)
{
    std::vector<int> grades(static_cast<std::size_t>(length), highest);
    std::function<void(int, int)> fill = [&](int position, int ceiling) {
        if (position == length) {
            visit(grades);
            return;
        }
        for (int g = ceiling; g >= lowest; --g) {
            grades[static_cast<std::size_t>(position)] = g;
            fill(position + 1, g);
        }
    };
    fill(0, highest);
}

double binomial(int n, int r)
{
    double c = 1.0;
    for (int i = 1; i <= r; ++i)
        c = c * (n - r + i) / i;
    return c;
}

} // namespace

double ndcgAtK(const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings)
{
    checkK(k);
    checkSettings(settings);
    Graded g = gradesOf(list, judgments);
    return ndcgOf(g.listed, g.pool, k, settings.gain);
}

double precisionAtK(const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings)
{
    checkK(k);
    checkSettings(settings);
    return precisionOf(gradesOf(list, judgments).listed, k, settings.relevanceThreshold);
}

double reciprocalRank(const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings)
{
    checkSettings(settings);
    return reciprocalRankOf(gradesOf(list, judgments).listed, settings.relevanceThreshold);
}

double judgedAtK(const RankedList &list, const QueryJudgments &judgments, int k)
{
    checkK(k);
    const std::vector<int> listed = gradesOf(list, judgments).listed;
    long unjudged = 0;
    for (std::size_t i = 0; i < listed.size() && i < static_cast<std::size_t>(k); ++i)
        if (listed[i] == Unjudged)
            ++unjudged;
    // 1 - te_calc_unj's unjudged / k.
    return 1.0 - static_cast<double>(unjudged) / static_cast<double>(k);
}

MetricRange ndcgRangeAtK(const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings)
{
    checkK(k);
    checkSettings(settings);
    const Graded g = gradesOf(list, judgments);
    std::vector<std::size_t> open; // unjudged positions in the top k, best rank first
    for (std::size_t i = 0; i < g.listed.size() && i < static_cast<std::size_t>(k); ++i)
        if (g.listed[i] == Unjudged)
            open.push_back(i);
    std::vector<int> pool = g.pool;
    const double current = ndcgOf(g.listed, pool, k, settings.gain);
    if (open.empty())
        return {current, current};

    const int u = static_cast<int>(open.size());
    const int levels = settings.highestGrade - settings.lowestGrade + 1;
    if (binomial(u + levels - 1, levels - 1) > MaxRangeCases)
        invalid("the nDCG range at " + std::to_string(k) + " would need too many cases (" + std::to_string(u)
            + " unjudged candidates, " + std::to_string(levels) + " grades)");

    MetricRange range{1.0, 0.0};
    std::vector<int> listed = g.listed;
    std::vector<int> trialPool;
    // For one multiset of new grades the pool (hence the ideal DCG) is fixed, and the DCG is
    // largest with the highest new grades at the best ranks and smallest the other way round.
    auto evaluate = [&](const std::vector<int> &grades, bool descending) {
        for (int j = 0; j < u; ++j)
            listed[open[static_cast<std::size_t>(j)]] = grades[static_cast<std::size_t>(descending ? j : u - 1 - j)];
        trialPool = g.pool;
        trialPool.insert(trialPool.end(), grades.begin(), grades.end());
        return ndcgOf(listed, trialPool, k, settings.gain);
    };
    forEachMultiset(u, settings.lowestGrade, settings.highestGrade, [&](const std::vector<int> &grades) {
        range.high = std::max(range.high, evaluate(grades, true));
        range.low = std::min(range.low, evaluate(grades, false));
    });
    return range;
}

MetricRange precisionRangeAtK(
    const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings)
{
    checkK(k);
    checkSettings(settings);
    // P@k counts candidates one by one, so each extreme is every unjudged candidate graded
    // lowest, or highest.
    std::vector<int> lowest = gradesOf(list, judgments).listed;
    std::vector<int> highest = lowest;
    for (std::size_t i = 0; i < lowest.size(); ++i)
        if (lowest[i] == Unjudged) {
            lowest[i] = settings.lowestGrade;
            highest[i] = settings.highestGrade;
        }
    return {precisionOf(lowest, k, settings.relevanceThreshold), precisionOf(highest, k, settings.relevanceThreshold)};
}

MetricRange reciprocalRankRange(const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings)
{
    checkSettings(settings);
    // The first relevant rank can only move up when an unjudged candidate turns relevant: the
    // extremes are again all lowest and all highest.
    std::vector<int> lowest = gradesOf(list, judgments).listed;
    std::vector<int> highest = lowest;
    for (std::size_t i = 0; i < lowest.size(); ++i)
        if (lowest[i] == Unjudged) {
            lowest[i] = settings.lowestGrade;
            highest[i] = settings.highestGrade;
        }
    return {
        reciprocalRankOf(lowest, settings.relevanceThreshold), reciprocalRankOf(highest, settings.relevanceThreshold)};
}

QueryMetrics queryMetrics(const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings)
{
    QueryMetrics m;
    m.ndcg5 = ndcgAtK(list, judgments, 5, settings);
    m.precision1 = precisionAtK(list, judgments, 1, settings);
    m.ndcg10 = ndcgAtK(list, judgments, 10, settings);
    m.precision5 = precisionAtK(list, judgments, 5, settings);
    m.reciprocalRank = reciprocalRank(list, judgments, settings);
    m.judged5 = judgedAtK(list, judgments, 5);
    m.ndcg5Range = ndcgRangeAtK(list, judgments, 5, settings);
    m.precision1Range = precisionRangeAtK(list, judgments, 1, settings);
    m.ndcg10Range = ndcgRangeAtK(list, judgments, 10, settings);
    m.precision5Range = precisionRangeAtK(list, judgments, 5, settings);
    m.reciprocalRankRange = reciprocalRankRange(list, judgments, settings);
    return m;
}

bool entersMean(const RankedList &list, const QueryJudgments &judgments)
{
    // trec_eval.c main evaluates the qrels queries that have results; an empty frozen list
    // writes no run line, so trec_eval never sees that query.
    return !list.empty() && !judgments.empty();
}

namespace {

// One summation for both containers, so a mean over a map equals, bit for bit, the mean over a
// vector holding the same values in the same order.
template <typename Values, typename Get> QueryMetrics meanOf(const Values &perQuery, Get get)
{
    QueryMetrics sum;
    if (perQuery.empty())
        return sum;
    auto add = [](MetricRange &a, const MetricRange &b) {
        a.low += b.low;
        a.high += b.high;
    };
    for (const auto &value : perQuery) {
        const QueryMetrics &q = get(value);
        sum.ndcg5 += q.ndcg5;
        sum.precision1 += q.precision1;
        sum.ndcg10 += q.ndcg10;
        sum.precision5 += q.precision5;
        sum.reciprocalRank += q.reciprocalRank;
        sum.judged5 += q.judged5;
        add(sum.ndcg5Range, q.ndcg5Range);
        add(sum.precision1Range, q.precision1Range);
        add(sum.ndcg10Range, q.ndcg10Range);
        add(sum.precision5Range, q.precision5Range);
        add(sum.reciprocalRankRange, q.reciprocalRankRange);
    }
    const double n = static_cast<double>(perQuery.size());
    auto divide = [n](MetricRange &r) {
        r.low /= n;
        r.high /= n;
    };
    sum.ndcg5 /= n;
    sum.precision1 /= n;
    sum.ndcg10 /= n;
    sum.precision5 /= n;
    sum.reciprocalRank /= n;
    sum.judged5 /= n;
    divide(sum.ndcg5Range);
    divide(sum.precision1Range);
    divide(sum.ndcg10Range);
    divide(sum.precision5Range);
    divide(sum.reciprocalRankRange);
    return sum;
}

} // namespace

QueryMetrics meanMetrics(const std::vector<QueryMetrics> &perQuery)
{
    return meanOf(perQuery, [](const QueryMetrics &q) -> const QueryMetrics & { return q; });
}

QueryMetrics meanMetricsByQuery(const std::map<std::int64_t, QueryMetrics> &perQuery)
{
    return meanOf(perQuery, [](const auto &kv) -> const QueryMetrics & { return kv.second; });
}

ModelMetrics evaluateModel(const std::map<std::int64_t, RankedList> &lists,
    const std::map<std::int64_t, QueryJudgments> &judgments, const MetricSettings &settings)
{
    static const RankedList noList;
    static const QueryJudgments noJudgments;
    std::set<std::int64_t> queries;
    for (const auto &kv : lists)
        queries.insert(kv.first);
    for (const auto &kv : judgments)
        queries.insert(kv.first);

    ModelMetrics out;
    std::vector<QueryMetrics> entering;
    for (std::int64_t query : queries) {
        const auto l = lists.find(query);
        const auto j = judgments.find(query);
        const RankedList &list = l == lists.end() ? noList : l->second;
        const QueryJudgments &grades = j == judgments.end() ? noJudgments : j->second;
        if (list.empty()) {
            if (!grades.empty())
                ++out.queriesWithoutList;
            continue;
        }
        if (grades.empty()) {
            ++out.queriesWithoutJudgment;
            continue;
        }
        const QueryMetrics m = queryMetrics(list, grades, settings);
        out.perQuery.emplace(query, m);
        entering.push_back(m);
    }
    out.mean = meanMetrics(entering);
    return out;
}

} // namespace lookalike
