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
    m_gradeCounts.assign(static_cast<std::size_t>(m_settings.highestGrade - m_settings.lowestGrade + 1), 0.0);
    for (auto &[query, q] : queries) {
        if (q.a.empty() || q.b.empty())
            continue; // the comparison holds the queries both versions evaluate
        q.pool.assign(pools[query].begin(), pools[query].end());
        State &s = m_queries[query];
        s.in = std::move(q);
        countGrades(s.in.grades, 1);
        recompute(query, s);
    }
    revalueAllIfStale();
}

JudgingPlanner::JudgingPlanner(std::map<std::int64_t, PlanQuery> queries, const MetricSettings &settings, Metric metric)
    : m_metric(metric)
    , m_settings(settings)
{
    checkMetric(metric);
    m_gradeCounts.assign(static_cast<std::size_t>(m_settings.highestGrade - m_settings.lowestGrade + 1), 0.0);
    for (auto &[query, q] : queries) {
        if (q.a.empty() || q.b.empty())
            continue;
        State &s = m_queries[query];
        s.in = std::move(q);
        countGrades(s.in.grades, 1);
        recompute(query, s);
    }
    revalueAllIfStale();
}

void JudgingPlanner::countGrades(const QueryJudgments &grades, double sign)
{
    for (const auto &[candidate, grade] : grades) {
        const int i = grade - m_settings.lowestGrade;
        if (i >= 0 && i < static_cast<int>(m_gradeCounts.size()))
            m_gradeCounts[static_cast<std::size_t>(i)] += sign;
    }
}

std::vector<double> JudgingPlanner::odds() const
{
    // The shares of the grades seen, with one of each grade added so that no grade is ruled out.
    std::vector<double> o = m_gradeCounts;
    double total = 0;
    for (double &v : o)
        total += (v += 1.0);
    for (double &v : o)
        v /= total;
    return o;
}

void JudgingPlanner::revalueAllIfStale()
{
    // The side of 0 the mean's bounds are centred on, with a dead band (a twentieth of their
    // half-width) so that a centre hovering about 0 does not revalue everything at every grade.
    const double n = std::max(1.0, static_cast<double>(m_queries.size()));
    const double centre = (m_sumLow + m_sumHigh) / (2 * n), halfWidth = (m_sumHigh - m_sumLow) / (2 * n);
    int towards = m_towards;
    if (std::abs(centre) > 0.05 * halfWidth + 1e-12)
        towards = centre > 0 ? 1 : -1;
    else if (halfWidth <= 1e-12)
        towards = 0;
    if (towards == m_towards && !m_oddsUsed.empty())
        return;
    m_towards = towards;
    m_oddsUsed = odds(); // the grades seen so far, taken when everything is revalued
    m_centre = centre;
    m_squares = 0;
    for (const auto &[query, st] : m_queries)
        m_squares += std::max((st.bounds.low - m_centre) * (st.bounds.low - m_centre),
                              (st.bounds.high - m_centre) * (st.bounds.high - m_centre));
    for (auto &[query, st] : m_queries)
        revalue(query, st);
}

void JudgingPlanner::revalue(std::int64_t query, State &s)
{
    for (std::size_t i = 0; i < s.values.size(); ++i)
        m_plan.erase(Entry{s.values[i].value, query, i, s.values[i].candidate});
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    // What a grade does to the side of the interval that must clear 0: the bound of the mean
    // moves by (its query's bound's move) / n, and the spread term by the change it makes to
    // the sum of squares S is built from (about the centre when the values were last computed).
    const double n = static_cast<double>(m_queries.size());
    const BoundsScore score = [&](const DeltaBounds &now, const DeltaBounds &then) {
        if (m_towards == 0 || n < 2)
            return now.width() - then.width();
        auto term = [&](const DeltaBounds &b) {
            return std::max((b.low - m_centre) * (b.low - m_centre), (b.high - m_centre) * (b.high - m_centre));
        };
        const double spreadNow = kZ95 * std::sqrt(std::max(0.0, m_squares) / (n - 1) / n);
        const double spreadThen = kZ95 * std::sqrt(std::max(0.0, m_squares - term(now) + term(then)) / (n - 1) / n);
        const double boundMove = m_towards > 0 ? then.low - now.low : now.high - then.high;
        return boundMove / n + (spreadNow - spreadThen);
    };
    s.values = candidateValues(in, m_metric, m_settings, m_towards, m_oddsUsed, score);
    for (std::size_t i = 0; i < s.values.size(); ++i)
        m_plan.insert(Entry{s.values[i].value, query, i, s.values[i].candidate});
}

void JudgingPlanner::recompute(std::int64_t query, State &s)
{
    m_sumLow -= s.bounds.low;
    m_sumHigh -= s.bounds.high;
    const PairDeltaInput in{&s.in.a, &s.in.b, &s.in.pool, &s.in.grades};
    s.bounds = deltaBounds(in, m_metric, m_settings);
    m_sumLow += s.bounds.low;
    m_sumHigh += s.bounds.high;
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
    countGrades(it->second.in.grades, -1);
    it->second.in.grades = std::move(grades);
    countGrades(it->second.in.grades, 1);
    recompute(query, it->second);
    revalueAllIfStale();
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
    // How many more, in plan order, if each narrows the bounds by its value around where they
    // are centred now: until the half-width is below the distance of the centre from 0.
    double width = s.high - s.low;
    std::size_t count = 0;
    for (const Entry &e : m_plan) {
        if (width / 2 < std::abs(centre))
            break;
        width -= std::get<0>(e) / n;
        ++count;
    }
    if (width / 2 < std::abs(centre))
        s.estimate = count;
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
        return "open " + after + ": about " + thousands(*s.estimate) + " more judgments to decide";
    return "open " + after + ": the versions look alike so far, no decision in sight";
}

} // namespace lookalike
