// The per-query metrics Lookalike reports, as values that views and commands can choose
// between ("sort the failures by nDCG@5", "compare on P@1"), with their display names and
// the keys used in JSON and CSV output.
#pragma once

#include "core/metrics/RankingMetrics.h"

#include <array>
#include <optional>
#include <string>

namespace lookalike {

enum class Metric { Ndcg5, Precision1, Ndcg10, Precision5, ReciprocalRank, Judged5 };

// Display order: the headline metrics first.
inline constexpr std::array kAllMetrics{
    Metric::Ndcg5, Metric::Precision1, Metric::Ndcg10, Metric::Precision5, Metric::ReciprocalRank, Metric::Judged5};

const char *metricName(Metric metric); // "nDCG@5", "P@1", "nDCG@10", "P@5", "MRR", "judged@5"
const char *metricKey(Metric metric); // "ndcg@5", "p@1", "ndcg@10", "p@5", "mrr", "judged@5"
// Accepts the name or the key, case-insensitively; nothing for an unknown metric.
std::optional<Metric> parseMetric(const std::string &text);

double metricValue(const QueryMetrics &metrics, Metric metric);
// The range the metric can still take (RankingMetrics.h); nothing for judged@5, which is
// a count of what is known and has no "could still be".
std::optional<MetricRange> metricRange(const QueryMetrics &metrics, Metric metric);

} // namespace lookalike
