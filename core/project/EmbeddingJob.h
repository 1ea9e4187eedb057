// Embedding a project's catalog with one model version, resumably.
//
// Items are embedded in id order, in fixed batches, on worker threads that decode and
// preprocess while the model runs the previous batch. After each batch the raw and the
// L2-normalised vectors are appended to the version's side files, made durable, and only then
// recorded in the database (EmbeddingStore.h). A run that is interrupted (Ctrl-C,
// kill -9, power loss) loses at most the batch in flight; the next run truncates the side
// files to what the database recorded and continues with the same batch boundaries, so the
// result equals an uninterrupted run.
#pragma once

#include "core/project/EmbeddingStore.h"
#include "core/project/ModelVersion.h"
#include "core/util/FloatMatrix.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct EmbeddingProgress {
    std::int64_t done = 0;    // items embedded or failed, this run and earlier ones
    std::int64_t total = 0;   // items the version will have when this run completes
    std::int64_t failed = 0;  // items whose image could not be used (this run and earlier)
    double itemsPerSecond = 0; // this run
    double etaSeconds = 0;
};

struct EmbeddingOptions {
    int batchSize = 32;
    int workers = 0;          // decoding threads; 0 = one per core
    std::int64_t limit = -1;  // embed at most this many items this run (rounded up to whole batches)
    bool retryFailed = false; // try again the items that failed in earlier runs
    std::function<void(const EmbeddingProgress &)> onProgress; // after every committed batch
    const std::atomic<bool> *cancel = nullptr;                 // checked after every batch
};

struct EmbeddingSummary {
    std::int64_t embeddedThisRun = 0;
    std::int64_t embeddedTotal = 0;
    std::int64_t pending = 0;        // still to embed (after a limit or an interruption)
    std::int64_t failedTotal = 0;
    std::vector<EmbeddingFailure> failuresThisRun;
    bool interrupted = false;
    double seconds = 0;
};

EmbeddingSummary embedCatalog(Project &project, const ModelVersion &version, const ImageEncoder &encoder,
                              const EmbeddingOptions &options);

// Embeds `items` in the order given, in batches on the same pipeline as embedCatalog, but
// hands each batch to `sink` instead of the project's side files: for shards of a catalog,
// which are written to a folder of their own (EmbeddingShards.h). options.limit is ignored.
using EmbeddingSink = std::function<void(const FloatMatrix &raw, const std::vector<std::int64_t> &itemIds,
                                         const std::vector<EmbeddingFailure> &failures)>;
EmbeddingSummary embedItems(const std::vector<ItemToEmbed> &items, const ImageEncoder &encoder,
                            const EmbeddingOptions &options, const EmbeddingSink &sink);

struct PrecomputedImportReport {
    std::int64_t imported = 0;
    std::int64_t unknownIds = 0;               // ids of the file that the catalog does not have
    std::vector<std::string> unknownExamples;  // the first few
    std::int64_t catalogItemsWithout = 0;      // catalog items the file has no vector for
    bool alreadyImported = false;
};

// Kind 3: vectors computed elsewhere. `npy` is N x D float32, `idsFile` holds N catalog ids,
// one per line, in the same order. Throws naming the file for a count mismatch or duplicates.
PrecomputedImportReport importPrecomputedEmbeddings(Project &project, const ModelVersion &version,
                                                    const std::filesystem::path &npy,
                                                    const std::filesystem::path &idsFile);

} // namespace lookalike
