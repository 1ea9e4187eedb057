// How far one query's difference between two versions can still move, and how much grading
// one more candidate can narrow that: the arithmetic of the judging planner (JudgingPlanner.h),
// pure functions over one query's lists and grades.
//
// The difference is metric(B) - metric(A) for nDCG@5 or P@1, as RankingMetrics computes them
// once every candidate is graded. Its bounds are never wrong: every way of grading the unjudged
// candidates (each any grade of the scale) gives a difference inside them. They are
// conservative for nDCG@5, whose ideal DCG depends on every pooled candidate of the query:
//   N = DCG(B) - DCG(A) is linear in the gains, so it lies in [N_lo, N_hi] (each unjudged
//   candidate at the lowest or the highest gain, whichever lowers or raises N);
//   the ideal DCG I grows with every gain, so it lies in [I_lo, I_hi] (all unjudged lowest,
//   all highest), and when I > 0 it is at least the smallest positive gain;
//   the difference N / I is then within the corners of that rectangle (or 0 when I = 0).
// A candidate at the same rank in both lists adds the same to both sides: it does not move N.
//
// deltaMoments treats the difference as a random variable instead: every unjudged grade drawn,
// independently, from a GradeModel (the grades seen so far, by position). Its mean and variance,
// and how much of that variance each unjudged candidate's grade explains, feed the planner's
// "significant" verdict and its order. Exact (every grading weighed) while the unjudged
// candidates that matter have at most kExactGradings gradings; otherwise `draws` gradings drawn
// with a generator seeded by `seed`, the same draws for every candidate's "what if it were
// graded g" (common random numbers), so a candidate that cannot move the difference is valued 0
// exactly and the result is the same on every machine.
#pragma once

#include "core/metrics/GradeModel.h"
#include "core/metrics/MetricKind.h"
#include "core/metrics/RankingMetrics.h"

#include <cstdint>
#include <vector>

namespace lookalike {

struct PairDeltaInput {
    const RankedList *a = nullptr;            // version A's list, best first
    const RankedList *b = nullptr;            // version B's
    const std::vector<std::int64_t> *pool = nullptr; // every candidate of the query in any version's list
    const QueryJudgments *grades = nullptr;   // the known grades of the query (pooled)
};

struct DeltaBounds {
    double low = 0.0;
    double high = 0.0;
    double width() const { return high - low; }
};

// Throws InvalidArgument naming the metric unless it is nDCG@5 or P@1, the ones these work on.
void requirePlannerMetric(Metric metric);

// Metric::Ndcg5 or Metric::Precision1 (others throw InvalidArgument).
DeltaBounds deltaBounds(const PairDeltaInput &in, Metric metric, const MetricSettings &settings);

// The candidates whose grade can still move the bounds, with how much knowing it is expected
// to narrow them: the mean over the lowest and the highest grade of the scale (the planner
// uses it only to order pairs deltaMoments values alike). The narrowing is measured
// on the ranges before the intersection with each version's own bounds, whose flat stretches
// (a bound held at 1 moves for no single grade) would hide grades that matter together.
// Largest first; equal values by rank in A then B (the order a rater would meet them).
struct CandidateValue {
    std::int64_t candidate = 0;
    double value = 0.0;
};
std::vector<CandidateValue> candidateValues(const PairDeltaInput &in, Metric metric, const MetricSettings &settings);

// A candidate's best 0-based rank in either compared list, -1 when in neither (GradeModel's position).
int bestRank(const PairDeltaInput &in, std::int64_t candidate);
// The order both functions below give their values in: largest first, equal values in the order
// a rater meets them (best rank in either list), then by id.
void sortCandidateValues(std::vector<CandidateValue> &values, const PairDeltaInput &in);

struct DeltaMoments {
    double mean = 0.0;     // E[difference]: within deltaBounds, since every draw is a grading
    double variance = 0.0; // Var[difference]
    // Each unjudged candidate whose grade moves the difference: Var over its grade of
    // E[difference | its grade], the variance knowing it removes. Largest first, then by rank.
    std::vector<CandidateValue> values;
};
constexpr std::size_t kExactGradings = 256;
DeltaMoments deltaMoments(const PairDeltaInput &in, Metric metric, const GradeModel &model, std::uint64_t seed,
                          std::size_t draws = 64);

} // namespace lookalike
