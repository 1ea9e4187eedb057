// deltaBounds and candidateValues (see PairDelta.h for the arithmetic and why it is never wrong).
#include "core/metrics/PairDelta.h"

#include "core/Error.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <set>

namespace lookalike {

namespace {

constexpr std::size_t kCutoff = 5; // nDCG@5

double gainOf(int grade, GainKind kind)
{
    return kind == GainKind::Linear ? static_cast<double>(grade) : std::ldexp(1.0, grade) - 1.0;
}

// trec_eval's discount of 0-based rank i: 1 / log2(i + 2). The cut's five are kept in a table
// (the same expression, so the same bits): the moments ask for them millions of times.
double discount(std::size_t i)
{
    static const std::array<double, kCutoff> table = [] {
        std::array<double, kCutoff> t{};
        for (std::size_t r = 0; r < kCutoff; ++r)
            t[r] = 1.0 / std::log2(static_cast<double>(r) + 2.0);
        return t;
    }();
    return i < kCutoff ? table[i] : 1.0 / std::log2(static_cast<double>(i) + 2.0);
}

double idealDcg(std::vector<double> gains)
{
    const std::size_t n = std::min(kCutoff, gains.size());
    std::partial_sort(gains.begin(), gains.begin() + static_cast<std::ptrdiff_t>(n), gains.end(), std::greater<>());
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += gains[i] * discount(i);
    return sum;
}

// The grade of `c` as the bounds see it: known, or the one being tried, or none.
struct GradeLookup {
    const QueryJudgments &grades;
    std::int64_t tried = -1;
    int triedGrade = 0;
    std::optional<int> operator()(std::int64_t c) const
    {
        if (c == tried)
            return triedGrade;
        const auto it = grades.find(c);
        return it == grades.end() ? std::nullopt : std::optional<int>(it->second);
    }
};

double discountIn(const RankedList &list, std::int64_t c)
{
    for (std::size_t i = 0; i < list.size() && i < kCutoff; ++i)
        if (list[i] == c)
            return discount(i);
    return 0.0;
}

// The candidates the bounds read: the pool, both top 5s and every graded candidate.
std::vector<std::int64_t> candidatesOf(const PairDeltaInput &in)
{
    std::set<std::int64_t> all(in.pool->begin(), in.pool->end());
    for (const RankedList *list : {in.a, in.b})
        for (std::size_t i = 0; i < list->size() && i < kCutoff; ++i)
            all.insert((*list)[i]);
    for (const auto &kv : *in.grades)
        all.insert(kv.first);
    return {all.begin(), all.end()};
}

// `tight`: also intersect with each version's own nDCG bounds (candidateValues measures on the
// rectangle alone; see PairDelta.h).
DeltaBounds ndcgBounds(const PairDeltaInput &in, const std::vector<std::int64_t> &candidates, const GradeLookup &grade,
                       const MetricSettings &s, bool tight)
{
    const double gLow = gainOf(s.lowestGrade, s.gain), gHigh = gainOf(s.highestGrade, s.gain);
    double nLow = 0, nHigh = 0;
    double aLow = 0, aHigh = 0, bLow = 0, bHigh = 0; // each version's DCG
    std::vector<double> low, high; // every pooled gain, the unknown ones lowest / highest
    low.reserve(candidates.size());
    high.reserve(candidates.size());
    for (std::int64_t c : candidates) {
        const double da = discountIn(*in.a, c), db = discountIn(*in.b, c), w = db - da;
        // The gain's range: one value when graded, the scale's ends when not.
        const std::optional<int> g = grade(c);
        const double lo = g ? gainOf(*g, s.gain) : gLow, hi = g ? lo : gHigh;
        nLow += std::min(w * lo, w * hi);
        nHigh += std::max(w * lo, w * hi);
        aLow += da * lo;
        aHigh += da * hi;
        bLow += db * lo;
        bHigh += db * hi;
        low.push_back(lo);
        high.push_back(hi);
    }
    const double iLow = idealDcg(std::move(low)), iHigh = idealDcg(std::move(high));
    if (iHigh <= 0)
        return {0.0, 0.0}; // no candidate can be relevant: both nDCGs are 0
    const double smallestPositive = gainOf(std::max(1, s.lowestGrade), s.gain);
    const double iPos = std::max(iLow, smallestPositive);
    DeltaBounds b{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    for (double n : {nLow, nHigh})
        for (double i : {iPos, iHigh}) {
            b.low = std::min(b.low, n / i);
            b.high = std::max(b.high, n / i);
        }
    if (iLow <= 0) { // every gain may still be 0: then both are 0
        b.low = std::min(b.low, 0.0);
        b.high = std::max(b.high, 0.0);
    }
    // Each nDCG on its own is within [DCG_lo / I_hi, min(1, DCG_hi / I_pos)] (a DCG never exceeds
    // the ideal one): the difference is also within those, which is tighter while the ideal DCG
    // is wide open, since N_hi and I_lo cannot happen together.
    if (!tight)
        return b;
    const double aMin = aLow / iHigh, aMax = std::min(1.0, aHigh / iPos);
    const double bMin = bLow / iHigh, bMax = std::min(1.0, bHigh / iPos);
    b.low = std::max(b.low, bMin - aMax);
    b.high = std::min(b.high, bMax - aMin);
    return b;
}

DeltaBounds precisionBounds(const PairDeltaInput &in, const GradeLookup &grade, const MetricSettings &s)
{
    // Relevant at 1: [lowest possible, highest possible] as 0/1.
    auto relevance = [&](const RankedList &list) -> std::pair<int, int> {
        if (list.empty())
            return {0, 0};
        if (const std::optional<int> g = grade(list.front()))
            return {*g >= s.relevanceThreshold, *g >= s.relevanceThreshold};
        return {s.lowestGrade >= s.relevanceThreshold, s.highestGrade >= s.relevanceThreshold};
    };
    if (!in.a->empty() && !in.b->empty() && in.a->front() == in.b->front())
        return {0.0, 0.0};
    const auto [aLow, aHigh] = relevance(*in.a);
    const auto [bLow, bHigh] = relevance(*in.b);
    return {static_cast<double>(bLow - aHigh), static_cast<double>(bHigh - aLow)};
}

// splitmix64: a small generator whose numbers are the same on every machine.
struct SplitMix {
    std::uint64_t state;
    double uniform()
    {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * 0x1.0p-53;
    }
};

// nDCG@5's difference as a random variable (see PairDelta.h). N = DCG(B) - DCG(A) is linear in
// the gains; the ideal DCG depends only on how many pooled candidates have each grade, so a
// grading is kept as those counts and "candidate u graded g instead" swaps one count.
DeltaMoments ndcgMoments(const PairDeltaInput &in, const GradeModel &model, std::uint64_t seed, std::size_t draws)
{
    const MetricSettings &s = model.settings();
    const auto levels = static_cast<std::size_t>(model.levels());
    std::vector<double> gain(levels);
    for (std::size_t l = 0; l < levels; ++l)
        gain[l] = gainOf(s.lowestGrade + static_cast<int>(l), s.gain);
    struct Unknown {
        std::int64_t id;
        double w; // its discount in B minus in A: how much its gain moves N
        const std::vector<double> *odds, *cumulative;
    };
    std::vector<Unknown> unknown;
    double n0 = 0;
    std::vector<int> counts0(levels, 0);
    for (std::int64_t c : candidatesOf(in)) {
        const double w = discountIn(*in.b, c) - discountIn(*in.a, c);
        const auto known = in.grades->find(c);
        if (known != in.grades->end()) {
            const auto l = static_cast<std::size_t>(std::clamp(known->second - s.lowestGrade, 0, static_cast<int>(levels) - 1));
            n0 += w * gain[l];
            ++counts0[l];
            continue;
        }
        const int position = GradeModel::positionOf(bestRank(in, c));
        unknown.push_back({c, w, &model.odds(position), &model.cumulative(position)});
    }
    // The ideal DCG of a pool with these counts: the highest grades first, positive gains only.
    auto ideal = [&](const std::vector<int> &counts) {
        double sum = 0;
        std::size_t slot = 0;
        for (std::size_t l = levels; l-- > 0 && slot < kCutoff;)
            for (int k = 0; k < counts[l] && slot < kCutoff; ++k, ++slot)
                if (gain[l] > 0)
                    sum += gain[l] * discount(slot);
        return sum;
    };
    auto ratio = [](double n, double i) { return i > 0 ? n / i : 0.0; };

    // Exact while every grading can be weighed, else `draws` drawn ones.
    double gradings = 1;
    for (std::size_t u = 0; u < unknown.size() && gradings <= static_cast<double>(kExactGradings); ++u)
        gradings *= static_cast<double>(levels);
    const bool exact = gradings <= static_cast<double>(kExactGradings);
    const std::size_t rounds = exact ? static_cast<std::size_t>(gradings) : std::max<std::size_t>(draws, 1);
    SplitMix rng{seed};
    std::vector<std::size_t> g(unknown.size());
    std::vector<int> counts(levels);
    std::vector<double> swapped(levels * levels); // the ideal DCG with one grade r turned into grade t
    std::vector<double> conditional(unknown.size() * levels, 0.0); // sum of weight x difference, u graded t
    double sum = 0, squares = 0, total = 0;
    for (std::size_t round = 0; round < rounds; ++round) {
        double weight = exact ? 1.0 : 1.0 / static_cast<double>(rounds);
        std::size_t code = round;
        for (std::size_t u = 0; u < unknown.size(); ++u) {
            if (exact) {
                g[u] = code % levels;
                code /= levels;
                weight *= (*unknown[u].odds)[g[u]];
            } else {
                const std::vector<double> &cumulative = *unknown[u].cumulative;
                const double x = rng.uniform() * cumulative.back();
                g[u] = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end() - 1, x) - cumulative.begin());
            }
        }
        double n = n0;
        counts = counts0;
        for (std::size_t u = 0; u < unknown.size(); ++u) {
            n += unknown[u].w * gain[g[u]];
            ++counts[g[u]];
        }
        const double d = ratio(n, ideal(counts));
        sum += weight * d;
        squares += weight * d * d;
        total += weight;
        for (std::size_t r = 0; r < levels; ++r) {
            if (counts[r] == 0)
                continue;
            for (std::size_t t = 0; t < levels; ++t) {
                --counts[r];
                ++counts[t];
                swapped[r * levels + t] = ideal(counts);
                --counts[t];
                ++counts[r];
            }
        }
        for (std::size_t u = 0; u < unknown.size(); ++u)
            for (std::size_t t = 0; t < levels; ++t)
                conditional[u * levels + t] +=
                    weight * ratio(n + unknown[u].w * (gain[t] - gain[g[u]]), swapped[g[u] * levels + t]);
    }
    DeltaMoments m;
    m.mean = sum / total;
    m.variance = std::max(0.0, squares / total - m.mean * m.mean);
    for (std::size_t u = 0; u < unknown.size(); ++u) {
        double centre = 0, spread = 0;
        for (std::size_t t = 0; t < levels; ++t)
            centre += (*unknown[u].odds)[t] * conditional[u * levels + t] / total;
        for (std::size_t t = 0; t < levels; ++t) {
            const double e = conditional[u * levels + t] / total - centre;
            spread += (*unknown[u].odds)[t] * e * e;
        }
        if (spread > 1e-18)
            m.values.push_back({unknown[u].id, spread});
    }
    sortCandidateValues(m.values, in);
    return m;
}

// P@1's difference: relevant(B's first) - relevant(A's first), each unjudged first candidate
// relevant with the model's odds at rank 0, independently; exact.
DeltaMoments precisionMoments(const PairDeltaInput &in, const GradeModel &model)
{
    const MetricSettings &s = model.settings();
    DeltaMoments m;
    if (!in.a->empty() && !in.b->empty() && in.a->front() == in.b->front())
        return m;
    const std::vector<double> &odds = model.odds(GradeModel::positionOf(0));
    double unknownRelevant = 0;
    for (std::size_t l = 0; l < odds.size(); ++l)
        if (s.lowestGrade + static_cast<int>(l) >= s.relevanceThreshold)
            unknownRelevant += odds[l];
    for (const auto &[list, sign] : {std::pair{in.a, -1.0}, std::pair{in.b, 1.0}}) {
        if (list->empty())
            continue;
        const auto known = in.grades->find(list->front());
        const double p = known != in.grades->end() ? (known->second >= s.relevanceThreshold ? 1.0 : 0.0) : unknownRelevant;
        m.mean += sign * p;
        m.variance += p * (1 - p);
        if (known == in.grades->end() && p * (1 - p) > 0)
            m.values.push_back({list->front(), p * (1 - p)});
    }
    sortCandidateValues(m.values, in);
    return m;
}

DeltaBounds boundsWith(const PairDeltaInput &in, const std::vector<std::int64_t> &candidates, const GradeLookup &grade,
                       Metric metric, const MetricSettings &s, bool tight = true)
{
    switch (metric) {
    case Metric::Ndcg5:
        return ndcgBounds(in, candidates, grade, s, tight);
    case Metric::Precision1:
        return precisionBounds(in, grade, s);
    default:
        requirePlannerMetric(metric);
        return {};
    }
}

} // namespace

