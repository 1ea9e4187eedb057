// JudgingPlanner (see JudgingPlanner.h).
#include "core/project/JudgingPlanner.h"

#include "core/Error.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/FrozenLists.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace lookalike {

namespace {

constexpr double kZ95 = 1.959963984540054;

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

void checkMetric(Metric metric)
{
    if (metric != Metric::Ndcg5 && metric != Metric::Precision1)
        throw Error(ErrorCode::InvalidArgument, {},
                    std::string("the judging planner works on nDCG@5 or P@1, not ") + metricName(metric));
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
    checkMetric(metric);
    if (m_a.id == m_b.id)
        throw Error(ErrorCode::InvalidArgument, {}, "the planner compares two different versions, not '" + versionA + "' with itself");
    JudgmentStore store(project);
    m_settings = metricSettingsFor(store.gradeScale());
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
{
    checkMetric(metric);
    for (auto &[query, q] : queries)
        if (!q.a.empty() && !q.b.empty())
            m_queries[query].in = std::move(q);
    start();
}

void JudgingPlanner::start()
{
    // How likely each grade is, from the grades given so far (one of each added, so that none is
    // ruled out): what a candidate's grade is expected to do is weighed with these.
    m_odds.assign(static_cast<std::size_t>(m_settings.highestGrade - m_settings.lowestGrade + 1), 1.0);
    for (const auto &[query, s] : m_queries)
        for (const auto &[candidate, grade] : s.in.grades)
            if (grade >= m_settings.lowestGrade && grade <= m_settings.highestGrade)
                m_odds[static_cast<std::size_t>(grade - m_settings.lowestGrade)] += 1.0;
    for (auto &[query, s] : m_queries)
        recompute(query, s);
}

void JudgingPlanner::revalue(std::int64_t query, State &s)
{
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        m_plan.erase(Entry{s.values[i].value, query, i, s.values[i].candidate});
        m_planTotal -= s.values[i].value;
    }
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    s.values = candidateValues(in, m_metric, m_settings, m_odds);
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        m_plan.insert(Entry{s.values[i].value, query, i, s.values[i].candidate});
        m_planTotal += s.values[i].value;
    }
}

void JudgingPlanner::recompute(std::int64_t query, State &s)
{
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    s.bounds = deltaBounds(in, m_metric, m_settings);
    std::set<std::int64_t> pairs(s.in.pool.begin(), s.in.pool.end());
    for (const RankedList *list : {&s.in.a, &s.in.b})
        pairs.insert(list->begin(), list->end());
    s.pairs = pairs.size();
    s.judged = 0;
    for (std::int64_t c : pairs)
        s.judged += s.in.grades.count(c);
    revalue(query, s);
}

void JudgingPlanner::setGrades(std::int64_t query, QueryJudgments grades)
{
    const auto it = m_queries.find(query);
    if (it == m_queries.end())
        return;
    it->second.in.grades = std::move(grades);
    recompute(query, it->second);
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
    // S: the sum of squares about any centre bounds it about the mean, for every grading.
    const double centre = (s.low + s.high) / 2;
    double squares = 0;
    for (const auto &[query, q] : m_queries)
        squares += std::max((q.bounds.low - centre) * (q.bounds.low - centre), (q.bounds.high - centre) * (q.bounds.high - centre));
    const double halfWidth = s.queries > 1 ? kZ95 * std::sqrt(squares / (n - 1)) / std::sqrt(n)
                                           : std::numeric_limits<double>::infinity();
    s.ciLow = s.low - halfWidth;
    s.ciHigh = s.high + halfWidth;
    s.direction = s.low > 0 ? 1 : s.high < 0 ? -1 : 0;
    if (s.ciLow > 0 || s.ciHigh < 0)
        s.verdict = PlanVerdict::Significant;
    else if (s.direction != 0 || s.informative == 0)
        s.verdict = PlanVerdict::Settled; // the sign is known, or everything that matters is (a tie)
    if (s.verdict != PlanVerdict::Open)
        return s;
    // A rough estimate: the share of what is still unknown that must go before the bounds can
    // exclude 0 (1 - |centre| / half-width), taken from the plan's top, pairs weighed by value.
    // The walk is O(plan): taken again every 32 grades, counted down by one per grade between.
    if (m_estimateAt && m_updates - *m_estimateAt < 32) {
        const std::size_t since = m_updates - *m_estimateAt;
        if (m_estimate)
            s.estimate = *m_estimate > since ? *m_estimate - since : 0;
        return s;
    }
    m_estimateAt = m_updates;
    m_estimate.reset();
    const double boundsHalf = (s.high - s.low) / 2;
    if (std::abs(centre) > 1e-12 && boundsHalf > 0) {
        const double needed = (1.0 - std::abs(centre) / boundsHalf) * m_planTotal;
        double sum = 0;
        std::size_t count = 0;
        for (auto it = m_plan.begin(); it != m_plan.end() && sum < needed; ++it, ++count)
            sum += std::get<0>(*it);
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
    if (s.estimate)
        return "open " + after + ": roughly " + thousands(*s.estimate) + " more judgments to decide";
    return "open " + after + ": the versions look alike so far, no decision in sight";
}

} // namespace lookalike
