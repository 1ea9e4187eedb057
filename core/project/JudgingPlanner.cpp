// JudgingPlanner (see JudgingPlanner.h).
#include "core/project/JudgingPlanner.h"

#include "core/Error.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/FrozenLists.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/util/OnThreads.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>
#include <cstdio>
#include <limits>

namespace lookalike {

namespace {

constexpr double kZ95 = 1.959963984540054;
// A pair's bounds narrowing, added to its variance at this weight: it only orders pairs of equal
// variance and keeps in the plan a pair that can move the bounds but (nearly) not the mean.
constexpr double kBoundsWeight = 1e-9;

std::string thousands(std::size_t n)
{
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string signedText(double v)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%+.4f", v);
    return buffer;
}

} // namespace

const char *planVerdictName(PlanVerdict verdict)
{
    switch (verdict) {
    case PlanVerdict::Open:
        return "open";
    case PlanVerdict::Settled:
        return "settled";
    case PlanVerdict::Significant:
        return "significant";
    }
    return "?";
}

JudgingPlanner::JudgingPlanner(Project &project, const std::string &versionA, const std::string &versionB, Metric metric)
    : m_project(&project)
    , m_a(requireModelVersion(project, versionA))
    , m_b(requireModelVersion(project, versionB))
    , m_metric(metric)
{
    requirePlannerMetric(metric);
    if (m_a.id == m_b.id)
        throw Error(ErrorCode::InvalidArgument, {}, "the planner compares two different versions, not '" + versionA + "' with itself");
    JudgmentStore store(project);
    m_settings = metricSettingsFor(store.gradeScale());
    m_model = GradeModel(m_settings);
    // Every version's lists make the pool (the ideal DCG reads it); A's and B's are compared.
    std::map<std::int64_t, PlanQuery> queries;
    std::map<std::int64_t, std::set<std::int64_t>> pools;
    forEachFrozenEntry(project, [&](std::int64_t model, std::int64_t query, std::int64_t candidate) {
        pools[query].insert(candidate);
        if (model == m_a.id)
            queries[query].a.push_back(candidate);
        else if (model == m_b.id)
            queries[query].b.push_back(candidate);
    });
    for (const auto &[pair, grade] : store.resolvedGrades()) {
        const auto it = queries.find(pair.first);
        if (it != queries.end())
            it->second.grades[pair.second] = grade;
    }
    for (auto &[query, q] : queries) {
        if (q.a.empty() || q.b.empty())
            continue; // the comparison holds the queries both versions evaluate
        q.pool.assign(pools[query].begin(), pools[query].end());
        m_queries[query].in = std::move(q);
    }
    start();
}

JudgingPlanner::JudgingPlanner(std::map<std::int64_t, PlanQuery> queries, const MetricSettings &settings, Metric metric)
    : m_metric(metric)
    , m_settings(settings)
    , m_model(settings)
{
    requirePlannerMetric(metric);
    for (auto &[query, q] : queries)
        if (!q.a.empty() && !q.b.empty())
            m_queries[query].in = std::move(q);
    start();
}

void JudgingPlanner::start()
{
    for (const auto &[query, s] : m_queries)
        learn(s, +1);
    // Every query at once on every core (10,000 queries take about a second on one), then
    // into the plan in order.
    std::vector<std::pair<std::int64_t, State *>> all;
    for (auto &[query, s] : m_queries)
        all.emplace_back(query, &s);
    std::atomic<std::size_t> nextQuery{0};
    const auto threads = static_cast<int>(std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), 1 + all.size() / 256));
    onThreads(threads, [&](const std::atomic<bool> &failed) {
        for (std::size_t i; !failed && (i = nextQuery.fetch_add(1)) < all.size();)
            evaluate(all[i].first, *all[i].second, true);
    });
    for (const auto &[query, s] : all)
        enter(query, *s);
    m_cursor = m_queries.empty() ? 0 : m_queries.begin()->first;
}

void JudgingPlanner::learn(const State &s, int sign)
{
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    for (const auto &[candidate, grade] : s.in.grades) {
        const int position = GradeModel::positionOf(bestRank(in, candidate));
        if (sign > 0)
            m_model.add(position, grade);
        else
            m_model.remove(position, grade);
    }
}