void sortCandidateValues(std::vector<CandidateValue> &values, const PairDeltaInput &in)
{
    auto position = [&](std::int64_t c) {
        const int r = bestRank(in, c);
        return r < 0 ? std::numeric_limits<int>::max() : r;
    };
    std::stable_sort(values.begin(), values.end(), [&](const CandidateValue &x, const CandidateValue &y) {
        if (x.value != y.value)
            return x.value > y.value;
        const int px = position(x.candidate), py = position(y.candidate);
        return px != py ? px < py : x.candidate < y.candidate;
    });
}

void requirePlannerMetric(Metric metric)
{
    if (metric != Metric::Ndcg5 && metric != Metric::Precision1)
        throw Error(ErrorCode::InvalidArgument, {},
                    std::string("the judging planner works on nDCG@5 or P@1, not ") + metricName(metric));
}

int bestRank(const PairDeltaInput &in, std::int64_t c)
{
    int best = -1;
    for (const RankedList *list : {in.a, in.b})
        for (std::size_t i = 0; i < list->size(); ++i)
            if ((*list)[i] == c && (best < 0 || static_cast<int>(i) < best))
                best = static_cast<int>(i);
    return best;
}

DeltaBounds deltaBounds(const PairDeltaInput &in, Metric metric, const MetricSettings &settings)
{
    return boundsWith(in, metric == Metric::Ndcg5 ? candidatesOf(in) : std::vector<std::int64_t>{},
                      GradeLookup{*in.grades}, metric, settings);
}

