// Building, loading and searching a version's neighbour index; frozen result lists.
#include "core/project/ModelIndex.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/Project.h"
#include "core/project/QuerySampler.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

// The committed rows of the normalised side file: a killed writer may have left more.
FloatMatrix committedNormalized(const Project &project, const ModelVersion &version, std::int64_t rows)
{
    const fs::path file = normalizedEmbeddingsFile(project, version);
    if (rows == 0)
        return FloatMatrix(0, version.dimension);
    FloatMatrix m = readNpyMatrix(file);
    if (m.rows < rows || m.cols != version.dimension)
        throw Error(ErrorCode::InvalidArgument, file.string(),
                    "holds " + std::to_string(m.rows) + " x " + std::to_string(m.cols) + " but the project recorded "
                        + std::to_string(rows) + " x " + std::to_string(version.dimension)
                        + "; run `lookalike index` again to repair it");
    m.rows = rows;
    m.data.resize(static_cast<std::size_t>(rows * m.cols));
    return m;
}

std::vector<Hit> toHits(const std::vector<Neighbour> &neighbours, const std::vector<std::int64_t> &rowItems)
{
    std::vector<Hit> hits;
    hits.reserve(neighbours.size());
    for (const Neighbour &n : neighbours)
        hits.push_back({rowItems[static_cast<std::size_t>(n.row)], n.score});
    // The documented tie rule: equal scores in catalog order (item id ascending).
    std::stable_sort(hits.begin(), hits.end(), [](const Hit &a, const Hit &b) {
        return a.score != b.score ? a.score > b.score : a.itemId < b.itemId;
    });
    return hits;
}

} // namespace

IndexBuildReport buildNeighbourIndex(Project &project, const ModelVersion &version, const IndexOptions &options,
                                     bool checkRecall, int recallQueries)
{
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::int64_t> items = embeddedItemIds(project, version);
    if (items.empty())
        throw Error(ErrorCode::InvalidArgument, project.folder().string(),
                    "model version '" + version.name + "' has no embeddings to index");
    const FloatMatrix vectors = committedNormalized(project, version, static_cast<std::int64_t>(items.size()));
    const NeighbourIndex index = NeighbourIndex::build(vectors, options);
    const fs::path file = modelDirectory(project, version) / "index.faiss";
    index.save(file);

    IndexBuildReport report;
    report.kind = options.kind;
    report.rows = vectors.rows;
    if (checkRecall && options.kind != IndexKind::Exact) {
        const NeighbourIndex exact = NeighbourIndex::build(vectors, IndexOptions{});
        SeededRandom random(options.seed);
        std::set<std::int64_t> sample;
        const auto want = std::min<std::int64_t>(recallQueries, vectors.rows);
        while (static_cast<std::int64_t>(sample.size()) < want)
            sample.insert(static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(vectors.rows))));
        const std::vector<std::int64_t> rows(sample.begin(), sample.end());
        const auto approx = searchExcludingSelf(index, vectors, rows, 10, false);
        const auto truth = searchExcludingSelf(exact, vectors, rows, 10, false);
        double sum = 0;
        for (std::size_t q = 0; q < rows.size(); ++q) {
            std::set<std::int64_t> expected;
            for (const Neighbour &n : truth[q])
                expected.insert(n.row);
            std::size_t found = 0;
            for (const Neighbour &n : approx[q])
                found += expected.count(n.row);
            sum += expected.empty() ? 1.0 : static_cast<double>(found) / static_cast<double>(expected.size());
        }
        report.recallAt10 = sum / static_cast<double>(rows.size());
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    Sql upsert(project.database(), project.databaseFile().string(),
               QStringLiteral("INSERT OR REPLACE INTO neighbour_indexes (model_id, kind, file, rows, recall_at_10, built_at) "
                              "VALUES (?, ?, ?, ?, ?, ?)"));
    upsert.bind(version.id).bind(std::string(indexKindName(options.kind))).bind(file.filename().string())
        .bind(report.rows)
        .bind(report.recallAt10 ? QVariant(*report.recallAt10) : QVariant())
        .bind(nowIso8601())
        .exec();
    return report;
}

struct ModelIndex::Impl {
    NeighbourIndex index;
    FloatMatrix vectors;
    std::vector<std::int64_t> rowItems;
    std::unordered_map<std::int64_t, std::int64_t> itemRows;
};

