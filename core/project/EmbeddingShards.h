// Sharded embedding of a big catalog: N machines (or N cluster jobs), each with its own copy
// of the project, embed one slice each (`lookalike index --shard I/N`) into a self-describing
// shard folder; `lookalike merge-shards` checks that the N shards together embed every catalog
// item exactly once with the same model, and records them as the version's embeddings.
//
// Partition: item with catalog key K goes to shard FNV-1a-64(UTF-8 bytes of K) mod N. It uses
// the catalog key, not the project's local item id, because local ids depend on the import
// history of each copy; a key hash stays the same on every machine whatever the import order,
// and spreads items evenly however the keys are numbered.
//
// A shard folder holds:
//   shard.json      the manifest (written last: its presence means the shard is complete)
//   raw.npy         float32 rows x D, the model's output, rows in the order of "items"
//   normalized.npy  the same rows L2-normalised
// shard.json: {"format": "lookalike-shard", "version": 1, "shard": I, "shards": N,
//   "partition": "fnv1a64(item key) mod shards", "model": {"name", "kind", "fingerprint" (sha256
//   of the weights), "config", "dimension"}, "catalog": {"items": count, "fingerprint": sha256
//   of the sorted keys joined by newlines}, "items": [keys in row order],
//   "failed": [{"key", "reason"}] (images that could not be used), "created_at"}.
#pragma once

#include "core/project/EmbeddingJob.h"
#include "core/project/ModelVersion.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;

struct ShardSpec {
    int index = 0; // 0-based
    int count = 1;
};

// "I/N" with 0 <= I < N; throws Error(InvalidArgument) for anything else.
ShardSpec parseShardSpec(const std::string &text);
std::string shardLabel(int index, int count); // "I/N"
// `--shard auto --shards N`: shard I of `count` taken from the job array a cluster runs this
// process in: SLURM_ARRAY_TASK_ID (Slurm; minus SLURM_ARRAY_TASK_MIN when set, so --array=1-4
// works too), else JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs). `source` receives what was
// used, e.g. "SLURM_ARRAY_TASK_ID=3". Throws Error(InvalidArgument) naming the variables when
// neither is set, a value is not a number, the index is outside 0..count-1, or the array's
// SLURM_ARRAY_TASK_COUNT is not `count` (a shard would be missed or embedded twice).
ShardSpec shardFromEnvironment(int count, std::string *source = nullptr);
// The shard (0..count-1) of a catalog key: FNV-1a-64 of its UTF-8 bytes mod count.
int shardOfKey(const std::string &key, int count);
// SHA-256 (hex) of the catalog's sorted item keys joined by '\n'.
std::string catalogFingerprint(const Project &project);

struct ShardManifest {
    ShardSpec spec;
    std::string modelName;
    std::string modelKind;
    std::string modelFingerprint;
    std::string modelConfig;
    int dimension = 0;
    std::int64_t catalogItems = 0;
    std::string catalogFingerprint;
    std::vector<std::string> keys;                           // row order of the .npy files
    std::vector<std::pair<std::string, std::string>> failed; // (key, reason)
};

// Reads and checks <folder>/shard.json and the shapes of its .npy files; throws naming the file.
ShardManifest readShard(const std::filesystem::path &folder);

struct ShardEmbedReport {
    EmbeddingSummary summary;
    std::int64_t items = 0; // catalog items in this shard
};

// Embeds the catalog items of shard `spec` with `encoder` (the model described by `version`,
// which need not be registered in the project: nothing is written to it) into `folder`. The
// folder must not exist; it is written as <folder>.partial and renamed when complete, so an
// interrupted or failed run leaves no shard that merge-shards would take (summary.interrupted
// then; run again to start the shard over).
ShardEmbedReport embedShard(const Project &project, const ModelVersion &version, const ImageEncoder &encoder,
                            ShardSpec spec, const std::filesystem::path &folder, const EmbeddingOptions &options);

struct ShardMergeReport {
    int shards = 0;
    std::int64_t embedded = 0;
    std::int64_t failed = 0;
};

// Checks the shard folders together - all N present once, the same N, model fingerprint,
// config and dimension as `version`, every catalog item in exactly one shard (the one its key
// hashes to), no unknown keys - and only then writes the version's side files (rows in item id
// order, as `lookalike index` writes them) and records the rows and failures in one
// transaction. Throws Error naming the shard file and the problem; the project is unchanged
// then. The version must have no embeddings yet.
ShardMergeReport mergeShards(Project &project, const ModelVersion &version,
                             const std::vector<std::filesystem::path> &folders);

// `lookalike merge-shards` in one step: checks every shard's model fingerprint against
// `candidate` before anything is written, registers the version (or finds it, if registered
// with the same model), and merges the shards into it. All or nothing: a version registered
// here is removed again if the merge fails, so a refused merge leaves the project as it was.
ShardMergeReport mergeShardsIntoVersion(Project &project, const ModelVersion &candidate,
                                        const std::vector<std::filesystem::path> &folders);

} // namespace lookalike