std::vector<CandidateValue> candidateValues(const PairDeltaInput &in, Metric metric, const MetricSettings &settings)
{
    std::vector<std::int64_t> unknown;
    std::vector<std::int64_t> candidates;
    if (metric == Metric::Ndcg5) {
        candidates = candidatesOf(in);
        for (std::int64_t c : candidates)
            if (!in.grades->count(c))
                unknown.push_back(c);
    } else {
        for (const RankedList *list : {in.a, in.b})
            if (!list->empty() && !in.grades->count(list->front())
                && std::find(unknown.begin(), unknown.end(), list->front()) == unknown.end())
                unknown.push_back(list->front());
    }
    const DeltaBounds now = boundsWith(in, candidates, GradeLookup{*in.grades}, metric, settings, false);
    std::vector<CandidateValue> out;
    const std::pair<int, double> odds[] = {{settings.lowestGrade, 0.5}, {settings.highestGrade, 0.5}};
    for (std::int64_t c : unknown) {
        double value = 0;
        for (const auto &[g, weight] : odds) {
            const DeltaBounds then = boundsWith(in, candidates, GradeLookup{*in.grades, c, g}, metric, settings, false);
            value += weight * (now.width() - then.width());
        }
        if (value > 1e-12)
            out.push_back({c, value});
    }
    sortCandidateValues(out, in);
    return out;
}

DeltaMoments deltaMoments(const PairDeltaInput &in, Metric metric, const GradeModel &model, std::uint64_t seed,
                          std::size_t draws)
{
    switch (metric) {
    case Metric::Ndcg5:
        return ndcgMoments(in, model, seed, draws);
    case Metric::Precision1:
        return precisionMoments(in, model);
    default:
        requirePlannerMetric(metric);
        return {};
    }
}

} // namespace lookalike
