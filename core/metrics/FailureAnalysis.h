// Where a model version fails: its metrics broken down by category (or any catalog attribute),
// its worst queries, and the queries on which two versions differ most. Pure functions over
// the per-query metrics of EvaluationEngine; the failure views and `lookalike eval` show them.
#pragma once

#include "core/metrics/Comparison.h"
#include "core/metrics/MetricKind.h"
#include "core/metrics/RankingMetrics.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lookalike {

struct GroupMetrics {
    std::string group; // "" for queries without a value
    std::vector<std::int64_t> queries; // the group's queries that enter the mean, ascending
    QueryMetrics mean; // meanMetrics() of those queries, in query id order
};

// One row per group value of the queries in `model.perQuery`, groups in byte order of their
// names (the empty group, if any, first). `groupOf` maps query item id -> group value; a query
// it does not list falls in "". Per-group means are computed exactly as the overall mean is.
std::vector<GroupMetrics> breakdownByGroup(
    const ModelMetrics &model, const std::map<std::int64_t, std::string> &groupOf);

struct QueryValue {
    std::int64_t query = 0;
    double value = 0.0;
};

// The `limit` queries with the lowest value of `metric`, lowest first; equal values by query id
// ascending, so the order is the same on every run.
std::vector<QueryValue> worstQueries(const ModelMetrics &model, Metric metric, std::size_t limit);

struct QueryGap {
    std::int64_t query = 0;
    double a = 0.0; // the metric under version A
    double b = 0.0; // under version B
    double delta = 0.0; // b - a: positive when B is better
};

// On the queries both versions evaluate: the `limit` largest |b - a| of `metric`, largest
// first; equal gaps by query id ascending. Gaps of at most kTieEpsilon are ties and left out.
std::vector<QueryGap> largestGaps(const ModelMetrics &a, const ModelMetrics &b, Metric metric, std::size_t limit);

// Paired comparison of `metric` on the queries both versions evaluate (in query id order),
// restricted to `only` when it is not empty.
PairedComparison compareModels(const ModelMetrics &a, const ModelMetrics &b, Metric metric,
    const ComparisonOptions &options = {}, const std::vector<std::int64_t> &only = {});

} // namespace lookalike
