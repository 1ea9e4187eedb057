// Live metrics of a project: per (model version, query) metrics from the frozen result lists
// and the resolved grades, and their means. After a judgment only its query is recomputed
// (judgments are pooled per query, so no other query can change); the means are then summed
// again in query order, so the result equals a full recomputation exactly.
//
// Only the judged queries' lists are held (they are what the metrics use), plus each listed
// query's list length: a project with 100,000 queries of which a tenth are judged loads a
// tenth of its frozen lists. The list of an unjudged query is read when asked for.
//
// Only queries of the query set enter the metrics. An item graded as a query but not in the set
// (its grades imported from elsewhere, or its query taken out) is counted apart, not as
// "graded without a list".
#pragma once

#include "core/metrics/Comparison.h"
#include "core/metrics/MetricKind.h"
#include "core/metrics/RankingMetrics.h"
#include "core/project/ModelVersion.h"

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace lookalike {

class Project;
struct GradeScale;

// The metric settings a project's grade scale implies (threshold, lowest and highest grade).
MetricSettings metricSettingsFor(const GradeScale &scale, GainKind gain = GainKind::Linear);

// The value of `field` for every query of the set, for breakdowns: "category", "title", "url"
// or the name of a catalog attribute (a manifest column such as "brand"). Items without the
// attribute get "". Throws Error(InvalidArgument) when no query item has such an attribute.
std::map<std::int64_t, std::string> queryGroups(Project &project, const std::string &field);

class EvaluationEngine {
public:
    // Loads every model version's frozen lists and all resolved grades.
    EvaluationEngine(Project &project, GainKind gain = GainKind::Linear);

    const std::vector<ModelVersion> &models() const { return m_models; }
    const MetricSettings &settings() const { return m_settings; }
    const ModelMetrics &metrics(std::int64_t modelId) const; // throws NotFound

    // The frozen list of a version for a query (empty if none), and the pooled, resolved grades
    // of a query (empty if none), as the metrics see them. The list of an unjudged query is read
    // from the database (and kept in a small cache): its reference is valid until the next call.
    const RankedList &list(std::int64_t modelId, std::int64_t queryItemId) const;
    // The length of that list (0: none), without reading it.
    int listLength(std::int64_t modelId, std::int64_t queryItemId) const;
    const QueryJudgments &judgments(std::int64_t queryItemId) const;
    // Items with grades as a query that are not in the query set (left out of every metric).
    int gradedOutsideQuerySet() const { return static_cast<int>(m_gradedOutside.size()); }

    // A judgment of `queryItemId` changed: reload its grades and recompute it for every model.
    void refreshQuery(std::int64_t queryItemId);
    // Reload everything (after an import, a re-freeze, a new rule or scale).
    void refreshAll();

    // Paired comparison of two versions on one per-query metric, over the queries both have.
    PairedComparison compare(std::int64_t modelA, std::int64_t modelB, Metric metric,
                             const ComparisonOptions &options = {}) const;

private:
    void recompute(std::int64_t modelId, std::int64_t queryItemId);

    Project &m_project;
    GainKind m_gain;
    MetricSettings m_settings;
    std::vector<ModelVersion> m_models;
    std::map<std::int64_t, std::map<std::int64_t, RankedList>> m_lists; // model -> judged query -> list
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, int>>> m_listLengths; // model -> (query, length), sorted
    mutable std::map<std::pair<std::int64_t, std::int64_t>, RankedList> m_otherLists; // (model, unjudged query), read on demand
    std::map<std::int64_t, QueryJudgments> m_judgments;                // query of the set -> candidate -> grade
    std::set<std::int64_t> m_querySet;
    std::set<std::int64_t> m_gradedOutside;                            // graded, not in the query set
    std::map<std::int64_t, ModelMetrics> m_metrics;                    // model -> metrics
};

} // namespace lookalike
