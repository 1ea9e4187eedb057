// Indexing a model version, the use case behind `lookalike index`, the demo and anything else
// that adds a version: register it (fingerprinted), import its precomputed embeddings or embed
// the catalog with it (resumably), then build its neighbour index and freeze the query set's
// lists at the project's depth, recording that depth the first time. The CLI parses and
// prints; the sequence and its rules live here.
#pragma once

#include "core/index/NeighbourIndex.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "core/project/ModelVersion.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace lookalike {

class Project;

struct IndexVersionRequest {
    std::string name;
    ModelKind kind = ModelKind::Siglip;
    std::filesystem::path source;   // SigLIP folder, TorchScript module or .npy
    std::filesystem::path ids;      // precomputed: the catalog id of each row
    int threads = 0;                // model threads (0: one per core)
    // SigLIP: bf16 products (recorded in the version's config). nullopt: auto (resolvePrecision:
    // the version's own when it exists, else bf16 where the CPU has it). The default stays fp32
    // so that the demo and the tests give the same numbers on every CPU; the CLI defaults to auto.
    std::optional<Precision> precision = Precision::Fp32;
    EmbeddingOptions embedding;     // batch size, workers, limit, retry, cancel, progress
    IndexOptions index;
    bool checkRecall = false;
    std::optional<int> depth;       // default: the project's result depth
    bool refreeze = false;
    bool excludeDuplicates = false;
    std::function<void(const std::filesystem::path &)> beforeFingerprint; // e.g. "fingerprinting ..."
    std::function<void()> beforeCommit; // the tests' way to fail at the last moment
    // Told once the version is registered: a failure before it leaves the project unchanged,
    // one after it keeps what was embedded. `schedule` says how the model will run (precision,
    // lanes; ImageEncoder::schedule), empty for precomputed embeddings.
    std::function<void(const ModelVersion &, const std::string &schedule)> onRegistered;
    // Runs the embedding step (`run` with the options to use): the CLI's progress bar and
    // Ctrl-C handling live around the embedding only. Default: run(embedding).
    using EmbedStep = std::function<EmbeddingSummary(const EmbeddingOptions &)>;
    std::function<EmbeddingSummary(const EmbedStep &run)> aroundEmbedding;
};

struct IndexVersionReport {
    ModelVersion version;
    std::optional<PrecomputedImportReport> imported; // precomputed versions
    std::optional<EmbeddingSummary> embedded;        // model versions
    // Embedding stopped (interrupted, or at the limit) with items pending: no index, no lists.
    bool complete = false;
    std::optional<IndexAndFreezeReport> indexed;     // when complete and the index was built
    int depth = 0;                                   // the depth the lists were frozen at
    // The index or the lists failed after the embeddings were committed: the previous index
    // and every frozen list are as they were; the embeddings are kept.
    std::optional<std::string> indexFailure;
};

// Throws (nothing registered or embedded beyond what was committed) for a bad model, a name
// taken by other weights, a bad .npy or ids file.
IndexVersionReport indexVersion(Project &project, const IndexVersionRequest &request);

} // namespace lookalike
