// Incremental evaluation over frozen lists and pooled, resolved judgments.
#include "core/project/EvaluationEngine.h"

#include "core/Error.h"
#include "core/metrics/FailureAnalysis.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>

namespace lookalike {

MetricSettings metricSettingsFor(const GradeScale &scale, GainKind gain)
{
    MetricSettings s;
    s.gain = gain;
    s.relevanceThreshold = scale.relevantThreshold;
    s.lowestGrade = scale.lowest();
    s.highestGrade = scale.highest();
    return s;
}

std::map<std::int64_t, std::string> queryGroups(Project &project, const std::string &field)
{
    std::map<std::int64_t, std::string> out;
    bool seen = false;
    for (const Item &item : project.items(project.queryItemIds())) {
        const std::optional<std::string> value = itemField(item, field);
        seen = seen || value.has_value();
        out.emplace(item.id, value.value_or(""));
    }
    if (!seen && !out.empty())
        throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
                    "no query item has an attribute '" + field + "' (category, title, url or a manifest column)");
    return out;
}

EvaluationEngine::EvaluationEngine(Project &project, GainKind gain)
    : m_project(project)
    , m_gain(gain)
{
    refreshAll();
}

void EvaluationEngine::refreshAll()
{
    JudgmentStore store(m_project);
    m_settings = metricSettingsFor(store.gradeScale(), m_gain);
    m_models = modelVersions(m_project);
    m_lists.clear();
    Sql lists(m_project.database(), m_project.databaseFile().string(),
              QStringLiteral("SELECT model_id, query_item_id, candidate_item_id FROM result_entries "
                             "WHERE query_item_id IN (SELECT item_id FROM queries) ORDER BY model_id, query_item_id, rank"));
    for (lists.exec(); lists.next();)
        m_lists[lists.int64(0)][lists.int64(1)].push_back(lists.int64(2));
    m_judgments.clear();
    for (const auto &[pair, grade] : store.resolvedGrades())
        m_judgments[pair.first][pair.second] = grade;
    m_metrics.clear();
    for (const ModelVersion &v : m_models)
        m_metrics[v.id] = evaluateModel(m_lists[v.id], m_judgments, m_settings);
}

void EvaluationEngine::refreshQuery(std::int64_t queryItemId)
{
    QueryJudgments fresh;
    for (const auto &[pair, grade] : JudgmentStore(m_project).resolvedGrades(queryItemId))
        fresh[pair.second] = grade;
    const bool wasJudged = m_judgments.count(queryItemId) > 0;
    const bool isJudged = !fresh.empty();
    if (isJudged)
        m_judgments[queryItemId] = std::move(fresh);
    else
        m_judgments.erase(queryItemId);
    for (const ModelVersion &v : m_models) {
        ModelMetrics &m = m_metrics[v.id];
        // The counts of left-out queries change by this query's part only (as evaluateModel
        // counts them: graded without a list; a list but no grade).
        if (list(v.id, queryItemId).empty())
            m.queriesWithoutList += int(isJudged) - int(wasJudged);
        else
            m.queriesWithoutJudgment += int(!isJudged) - int(!wasJudged);
        recompute(v.id, queryItemId);
        // The same sum, in the same (query id) order, as evaluateModel: bit-identical to a full run.
        m.mean = meanMetricsByQuery(m.perQuery);
    }
}

void EvaluationEngine::recompute(std::int64_t modelId, std::int64_t queryItemId)
{
    ModelMetrics &m = m_metrics[modelId];
    m.perQuery.erase(queryItemId);
    const RankedList &ranked = list(modelId, queryItemId);
    const QueryJudgments &judged = judgments(queryItemId);
    if (!ranked.empty() && !judged.empty() && entersMean(ranked, judged))
        m.perQuery[queryItemId] = queryMetrics(ranked, judged, m_settings);
}

const ModelMetrics &EvaluationEngine::metrics(std::int64_t modelId) const
{
    const auto it = m_metrics.find(modelId);
    if (it == m_metrics.end())
        throw Error(ErrorCode::NotFound, m_project.databaseFile().string(),
                    "no model version with id " + std::to_string(modelId));
    return it->second;
}

const RankedList &EvaluationEngine::list(std::int64_t modelId, std::int64_t queryItemId) const
{
    static const RankedList none;
    const auto model = m_lists.find(modelId);
    if (model == m_lists.end())
        return none;
    const auto it = model->second.find(queryItemId);
    return it == model->second.end() ? none : it->second;
}

const QueryJudgments &EvaluationEngine::judgments(std::int64_t queryItemId) const
{
    static const QueryJudgments none;
    const auto it = m_judgments.find(queryItemId);
    return it == m_judgments.end() ? none : it->second;
}

PairedComparison EvaluationEngine::compare(std::int64_t modelA, std::int64_t modelB, Metric metric,
                                           const ComparisonOptions &options) const
{
    return compareModels(metrics(modelA), metrics(modelB), metric, options);
}

} // namespace lookalike