void JudgingPlanner::evaluate(std::int64_t query, State &s, bool whole) const
{
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    if (whole) {
        s.bounds = deltaBounds(in, m_metric, m_settings);
        s.narrowing = candidateValues(in, m_metric, m_settings);
        std::set<std::int64_t> pairs(s.in.pool.begin(), s.in.pool.end());
        for (const RankedList *list : {&s.in.a, &s.in.b})
            pairs.insert(list->begin(), list->end());
        s.pairs = pairs.size();
        s.judged = 0;
        for (std::int64_t c : pairs)
            s.judged += s.in.grades.count(c);
    }
    // The same draws for a query every time (seeded by its id): its numbers move only when its
    // grades or the model do.
    s.moments = deltaMoments(in, m_metric, m_model, static_cast<std::uint64_t>(query) * 0x9E3779B97F4A7C15ull + 1, kDraws);
    std::map<std::int64_t, double> value;
    for (const CandidateValue &v : s.moments.values)
        value[v.candidate] += v.value;
    for (const CandidateValue &v : s.narrowing)
        value[v.candidate] += kBoundsWeight * v.value;
    s.values.clear();
    for (const auto &[candidate, v] : value)
        s.values.push_back({candidate, v});
    sortCandidateValues(s.values, in);
}

void JudgingPlanner::enter(std::int64_t query, const State &s)
{
    for (std::size_t i = 0; i < s.values.size(); ++i)
        m_plan.insert(Entry{s.values[i].value, query, i, s.values[i].candidate});
}

void JudgingPlanner::leave(std::int64_t query, const State &s)
{
    for (std::size_t i = 0; i < s.values.size(); ++i)
        m_plan.erase(Entry{s.values[i].value, query, i, s.values[i].candidate});
}

void JudgingPlanner::revalue(std::int64_t query, State &s)
{
    leave(query, s);
    evaluate(query, s, false);
    enter(query, s);
}

void JudgingPlanner::recompute(std::int64_t query, State &s)
{
    leave(query, s);
    evaluate(query, s, true);
    enter(query, s);
}

void JudgingPlanner::refreshSome(std::int64_t graded)
{
    if (m_queries.empty())
        return;
    auto it = m_queries.lower_bound(m_cursor);
    for (std::size_t i = 0; i < std::min(kRefresh, m_queries.size()); ++i) {
        if (it == m_queries.end())
            it = m_queries.begin();
        if (it->first != graded)
            revalue(it->first, it->second);
        ++it;
    }
    m_cursor = it == m_queries.end() ? m_queries.begin()->first : it->first;
}

void JudgingPlanner::setGrades(std::int64_t query, QueryJudgments grades)
{
    const auto it = m_queries.find(query);
    if (it == m_queries.end())
        return;
    learn(it->second, -1);
    it->second.in.grades = std::move(grades);
    learn(it->second, +1);
    recompute(query, it->second);
    refreshSome(query);
    ++m_updates;
}

void JudgingPlanner::refreshQuery(std::int64_t query)
{
    if (!m_project || !m_queries.count(query))
        return;
    QueryJudgments grades;
    for (const auto &[pair, grade] : JudgmentStore(*m_project).resolvedGrades(query))
        grades[pair.second] = grade;
    setGrades(query, std::move(grades));
}

double JudgingPlanner::informationLeft(std::int64_t query) const
{
    const auto it = m_queries.find(query);
    return it == m_queries.end() ? 0.0 : it->second.bounds.width();
}

std::vector<PlannedPair> JudgingPlanner::next(std::size_t n) const
{
    std::vector<PlannedPair> out;
    for (auto it = m_plan.begin(); it != m_plan.end() && out.size() < n; ++it)
        out.push_back({std::get<1>(*it), std::get<3>(*it), std::get<0>(*it)});
    return out;
}

