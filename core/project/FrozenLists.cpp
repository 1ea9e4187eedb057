// The frozen result lists' tables, and every query on them (see FrozenLists.h).
#include "core/project/FrozenLists.h"

#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"

#include <QVariant>

namespace lookalike {

namespace {

Sql query(const Project &project, const QString &sql)
{
    return Sql(project.database(), project.databaseFile().string(), sql);
}

} // namespace

void writeFrozenLists(Project &project, std::int64_t modelId, const std::vector<FrozenList> &lists, int depth,
                      const std::string &indexKind)
{
    Sql drop = query(project, QStringLiteral("DELETE FROM result_lists WHERE model_id = ? AND query_item_id = ?"));
    Sql list = query(project, QStringLiteral("INSERT INTO result_lists (model_id, query_item_id, depth, index_kind, "
                                             "frozen_at) VALUES (?, ?, ?, ?, ?)"));
    Sql entry = query(project, QStringLiteral("INSERT INTO result_entries (model_id, query_item_id, rank, "
                                              "candidate_item_id, score) VALUES (?, ?, ?, ?, ?)"));
    const std::string now = nowIso8601();
    for (const FrozenList &l : lists) {
        drop.bind(modelId).bind(l.queryItemId).exec(); // entries go with it (ON DELETE CASCADE)
        list.bind(modelId).bind(l.queryItemId).bind(std::int64_t(depth)).bind(indexKind).bind(now).exec();
        for (std::size_t r = 0; r < l.candidates.size(); ++r)
            entry.bind(modelId).bind(l.queryItemId).bind(static_cast<std::int64_t>(r + 1)).bind(l.candidates[r].first)
                .bind(QVariant(static_cast<double>(l.candidates[r].second)))
                .exec();
    }
}

std::vector<ResultEntry> frozenResultList(const Project &project, const ModelVersion &version, std::int64_t queryItemId)
{
    Sql q = query(project, QStringLiteral("SELECT rank, candidate_item_id, score FROM result_entries WHERE model_id = ? "
                                          "AND query_item_id = ? ORDER BY rank"));
    std::vector<ResultEntry> out;
    for (q.bind(version.id).bind(queryItemId).exec(); q.next();)
        out.push_back({static_cast<int>(q.int64(0)), q.int64(1), q.value(2).toFloat()});
    return out;
}

struct FrozenCandidatesReader::Impl {
    // By (model, query): the primary key's order, so each lookup is an index seek.
    Sql q;
};

FrozenCandidatesReader::FrozenCandidatesReader(const Project &project)
    : d(new Impl{query(project, QStringLiteral("SELECT candidate_item_id FROM result_entries WHERE model_id = ? AND "
                                               "query_item_id = ? ORDER BY rank"))})
{
}
FrozenCandidatesReader::~FrozenCandidatesReader() = default;
FrozenCandidatesReader::FrozenCandidatesReader(FrozenCandidatesReader &&) noexcept = default;

std::vector<std::int64_t> FrozenCandidatesReader::operator()(std::int64_t modelId, std::int64_t queryItemId)
{
    std::vector<std::int64_t> out;
    for (d->q.bind(modelId).bind(queryItemId).exec(); d->q.next();)
        out.push_back(d->q.int64(0));
    return out;
}

std::vector<std::int64_t> frozenCandidates(const Project &project, std::int64_t modelId, std::int64_t queryItemId)
{
    return FrozenCandidatesReader(project)(modelId, queryItemId);
}

std::set<std::int64_t> frozenQueries(const Project &project, std::int64_t modelId)
{
    Sql q = query(project, QStringLiteral("SELECT query_item_id FROM result_lists WHERE model_id = ?"));
    std::set<std::int64_t> out;
    for (q.bind(modelId).exec(); q.next();)
        out.insert(q.int64(0));
    return out;
}

std::map<std::int64_t, std::vector<std::pair<std::int64_t, int>>> frozenListLengths(const Project &project)
{
    Sql q = query(project, QStringLiteral("SELECT model_id, query_item_id, COUNT(*) FROM result_entries "
                                          "WHERE query_item_id IN (SELECT item_id FROM queries) "
                                          "GROUP BY model_id, query_item_id ORDER BY model_id, query_item_id"));
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, int>>> out;
    for (q.exec(); q.next();)
        out[q.int64(0)].emplace_back(q.int64(1), static_cast<int>(q.int64(2)));
    return out;
}

void forEachFrozenEntry(const Project &project,
                        const std::function<void(std::int64_t modelId, std::int64_t query, std::int64_t candidate)> &f)
{
    Sql q = query(project, QStringLiteral("SELECT model_id, query_item_id, candidate_item_id FROM result_entries "
                                          "WHERE query_item_id IN (SELECT item_id FROM queries) "
                                          "ORDER BY model_id, query_item_id, rank"));
    for (q.exec(); q.next();)
        f(q.int64(0), q.int64(1), q.int64(2));
}

void forEachFrozenEntry(const Project &project, std::int64_t modelId,
                        const std::function<void(std::int64_t query, std::int64_t candidate)> &f)
{
    Sql q = query(project, QStringLiteral("SELECT query_item_id, candidate_item_id FROM result_entries WHERE model_id = ? "
                                          "AND query_item_id IN (SELECT item_id FROM queries) ORDER BY query_item_id, rank"));
    for (q.bind(modelId).exec(); q.next();)
        f(q.int64(0), q.int64(1));
}

std::set<std::pair<std::int64_t, std::int64_t>> frozenPairs(const Project &project)
{
    Sql q = query(project, QStringLiteral("SELECT DISTINCT query_item_id, candidate_item_id FROM result_entries "
                                          "WHERE query_item_id IN (SELECT item_id FROM queries)"));
    std::set<std::pair<std::int64_t, std::int64_t>> out;
    for (q.exec(); q.next();)
        out.emplace(q.int64(0), q.int64(1));
    return out;
}

std::vector<std::int64_t> modelsWithFrozenLists(const Project &project)
{
    Sql q = query(project, QStringLiteral("SELECT DISTINCT model_id FROM result_lists"));
    std::vector<std::int64_t> out;
    for (q.exec(); q.next();)
        out.push_back(q.int64(0));
    return out;
}

std::pair<std::int64_t, std::string> frozenListsStamp(const Project &project)
{
    Sql q = query(project, QStringLiteral("SELECT COUNT(*), COALESCE(MAX(frozen_at), '') FROM result_lists"));
    q.exec();
    q.next();
    return {q.int64(0), q.text(1)};
}

std::map<std::string, std::int64_t> frozenListsBySearch(const Project &project, const ModelVersion &version)
{
    Sql q = query(project, QStringLiteral("SELECT index_kind, COUNT(*) FROM result_lists WHERE model_id = ? "
                                          "GROUP BY index_kind"));
    std::map<std::string, std::int64_t> out;
    for (q.bind(version.id).exec(); q.next();)
        out[q.text(0)] = q.int64(1);
    return out;
}

} // namespace lookalike
