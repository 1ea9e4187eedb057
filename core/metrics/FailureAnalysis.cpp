// Breakdowns, worst queries and largest gaps.
#include "core/metrics/FailureAnalysis.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lookalike {

std::vector<GroupMetrics> breakdownByGroup(
    const ModelMetrics &model, const std::map<std::int64_t, std::string> &groupOf)
{
    std::map<std::string, std::vector<std::int64_t>> members; // std::string's < is byte order
    for (const auto &[query, metrics] : model.perQuery) {
        const auto g = groupOf.find(query);
        members[g == groupOf.end() ? std::string() : g->second].push_back(query);
    }
    std::vector<GroupMetrics> out;
    out.reserve(members.size());
    for (auto &[group, queries] : members) {
        std::vector<QueryMetrics> values;
        values.reserve(queries.size());
        for (std::int64_t q : queries) // perQuery iterates by id, so `queries` is ascending
            values.push_back(model.perQuery.at(q));
        out.push_back({group, std::move(queries), meanMetrics(values)});
    }
    return out;
}

std::vector<QueryValue> worstQueries(const ModelMetrics &model, Metric metric, std::size_t limit)
{
    std::vector<QueryValue> all;
    all.reserve(model.perQuery.size());
    for (const auto &[query, metrics] : model.perQuery)
        all.push_back({query, metricValue(metrics, metric)});
    const auto before = [](const QueryValue &x, const QueryValue &y) {
        return x.value != y.value ? x.value < y.value : x.query < y.query;
    };
    const std::size_t n = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), before);
    all.resize(n);
    return all;
}

std::vector<QueryGap> largestGaps(const ModelMetrics &a, const ModelMetrics &b, Metric metric, std::size_t limit)
{
    std::vector<QueryGap> all;
    for (const auto &[query, qa] : a.perQuery) {
        const auto qb = b.perQuery.find(query);
        if (qb == b.perQuery.end())
            continue;
        const double va = metricValue(qa, metric), vb = metricValue(qb->second, metric);
        if (std::abs(vb - va) > kTieEpsilon)
            all.push_back({query, va, vb, vb - va});
    }
    const auto before = [](const QueryGap &x, const QueryGap &y) {
        const double gx = std::abs(x.delta), gy = std::abs(y.delta);
        return gx != gy ? gx > gy : x.query < y.query;
    };
    const std::size_t n = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), before);
    all.resize(n);
    return all;
}

PairedComparison compareModels(const ModelMetrics &a, const ModelMetrics &b, Metric metric,
    const ComparisonOptions &options, const std::vector<std::int64_t> &only)
{
    const std::set<std::int64_t> wanted(only.begin(), only.end());
    std::vector<double> va, vb;
    for (const auto &[query, qa] : a.perQuery) {
        if (!wanted.empty() && !wanted.count(query))
            continue;
        const auto qb = b.perQuery.find(query);
        if (qb == b.perQuery.end())
            continue;
        va.push_back(metricValue(qa, metric));
        vb.push_back(metricValue(qb->second, metric));
    }
    return comparePaired(va, vb, options);
}

} // namespace lookalike