PlanStatus JudgingPlanner::status() const
{
    PlanStatus s;
    s.queries = m_queries.size();
    s.informative = m_plan.size();
    if (m_queries.empty())
        return s;
    const double n = static_cast<double>(s.queries);
    double sumLow = 0, sumHigh = 0;
    for (const auto &[query, q] : m_queries) {
        sumLow += q.bounds.low;
        sumHigh += q.bounds.high;
        s.pairs += q.pairs;
        s.judged += q.judged;
    }
    s.low = sumLow / n;
    s.high = sumHigh / n;
    // The worst-case interval: the bounds widened by z S_max / sqrt(n), where the sum of squares
    // about any centre bounds S about the mean, for every grading.
    const double centre = (s.low + s.high) / 2;
    double squares = 0;
    for (const auto &[query, q] : m_queries)
        squares += std::max((q.bounds.low - centre) * (q.bounds.low - centre), (q.bounds.high - centre) * (q.bounds.high - centre));
    const double worstHalf = s.queries > 1 ? kZ95 * std::sqrt(squares / (n - 1)) / std::sqrt(n)
                                           : std::numeric_limits<double>::infinity();
    // The resampled interval: m +- (z S / sqrt(n) + kZRest R / n) (see the header comment).
    double sumMean = 0, rest = 0;
    for (const auto &[query, q] : m_queries) {
        sumMean += q.moments.mean;
        rest += q.moments.variance;
    }
    s.mean = sumMean / n;
    double spread = 0;
    for (const auto &[query, q] : m_queries)
        spread += (q.moments.mean - s.mean) * (q.moments.mean - s.mean) + q.moments.variance;
    const double sampling = s.queries > 1 ? kZ95 * std::sqrt(spread / (n - 1)) / std::sqrt(n)
                                          : std::numeric_limits<double>::infinity();
    const double remaining = m_zRest * std::sqrt(rest) / n;
    s.ciLow = std::max(s.low - worstHalf, s.mean - sampling - remaining);
    s.ciHigh = std::min(s.high + worstHalf, s.mean + sampling + remaining);
    s.direction = s.low > 0 || s.ciLow > 0 ? 1 : s.high < 0 || s.ciHigh < 0 ? -1 : 0;
    if (s.ciLow > 0 || s.ciHigh < 0)
        s.verdict = PlanVerdict::Significant;
    else if (s.direction != 0 || s.informative == 0)
        s.verdict = PlanVerdict::Settled; // the sign is known, or everything that matters is (a tie)
    if (s.verdict != PlanVerdict::Open)
        return s;
    // The estimate: the remaining grades' share must fall to (|m| - z S / sqrt(n)) / z_rest; the
    // plan's pairs, from its top, each take their expected variance off the sum. The walk is
    // O(plan): taken again every 32 grades, counted down by one per grade between.
    if (m_estimateAt && m_updates - *m_estimateAt < 32) {
        const std::size_t since = m_updates - *m_estimateAt;
        if (m_estimate)
            s.estimate = *m_estimate > since ? *m_estimate - since : 0;
        return s;
    }
    m_estimateAt = m_updates;
    m_estimate.reset();
    const double allowed = (std::abs(s.mean) - sampling) / m_zRest * n; // for sqrt(rest)
    if (allowed > 0 && std::isfinite(allowed)) {
        double left = rest;
        std::size_t count = 0;
        for (auto it = m_plan.begin(); it != m_plan.end() && left > allowed * allowed; ++it, ++count)
            left -= std::get<0>(*it);
        m_estimate = count;
    }
    s.estimate = m_estimate;
    return s;
}

std::string planStatusLine(const PlanStatus &s, const std::string &nameA, const std::string &nameB, Metric metric)
{
    const std::string after = s.judged == s.pairs ? "after all " + thousands(s.pairs) + " pairs"
                                                  : "after " + thousands(s.judged) + " of " + thousands(s.pairs) + " pairs";
    const std::string better = (s.direction > 0 ? nameB : nameA) + " better on " + metricName(metric);
    switch (s.verdict) {
    case PlanVerdict::Significant:
        return "significant " + after + ": " + better + " (95 % interval " + signedText(s.ciLow) + " to "
             + signedText(s.ciHigh) + ")";
    case PlanVerdict::Settled:
        if (s.direction == 0)
            return "settled " + after + ": no difference on " + metricName(metric);
        return "settled " + after + ": " + better + (s.informative == 0 ? ", but not significantly" : ", not significant yet");
    case PlanVerdict::Open:
        break;
    }
    if (s.queries == 0)
        return "nothing to compare: no query has a list under both versions";
    if (s.judged == 0)
        return "open " + after + ": nothing graded yet";
    if (s.estimate)
        return "open " + after + ": roughly " + thousands(*s.estimate) + " more judgments to decide";
    return "open " + after + ": the versions look alike so far, no decision in sight";
}

} // namespace lookalike