ModelIndex::ModelIndex(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
ModelIndex::ModelIndex(ModelIndex &&) noexcept = default;
ModelIndex &ModelIndex::operator=(ModelIndex &&) noexcept = default;
ModelIndex::~ModelIndex() = default;

ModelIndex ModelIndex::load(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT file, rows FROM neighbour_indexes WHERE model_id = ?"));
    q.bind(version.id).exec();
    if (!q.next())
        throw Error(ErrorCode::NotFound, project.folder().string(),
                    "model version '" + version.name + "' has no neighbour index yet; run `lookalike index`");
    const fs::path file = modelDirectory(project, version) / q.text(0);
    const std::int64_t rows = q.int64(1);
    std::vector<std::int64_t> items = embeddedItemIds(project, version);
    if (static_cast<std::int64_t>(items.size()) < rows)
        throw Error(ErrorCode::InvalidArgument, file.string(), "the index is newer than the embeddings; rebuild it");
    items.resize(static_cast<std::size_t>(rows)); // items embedded after the index was built are not in it
    auto impl = std::unique_ptr<Impl>(new Impl{NeighbourIndex::load(file), committedNormalized(project, version, rows),
                                               std::move(items), {}});
    if (impl->index.size() != rows)
        throw Error(ErrorCode::InvalidArgument, file.string(),
                    "holds " + std::to_string(impl->index.size()) + " vectors but the project recorded "
                        + std::to_string(rows) + "; rebuild it with `lookalike index`");
    for (std::size_t r = 0; r < impl->rowItems.size(); ++r)
        impl->itemRows[impl->rowItems[r]] = static_cast<std::int64_t>(r);
    return ModelIndex(std::move(impl));
}

IndexKind ModelIndex::kind() const
{
    return d->index.kind();
}

std::int64_t ModelIndex::size() const
{
    return d->index.size();
}

bool ModelIndex::contains(std::int64_t itemId) const
{
    return d->itemRows.count(itemId) != 0;
}

std::map<std::int64_t, std::vector<Hit>> ModelIndex::neighboursOfItems(const std::vector<std::int64_t> &itemIds, int k,
                                                                       bool excludeDuplicates) const
{
    std::vector<std::int64_t> queryItems, rows;
    for (std::int64_t id : itemIds) {
        const auto it = d->itemRows.find(id);
        if (it != d->itemRows.end()) {
            queryItems.push_back(id);
            rows.push_back(it->second);
        }
    }
    std::map<std::int64_t, std::vector<Hit>> out;
    if (rows.empty())
        return out;
    const auto results = searchExcludingSelf(d->index, d->vectors, rows, k, excludeDuplicates);
    for (std::size_t q = 0; q < queryItems.size(); ++q)
        out[queryItems[q]] = toHits(results[q], d->rowItems);
    return out;
}

std::vector<Hit> ModelIndex::neighboursOfVector(std::span<const float> normalized, int k) const
{
    if (static_cast<int>(normalized.size()) != d->index.dimension())
        throw Error(ErrorCode::InvalidArgument, {},
                    "a " + std::to_string(normalized.size()) + "-dimensional query for a "
                        + std::to_string(d->index.dimension()) + "-dimensional index");
    FloatMatrix query(1, static_cast<std::int64_t>(normalized.size()));
    std::copy(normalized.begin(), normalized.end(), query.data.begin());
    return toHits(d->index.search(query, k).front(), d->rowItems);
}

FreezeReport freezeResultLists(Project &project, const ModelVersion &version, int depth, bool refreeze,
                               bool excludeDuplicates)
{
    const std::string file = project.databaseFile().string();
    std::set<std::int64_t> frozen;
    {
        Sql q(project.database(), file, QStringLiteral("SELECT query_item_id FROM result_lists WHERE model_id = ?"));
        for (q.bind(version.id).exec(); q.next();)
            frozen.insert(q.int64(0));
    }
    FreezeReport report;
    std::vector<std::int64_t> todo;
    for (std::int64_t query : project.queryItemIds()) {
        if (!refreeze && frozen.count(query))
            ++report.alreadyFrozen;
        else
            todo.push_back(query);
    }
    if (todo.empty())
        return report;
    const ModelIndex index = ModelIndex::load(project, version);
    const auto lists = index.neighboursOfItems(todo, depth, excludeDuplicates);
    report.notEmbedded = static_cast<std::int64_t>(todo.size() - lists.size());
    const std::string kind = indexKindName(index.kind());
    project.inTransaction([&] {
        Sql drop(project.database(), file,
                 QStringLiteral("DELETE FROM result_lists WHERE model_id = ? AND query_item_id = ?"));
        Sql list(project.database(), file,
                 QStringLiteral("INSERT INTO result_lists (model_id, query_item_id, depth, index_kind, frozen_at) "
                                "VALUES (?, ?, ?, ?, ?)"));
        Sql entry(project.database(), file,
                  QStringLiteral("INSERT INTO result_entries (model_id, query_item_id, rank, candidate_item_id, score) "
                                 "VALUES (?, ?, ?, ?, ?)"));
        const std::string now = nowIso8601();
        for (const auto &[query, hits] : lists) {
            drop.bind(version.id).bind(query).exec(); // entries go with it (ON DELETE CASCADE)
            list.bind(version.id).bind(query).bind(std::int64_t(depth)).bind(kind).bind(now).exec();
            for (std::size_t r = 0; r < hits.size(); ++r)
                entry.bind(version.id).bind(query).bind(static_cast<std::int64_t>(r + 1)).bind(hits[r].itemId)
                    .bind(QVariant(static_cast<double>(hits[r].score)))
                    .exec();
            ++report.frozen;
        }
    });
    return report;
}

std::vector<ResultEntry> frozenResultList(const Project &project, const ModelVersion &version, std::int64_t queryItemId)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT rank, candidate_item_id, score FROM result_entries WHERE model_id = ? AND "
                         "query_item_id = ? ORDER BY rank"));
    std::vector<ResultEntry> out;
    for (q.bind(version.id).bind(queryItemId).exec(); q.next();)
        out.push_back({static_cast<int>(q.int64(0)), q.int64(1), q.value(2).toFloat()});
    return out;
}

} // namespace lookalike
