// Incremental evaluation over frozen lists and pooled, resolved judgments.
#include "core/project/EvaluationEngine.h"

#include "core/Error.h"
#include "core/metrics/FailureAnalysis.h"
#include "core/project/JudgmentStore.h"
#include "core/project/FrozenLists.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>

#include <algorithm>

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
    m_otherLists.clear();
    m_listLengths = frozenListLengths(m_project);
    std::int64_t listed = 0;
    for (const auto &[model, lengths] : m_listLengths)
        listed += static_cast<std::int64_t>(lengths.size());
    m_judgments.clear();
    m_gradedOutside.clear();
    const std::vector<std::int64_t> querySet = m_project.queryItemIds();
    m_querySet = std::set<std::int64_t>(querySet.begin(), querySet.end());
    for (const auto &[pair, grade] : store.resolvedGrades()) {
        if (m_querySet.count(pair.first))
            m_judgments[pair.first][pair.second] = grade;
        else
            m_gradedOutside.insert(pair.first);
    }
    // The lists the metrics use: those of the judged queries. One scan when most queries are
    // judged, else one lookup per judged query.
    if (static_cast<std::int64_t>(m_judgments.size()) * 4 > listed) {
        forEachFrozenEntry(m_project, [&](std::int64_t model, std::int64_t query, std::int64_t candidate) {
            if (m_judgments.count(query))
                m_lists[model][query].push_back(candidate);
        });
    } else {
        FrozenCandidatesReader candidates(m_project);
        for (const auto &[query, grades] : m_judgments)
            for (const auto &[model, lengthsOfModel] : m_listLengths)
                if (listLength(model, query) > 0)
                    m_lists[model][query] = candidates(model, query);
    }
    m_metrics.clear();
    for (const ModelVersion &v : m_models) {
        ModelMetrics &m = m_metrics[v.id] = evaluateModel(m_lists[v.id], m_judgments, m_settings);
        // The listed queries without a grade, which evaluateModel did not see.
        const auto it = m_listLengths.find(v.id);
        m.queriesWithoutJudgment
            = (it == m_listLengths.end() ? 0 : static_cast<int>(it->second.size())) - static_cast<int>(m_lists[v.id].size());
    }
}

void EvaluationEngine::refreshQuery(std::int64_t queryItemId)
{
    QueryJudgments fresh;
    for (const auto &[pair, grade] : JudgmentStore(m_project).resolvedGrades(queryItemId))
        fresh[pair.second] = grade;
    if (!m_querySet.count(queryItemId)) {
        // Not a query of the set (refreshAll() sees a query just added): counted apart.
        if (fresh.empty())
            m_gradedOutside.erase(queryItemId);
        else
            m_gradedOutside.insert(queryItemId);
        return;
    }
    const bool wasJudged = m_judgments.count(queryItemId) > 0;
    const bool isJudged = !fresh.empty();
    // The metrics hold the lists of judged queries only.
    for (const ModelVersion &v : m_models) {
        if (isJudged && !wasJudged && listLength(v.id, queryItemId) > 0) {
            RankedList l = list(v.id, queryItemId);
            m_otherLists.erase({v.id, queryItemId});
            m_lists[v.id][queryItemId] = std::move(l);
        } else if (!isJudged && wasJudged) {
            m_lists[v.id].erase(queryItemId);
        }
    }
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
    if (const auto model = m_lists.find(modelId); model != m_lists.end())
        if (const auto it = model->second.find(queryItemId); it != model->second.end())
            return it->second;
    if (listLength(modelId, queryItemId) == 0)
        return none;
    const auto key = std::make_pair(modelId, queryItemId);
    if (const auto it = m_otherLists.find(key); it != m_otherLists.end())
        return it->second;
    constexpr std::size_t kMaxOtherLists = 4096; // a few screens of the query list
    if (m_otherLists.size() >= kMaxOtherLists)
        m_otherLists.clear();
    return m_otherLists[key] = frozenCandidates(m_project, modelId, queryItemId);
}

int EvaluationEngine::listLength(std::int64_t modelId, std::int64_t queryItemId) const
{
    const auto model = m_listLengths.find(modelId);
    if (model == m_listLengths.end())
        return 0;
    const auto &lengths = model->second;
    const auto it = std::lower_bound(lengths.begin(), lengths.end(), std::make_pair(queryItemId, 0));
    return it != lengths.end() && it->first == queryItemId ? it->second : 0;
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
