// A version's embeddings, owned in one place: its side files (<model dir>/raw.npy and
// normalized.npy, N x D float32 each, row r of both for the same item) and the two tables that
// give them meaning, embedding_rows (row -> item; only recorded rows count, so a side file may
// hold a torn tail that readers ignore and the next writer truncates) and embedding_failures
// (items whose image could not be used, with the reason). Every reader and writer of those
// files and tables goes through here: the embedding job, shard merging, precomputed imports,
// the index, the map, and `models`.
#pragma once

#include "core/project/ModelVersion.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct EmbeddingFailure {
    std::int64_t itemId = 0;
    std::string reason;
};

struct ItemToEmbed {
    std::int64_t id = 0;
    std::filesystem::path image;
};

std::filesystem::path rawEmbeddingsFile(const Project &project, const ModelVersion &version);
std::filesystem::path normalizedEmbeddingsFile(const Project &project, const ModelVersion &version);

// Rows recorded (embedded items) and items that failed.
struct EmbeddingCounts {
    std::int64_t embedded = 0;
    std::int64_t failed = 0;
};
EmbeddingCounts embeddingCounts(const Project &project, const ModelVersion &version);

// The item ids of rows 0..n-1 of the version's side files (what the database committed).
std::vector<std::int64_t> embeddedItemIds(const Project &project, const ModelVersion &version);

// Catalog items neither embedded nor failed for the version, by id: what a run still has to do.
std::vector<ItemToEmbed> itemsToEmbed(const Project &project, const ModelVersion &version);

// Forgets the version's failures, so that the next run tries those items again.
void forgetEmbeddingFailures(Project &project, const ModelVersion &version);

// Records rows firstRow, firstRow + 1, ... as `itemIds` and the failures (replacing an earlier
// reason for the same item), in one transaction of its own. Call only after
// the rows are durable in both side files: the records are what makes them count.
void recordEmbeddings(Project &project, const ModelVersion &version, std::int64_t firstRow,
                      const std::vector<std::int64_t> &itemIds, const std::vector<EmbeddingFailure> &failures);

// A seeded sample of at most `limit` rows of the version's side files, for views that cannot
// show a whole catalog (the map of a million items): every row when there are that few; else
// the query items (a seeded half of the budget at most) and other items drawn with `seed`.
// Sorted by row; reads only the sampled rows' ids and categories.
struct EmbeddingSample {
    std::int64_t total = 0; // rows the version has
    std::vector<std::int64_t> rows;
    std::vector<std::int64_t> itemIds;    // per row above
    std::vector<std::string> categories;  // per row above
};
EmbeddingSample sampleEmbeddedItems(const Project &project, const ModelVersion &version, std::int64_t limit,
                                    std::uint64_t seed = 1);

} // namespace lookalike
