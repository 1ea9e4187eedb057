// Building, loading and searching a version's neighbour index; frozen result lists.
#include "core/project/ModelIndex.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/Project.h"
#include "core/project/QuerySampler.h"
#include "core/project/Sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>

#include <algorithm>
#include <chrono>
#include <cmath>
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

namespace {

struct BuiltIndex {
    IndexBuildReport report;
    fs::path file; // under a fresh name, not recorded yet
};

// An index file and what goes with it (an exact index's 8-bit codes).
void removeIndexFile(const fs::path &file)
{
    std::error_code ec;
    fs::remove(file, ec);
    fs::remove(NeighbourIndex::codesFileFor(file), ec);
}

// A name no other build uses, so the recorded index stays untouched until the new one is.
fs::path freshIndexFile(const fs::path &dir)
{
    static int counter = 0;
    std::string stamp = nowIso8601();
    std::erase_if(stamp, [](char c) { return c == ':' || c == '-'; });
    return dir / ("index-" + stamp + "-" + std::to_string(QCoreApplication::applicationPid()) + "-"
                  + std::to_string(counter++) + ".faiss");
}

// The first of `rows` rows holding a NaN or an infinity, or -1.
std::int64_t firstNonFiniteRow(const NpyRowReader &reader, std::int64_t rows)
{
    constexpr std::int64_t kChunk = 1024;
    std::vector<float> buffer;
    for (std::int64_t first = 0; first < rows; first += kChunk) {
        const std::int64_t n = std::min(kChunk, rows - first);
        buffer.resize(static_cast<std::size_t>(n * reader.cols()));
        reader.read(first, n, buffer.data());
        for (std::size_t i = 0; i < buffer.size(); ++i)
            if (!std::isfinite(buffer[i]))
                return first + static_cast<std::int64_t>(i) / reader.cols();
    }
    return -1;
}

BuiltIndex buildIndexFile(Project &project, const ModelVersion &version, const IndexOptions &options,
                          bool checkRecall, int recallQueries)
{
    const auto start = std::chrono::steady_clock::now();
    const auto items = static_cast<std::int64_t>(embeddedItemIds(project, version).size());
    if (items == 0)
        throw Error(ErrorCode::InvalidArgument, project.folder().string(),
                    "model version '" + version.name + "' has no embeddings to index");
    const fs::path vectorsFile = normalizedEmbeddingsFile(project, version);
    const NpyRowReader reader = NpyRowReader::open(vectorsFile);
    if (reader.rows() < items || reader.cols() != version.dimension)
        throw Error(ErrorCode::InvalidArgument, vectorsFile.string(),
                    "holds " + std::to_string(reader.rows()) + " x " + std::to_string(reader.cols())
                        + " but the project recorded " + std::to_string(items) + " x "
                        + std::to_string(version.dimension) + "; run `lookalike index` again to repair it");
    const NeighbourIndex index = [&] {
        try {
            return NeighbourIndex::build(reader, items, options);
        } catch (const Error &e) {
            // A NaN or infinite embedding (a broken model or file): say which model and which
            // catalog item, not the row number the index saw.
            const std::int64_t row = e.code() == ErrorCode::InvalidArgument ? firstNonFiniteRow(reader, items) : -1;
            if (row < 0)
                throw;
            const std::vector<std::int64_t> ids = embeddedItemIds(project, version);
            const Item item = project.item(ids[static_cast<std::size_t>(row)]);
            throw Error(ErrorCode::InvalidArgument, vectorsFile.string(),
                        "model version '" + version.name + "' gave catalog item '" + (item.key.size() > 80 ? item.key.substr(0, 80) + "..." : item.key)
                            + "' (" + item.image.filename().string()
                            + ") an embedding with NaN or infinite values; no index was built. Check the model ("
                            + version.source.string() + ") or remove that item's image and index again");
        }
    }();
    BuiltIndex built;
    built.file = freshIndexFile(modelDirectory(project, version));
    index.save(built.file);

    IndexBuildReport &report = built.report;
    report.kind = options.kind; // as asked (below 256 rows IVF-PQ is built exact, see NeighbourIndex.cpp)
    report.rows = items;
    try {
        if (checkRecall && options.kind != IndexKind::Exact) {
            const FloatMatrix vectors = committedNormalized(project, version, items);
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
    } catch (...) {
        removeIndexFile(built.file);
        throw;
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return built;
}

// Inside the caller's transaction.
void recordIndex(Project &project, const ModelVersion &version, const BuiltIndex &built)
{
    Sql upsert(project.database(), project.databaseFile().string(),
               QStringLiteral("INSERT OR REPLACE INTO neighbour_indexes (model_id, kind, file, rows, recall_at_10, built_at) "
                              "VALUES (?, ?, ?, ?, ?, ?)"));
    upsert.bind(version.id).bind(std::string(indexKindName(built.report.kind))).bind(built.file.filename().string())
        .bind(built.report.rows)
        .bind(built.report.recallAt10 ? QVariant(*built.report.recallAt10) : QVariant())
        .bind(nowIso8601())
        .exec();
}

// After the commit: the previous index, and new files of builds that died before theirs.
void removeOtherIndexFiles(const fs::path &keep)
{
    std::error_code ec;
    const fs::path keepCodes = NeighbourIndex::codesFileFor(keep).filename();
    for (const auto &entry : fs::directory_iterator(keep.parent_path(), ec)) {
        const std::string name = entry.path().filename().string();
        const bool indexFile = name.rfind("index", 0) == 0
            && (entry.path().extension() == ".faiss" || name.ends_with(".faiss.codes"));
        if (indexFile && entry.path().filename() != keep.filename() && entry.path().filename() != keepCodes)
            fs::remove(entry.path(), ec); // best effort: a leftover costs disk space, never correctness
    }
}

// Records `built` with `inside` in one transaction; on failure deletes the new file.
void commitIndex(Project &project, const ModelVersion &version, const BuiltIndex &built,
                 const std::function<void()> &inside)
{
    try {
        project.inTransaction([&] {
            recordIndex(project, version, built);
            if (inside)
                inside();
        });
    } catch (...) {
        removeIndexFile(built.file);
        throw;
    }
    removeOtherIndexFiles(built.file);
}

// The queries whose lists are to be (re)computed.
std::vector<std::int64_t> listsToFreeze(const Project &project, const ModelVersion &version, bool refreeze,
                                        FreezeReport &report)
{
    const std::set<std::int64_t> frozen = frozenQueries(project, version.id);
    std::vector<std::int64_t> todo;
    for (std::int64_t query : project.queryItemIds()) {
        if (!refreeze && frozen.count(query))
            ++report.alreadyFrozen;
        else
            todo.push_back(query);
    }
    return todo;
}

// Inside the caller's transaction.
void writeLists(Project &project, const ModelVersion &version, const std::map<std::int64_t, std::vector<Hit>> &lists,
                int depth, IndexKind indexKind, FreezeReport &report)
{
    std::vector<FrozenList> frozen;
    frozen.reserve(lists.size());
    for (const auto &[query, hits] : lists) {
        FrozenList &l = frozen.emplace_back();
        l.queryItemId = query;
        for (const Hit &h : hits)
            l.candidates.emplace_back(h.itemId, h.score);
    }
    writeFrozenLists(project, version.id, frozen, depth, indexKindName(indexKind));
    report.frozen += static_cast<std::int64_t>(frozen.size());
}

} // namespace

IndexBuildReport buildNeighbourIndex(Project &project, const ModelVersion &version, const IndexOptions &options,
                                     bool checkRecall, int recallQueries)
{
    const BuiltIndex built = buildIndexFile(project, version, options, checkRecall, recallQueries);
    commitIndex(project, version, built, {});
    return built.report;
}

IndexAndFreezeReport buildIndexAndFreeze(Project &project, const ModelVersion &version, const IndexOptions &options,
                                         bool checkRecall, int depth, bool refreeze, bool excludeDuplicates,
                                         const std::function<void()> &beforeCommit)
{
    IndexAndFreezeReport report;
    const BuiltIndex built = buildIndexFile(project, version, options, checkRecall, 200);
    report.built = built.report;
    std::map<std::int64_t, std::vector<Hit>> lists;
    std::vector<std::int64_t> todo;
    try {
        todo = listsToFreeze(project, version, refreeze, report.frozen);
        if (!todo.empty()) {
            const ModelIndex index = ModelIndex::open(project, version, built.file, built.report.rows);
            lists = index.neighboursOfItems(todo, depth, excludeDuplicates);
        }
    } catch (...) {
        removeIndexFile(built.file);
        throw;
    }
    report.frozen.notEmbedded = static_cast<std::int64_t>(todo.size() - lists.size());
    commitIndex(project, version, built, [&] {
        writeLists(project, version, lists, depth, built.report.kind, report.frozen);
        if (beforeCommit)
            beforeCommit();
    });
    return report;
}

std::optional<std::string> recordedIndexFile(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT file FROM neighbour_indexes WHERE model_id = ?"));
    q.bind(version.id).exec();
    if (!q.next())
        return std::nullopt;
    return q.text(0);
}

std::optional<std::string> recordedIndexKind(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT kind FROM neighbour_indexes WHERE model_id = ?"));
    q.bind(version.id).exec();
    if (!q.next())
        return std::nullopt;
    return q.text(0);
}

struct ModelIndex::Impl {
    NeighbourIndex index;
    // normalized.npy, read a row at a time when a search needs one: never loaded whole, so that
    // freezing lists over a million items does not need the 3 GB matrix in memory.
    NpyRowReader vectors;
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
    requireEmbeddings(version, "search for neighbours");
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT file, rows FROM neighbour_indexes WHERE model_id = ?"));
    q.bind(version.id).exec();
    if (!q.next())
        throw Error(ErrorCode::NotFound, project.folder().string(),
                    "model version '" + version.name + "' has no neighbour index yet; run `lookalike index`");
    return open(project, version, modelDirectory(project, version) / q.text(0), q.int64(1));
}

ModelIndex ModelIndex::open(const Project &project, const ModelVersion &version, const fs::path &file,
                            std::int64_t rows)
{
    std::vector<std::int64_t> items = embeddedItemIds(project, version);
    if (static_cast<std::int64_t>(items.size()) < rows)
        throw Error(ErrorCode::InvalidArgument, file.string(), "the index is newer than the embeddings; rebuild it");
    items.resize(static_cast<std::size_t>(rows)); // items embedded after the index was built are not in it
    const fs::path vectorsFile = normalizedEmbeddingsFile(project, version);
    NpyRowReader vectors = NpyRowReader::open(vectorsFile);
    if (vectors.rows() < rows || vectors.cols() != version.dimension)
        throw Error(ErrorCode::InvalidArgument, vectorsFile.string(),
                    "holds " + std::to_string(vectors.rows()) + " x " + std::to_string(vectors.cols())
                        + " but the project recorded " + std::to_string(rows) + " x "
                        + std::to_string(version.dimension) + "; run `lookalike index` again to repair it");
    auto impl = std::unique_ptr<Impl>(new Impl{NeighbourIndex::load(file), std::move(vectors), std::move(items), {}});
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
    const auto results = searchExcludingSelf(
        d->index, [this](std::int64_t row, float *into) { d->vectors.read(row, 1, into); }, rows, k, excludeDuplicates);
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
    FreezeReport report;
    const std::vector<std::int64_t> todo = listsToFreeze(project, version, refreeze, report);
    if (todo.empty())
        return report;
    const ModelIndex index = ModelIndex::load(project, version);
    const auto lists = index.neighboursOfItems(todo, depth, excludeDuplicates);
    report.notEmbedded = static_cast<std::int64_t>(todo.size() - lists.size());
    project.inTransaction([&] { writeLists(project, version, lists, depth, index.kind(), report); });
    return report;
}

} // namespace lookalike
