// A model version's neighbour index over its normalised embeddings: building it, searching it
// by item or by vector, and freezing the result lists of the query set (stored through
// FrozenLists.h, which this header brings along).
#pragma once

#include "core/index/NeighbourIndex.h"
#include "core/project/FrozenLists.h"
#include "core/project/ModelVersion.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct IndexBuildReport {
    IndexKind kind = IndexKind::Exact;
    std::int64_t rows = 0;
    double seconds = 0;
    std::optional<double> recallAt10; // approximate vs exact, query excluded from both lists
};

// Builds the index over every committed embedding of `version`, saves it next to them and
// records it. With checkRecall and an approximate kind, measures recall@10 against exact
// search on a seeded sample of up to `recallQueries` items.
//
// All or nothing: the new index is written under a fresh name (index-<time>-<pid>-<n>.faiss),
// recorded in a transaction, and only then is the previous file deleted; a failure at any
// point deletes the new file and leaves the previous index and its record as they were. The
// vectors are read from normalized.npy in chunks (see NeighbourIndex::build), except that
// checkRecall loads them all for the exact reference.
IndexBuildReport buildNeighbourIndex(Project &project, const ModelVersion &version, const IndexOptions &options,
                                     bool checkRecall, int recallQueries = 200);

struct Hit {
    std::int64_t itemId = 0;
    float score = 0; // cosine similarity
};

class ModelIndex {
public:
    // Throws NotFound if the version has no index yet.
    static ModelIndex load(const Project &project, const ModelVersion &version);
    // An index file over the first `rows` embeddings of the version, recorded or not (yet).
    static ModelIndex open(const Project &project, const ModelVersion &version, const std::filesystem::path &file,
                           std::int64_t rows);

    ModelIndex(ModelIndex &&) noexcept;
    ModelIndex &operator=(ModelIndex &&) noexcept;
    ~ModelIndex();

    IndexKind kind() const;
    std::int64_t size() const;
    bool contains(std::int64_t itemId) const;

    // Nearest items to catalog items (never the item itself; with excludeDuplicates, never an
    // item whose embedding equals it). Sorted by score, ties by item id. Items without an
    // embedding are left out of the map.
    std::map<std::int64_t, std::vector<Hit>> neighboursOfItems(const std::vector<std::int64_t> &itemIds, int k,
                                                               bool excludeDuplicates) const;
    // Nearest items to an arbitrary L2-normalised vector (a text or a new image).
    std::vector<Hit> neighboursOfVector(std::span<const float> normalized, int k) const;

private:
    struct Impl;
    explicit ModelIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

struct FreezeReport {
    std::int64_t frozen = 0;
    std::int64_t alreadyFrozen = 0;
    std::int64_t notEmbedded = 0; // queries the version has no embedding for
};

// Computes and stores (rank, candidate, score) at `depth` for every query of the set that has
// no list for `version` yet; with refreeze, recomputes all of them. Frozen lists are what the
// metrics use, so re-indexing never changes a reported number unless asked to.
FreezeReport freezeResultLists(Project &project, const ModelVersion &version, int depth, bool refreeze,
                               bool excludeDuplicates);

struct IndexAndFreezeReport {
    IndexBuildReport built;
    FreezeReport frozen;
};

// `lookalike index` in one step: builds a new index (as buildNeighbourIndex), computes the
// result lists to freeze from it, then records the index and writes the lists in ONE
// transaction. If anything fails (a build error, a full disk, `beforeCommit` throwing - the
// tests' way to fail at the last moment), the new index file is deleted and the previous
// index, its record and every frozen list are exactly as before.
IndexAndFreezeReport buildIndexAndFreeze(Project &project, const ModelVersion &version, const IndexOptions &options,
                                         bool checkRecall, int depth, bool refreeze, bool excludeDuplicates,
                                         const std::function<void()> &beforeCommit = {});

// The file name of the version's recorded index (relative to its model directory), if any.
std::optional<std::string> recordedIndexFile(const Project &project, const ModelVersion &version);
// The kind of the version's recorded index ("exact", "hnsw", "ivfpq"), if it has one.
std::optional<std::string> recordedIndexKind(const Project &project, const ModelVersion &version);


} // namespace lookalike
