// The judging planner, the use case behind `lookalike plan`, `assign --plan` and the app's `j`:
// to decide whether version B beats version A on a metric with as few judgments as possible,
// it orders the ungraded (query, candidate) pairs by how much grading them can still narrow
// the mean difference, and says where the comparison stands.
//
// The comparison is over the queries of the set that both versions have lists for (every one
// of them enters the mean once graded). Per query, PairDelta.h bounds metric(B) - metric(A)
// over every way of grading what is still unjudged, and gives its mean and variance when the
// unjudged grades are drawn from the grades seen so far (GradeModel.h: by position in the lists).
// The verdicts:
//   settled      the bounds exclude 0: no grade still to come can change which version is
//                better. Never wrong (as long as grades come from the frozen lists' candidates:
//                a grade imported for another item can still raise a query's ideal DCG).
//   significant  the 95 % interval of the mean difference excludes 0, the unjudged grades
//                accounted for: m +- (z S / sqrt(n) + z_rest R / n), where m is the mean of the
//                per-query means, S the per-query differences' expected standard deviation
//                (their means' spread plus their variances), R = sqrt(sum of the per-query
//                variances) what the unjudged grades can still move the sum by, z = 1.96 and
//                z_rest = kZRest. R's multiplier is larger than z so that the verdict is one
//                the full grading keeps: it is declared only when the remaining grades would
//                have to fall kZRest standard deviations away from what was seen to undo it.
//                A statistical verdict, not a bound; a worst-case interval (the bounds widened
//                by z times the largest standard deviation they allow) is also kept, and
//                whichever of the two is narrower on a side is reported. With everything graded
//                both are the usual normal interval.
//   open         neither: with an estimate of how many more judgments, in plan order, the
//                interval needs to exclude 0 if the mean difference stays where it is.
// The plan orders the pairs by the variance their grade is expected to remove from their
// query's difference (then by how much it narrows the bounds, so that every pair that can still
// move the bounds stays in the plan). The grade model learns as grades arrive: the graded query
// and the next kRefresh queries in turn are re-evaluated after every grade.
#pragma once

#include "core/metrics/GradeModel.h"
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
    double value = 0.0; // priority: the variance of its query's difference its grade is expected to remove
};

enum class PlanVerdict { Open, Settled, Significant };
const char *planVerdictName(PlanVerdict verdict); // "open", "settled", "significant"

struct PlanStatus {
    PlanVerdict verdict = PlanVerdict::Open;
    int direction = 0; // +1: B better, -1: A better, 0: not known (open)
    std::size_t queries = 0;          // compared: in the set, with a list under both versions
    double low = 0.0, high = 0.0;     // bounds of the mean difference B - A
    double mean = 0.0;                // the expected mean difference, unjudged grades drawn
    double ciLow = 0.0, ciHigh = 0.0; // the 95 % interval, unjudged pairs accounted for
    std::size_t pairs = 0;            // every pair of those queries' lists
    std::size_t judged = 0;           // of them, graded
    std::size_t informative = 0;      // ungraded pairs whose grade can still move the difference or its bounds
    // open: roughly how many more judgments, in plan order, the interval needs to exclude 0 if
    // the mean difference stays where it is (the plan's expected variance taken off from its top
    // until the remaining grades' share of the interval is small enough). None when the mean is
    // within the between-query part of the interval: no number of judgments would decide it.
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
    // The multiplier of the remaining grades' spread in the interval (kZRest unless set): larger
    // is safer and needs more judgments. For the benchmark's look at that trade.
    void setRestMultiplier(double z) { m_zRest = z; }
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
    // Forget the project (refreshQuery then does nothing): for a planner built on a connection
    // of its own, in a worker thread, and kept up to date with setGrades after that connection
    // has closed (the app's).
    void detachProject() { m_project = nullptr; }

    static constexpr double kZRest = 3.0;       // see the header comment
    static constexpr std::size_t kRefresh = 16; // queries re-evaluated after each grade
    static constexpr std::size_t kDraws = 64;   // gradings drawn per query (PairDelta.h)

private:
    struct State {
        PlanQuery in;
        DeltaBounds bounds;
        std::vector<CandidateValue> narrowing; // candidateValues: depends on the grades, not the model
        DeltaMoments moments;
        std::vector<CandidateValue> values;    // the plan's: moments' values plus a share of the narrowing
        std::size_t pairs = 0, judged = 0; // the query's pairs (pool and lists), graded ones
    };
    void start();
    // Its moments and values (and, with `whole`, what depends on its grades alone: its bounds,
    // their narrowing, its pairs): reads the model and writes only `s`, so that start() can run
    // it for many queries at once.
    void evaluate(std::int64_t query, State &s, bool whole) const;
    void enter(std::int64_t query, const State &s); // its values into the plan
    void leave(std::int64_t query, const State &s); // and out
    void recompute(std::int64_t query, State &s); // leave, evaluate whole, enter
    void revalue(std::int64_t query, State &s);   // leave, evaluate the moments and values, enter
    void learn(const State &s, int sign);         // add (+1) or take back (-1) its grades in the model
    void refreshSome(std::int64_t graded);        // the next kRefresh queries but `graded`

    Project *m_project = nullptr;
    ModelVersion m_a, m_b;
    Metric m_metric;
    MetricSettings m_settings;
    GradeModel m_model;
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
    double m_zRest = kZRest;
    std::int64_t m_cursor = 0;  // where refreshSome goes on
    std::size_t m_updates = 0;  // grades taken in (setGrades), for the estimate's cache
    mutable std::optional<std::size_t> m_estimateAt; // m_updates when the estimate was taken
    mutable std::optional<std::size_t> m_estimate;
};

// One line for the app's metrics panel and `plan`: "settled after 312 of 2,150 pairs: siglip-ft
// better on nDCG@5", "open after 40 of 2,150 pairs: about 120 more judgments to decide".
std::string planStatusLine(const PlanStatus &status, const std::string &nameA, const std::string &nameB, Metric metric);

} // namespace lookalike
