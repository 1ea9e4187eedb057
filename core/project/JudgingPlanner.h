// The judging planner, the use case behind `lookalike plan`, `assign --plan` and the app's `j`:
// to decide whether version B beats version A on a metric with as few judgments as possible,
// it orders the ungraded (query, candidate) pairs by how much grading them can still narrow
// the mean difference, and says where the comparison stands.
//
// The comparison is over the queries of the set that both versions have lists for (every one
// of them enters the mean once graded). Per query, PairDelta.h bounds metric(B) - metric(A)
// over every way of grading what is still unjudged; the mean difference is then within the
// mean of those bounds. The verdicts:
//   settled      the bounds exclude 0: no grade still to come can change which version is better;
//   significant  the 95 % interval of the mean difference excludes 0 whatever the remaining
//                grades: a normal interval around the bounds, [low - z S / sqrt(n), high +
//                z S / sqrt(n)], where S bounds the standard deviation of the per-query
//                differences over every grading (the sum of squares about any centre bounds it
//                about the mean). Once everything is graded it is the usual normal interval.
//   open         neither: with an estimate of how many more judgments, in plan order, a
//                decision needs if the difference stays where it is.
// Neither verdict can be wrong: what every grade would give lies within what they say (as
// long as grades come from the frozen lists' candidates; a grade imported for another item
// can still raise a query's ideal DCG).
#pragma once

#include "core/metrics/MetricKind.h"
#include "core/metrics/PairDelta.h"
#include "core/metrics/RankingMetrics.h"
#include "core/project/ModelVersion.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace lookalike {

class Project;

struct PlannedPair {
    std::int64_t query = 0;
    std::int64_t candidate = 0;
    double value = 0.0; // priority: how much its grade is expected to narrow its query's bounds
};

enum class PlanVerdict { Open, Settled, Significant };
const char *planVerdictName(PlanVerdict verdict); // "open", "settled", "significant"

struct PlanStatus {
    PlanVerdict verdict = PlanVerdict::Open;
    int direction = 0; // +1: B better, -1: A better, 0: not known (open)
    std::size_t queries = 0;          // compared: in the set, with a list under both versions
    double low = 0.0, high = 0.0;     // bounds of the mean difference B - A
    double ciLow = 0.0, ciHigh = 0.0; // the 95 % interval, unjudged pairs accounted for
    std::size_t pairs = 0;            // every pair of those queries' lists
    std::size_t judged = 0;           // of them, graded
    std::size_t informative = 0;      // ungraded pairs whose grade can still move the bounds
    // open: roughly how many more judgments, in plan order, a decision needs: the share of the
    // plan's value that must go before the bounds can exclude 0 if they stay centred where they
    // are (an estimate, not a bound; it tends to be high, since a query's bounds close faster
    // towards its end than its values say).
    std::optional<std::size_t> estimate;
};

// The per-query inputs, for a planner built without a project (the benchmark's simulations).
struct PlanQuery {
    RankedList a, b;
    std::vector<std::int64_t> pool; // every candidate of the query in any version's list
    QueryJudgments grades;
};

class JudgingPlanner {
public:
    // Reads the project's lists and resolved grades. Throws NotFound for an unknown version,
    // InvalidArgument for a metric other than nDCG@5 or P@1 or the same version twice.
    JudgingPlanner(Project &project, const std::string &versionA, const std::string &versionB,
                   Metric metric = Metric::Ndcg5);
    JudgingPlanner(std::map<std::int64_t, PlanQuery> queries, const MetricSettings &settings, Metric metric);

    const ModelVersion &versionA() const { return m_a; }
    const ModelVersion &versionB() const { return m_b; }
    Metric metric() const { return m_metric; }

    PlanStatus status() const;
    // The next `n` pairs, most informative first (each pair once).
    std::vector<PlannedPair> next(std::size_t n) const;
    // How much is still unknown about a query's difference: the width of its bounds (0: nothing
    // to learn from it). 0 for a query the comparison does not hold.
    double informationLeft(std::int64_t query) const;
    bool holds(std::int64_t query) const { return m_queries.count(query) > 0; }

    // A grade of `query` changed: re-read its resolved grades from the project (and recompute
    // that query only). A planner built without a project takes them as given instead.
    void refreshQuery(std::int64_t query);
    void setGrades(std::int64_t query, QueryJudgments grades);

private:
    struct State {
        PlanQuery in;
        DeltaBounds bounds;
        std::vector<CandidateValue> values;
        std::size_t pairs = 0, judged = 0; // the query's pairs (pool and lists), graded ones
    };
    void start();
    void recompute(std::int64_t query, State &s); // its bounds and values
    void revalue(std::int64_t query, State &s);   // its values only

    Project *m_project = nullptr;
    ModelVersion m_a, m_b;
    Metric m_metric;
    MetricSettings m_settings;
    std::map<std::int64_t, State> m_queries;
    // (value descending, query, place in the query's own order, candidate): the plan.
    using Entry = std::tuple<double, std::int64_t, std::size_t, std::int64_t>;
    struct Order {
        bool operator()(const Entry &x, const Entry &y) const
        {
            if (std::get<0>(x) != std::get<0>(y))
                return std::get<0>(x) > std::get<0>(y);
            return std::make_tuple(std::get<1>(x), std::get<2>(x)) < std::make_tuple(std::get<1>(y), std::get<2>(y));
        }
    };
    std::set<Entry, Order> m_plan;
    std::vector<double> m_odds; // how likely each grade is, from the grades given when built
    double m_planTotal = 0;     // the sum of the plan's values
    std::size_t m_updates = 0;  // grades taken in (setGrades), for the estimate's cache
    mutable std::optional<std::size_t> m_estimateAt; // m_updates when the estimate was taken
    mutable std::optional<std::size_t> m_estimate;
};

// One line for the app's metrics panel and `plan`: "settled after 312 of 2,150 pairs: siglip-ft
// better on nDCG@5", "open after 40 of 2,150 pairs: about 120 more judgments to decide".
std::string planStatusLine(const PlanStatus &status, const std::string &nameA, const std::string &nameB, Metric metric);

} // namespace lookalike
