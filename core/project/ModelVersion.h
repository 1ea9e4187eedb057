// Model versions of a project: a name, a kind and a fingerprint (sha256 of the weights), so
// that embeddings and result lists are never attributed to the wrong model.
#pragma once

#include "core/model/ImageEncoder.h"
#include "core/model/SiglipModel.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

enum class ModelKind {
    Siglip,      // a Hugging Face SigLIP checkpoint folder
    TorchScript, // a TorchScript image encoder + its JSON
    Precomputed, // embeddings computed elsewhere: a float32 .npy (N x D) + an ids file
    Run,         // result lists made elsewhere (lookalike import-run): lists, no embeddings
};

const char *modelKindName(ModelKind kind); // "siglip", "torchscript", "precomputed", "run"
ModelKind parseModelKind(const std::string &name); // throws Error(InvalidArgument)
// A folder with config.json is a SigLIP checkpoint, a .npy file precomputed embeddings,
// any other file a TorchScript module. Throws FileNotFound.
ModelKind detectModelKind(const std::filesystem::path &source);
// The file whose bytes identify the version (model.safetensors, the module, the .npy).
std::filesystem::path weightsFile(ModelKind kind, const std::filesystem::path &source);
// Lower-case hex SHA-256 of a file's bytes; throws naming the file.
std::string sha256OfFile(const std::filesystem::path &file);

struct ModelVersion {
    std::int64_t id = 0;
    std::string name;
    ModelKind kind = ModelKind::Siglip;
    std::filesystem::path source;
    std::string fingerprint; // sha256 hex
    int dimension = 0;
    std::string config; // JSON: what else shapes the embeddings (preprocessing, ...)
    std::string createdAt;
};

// The version of embeddings computed elsewhere, ready to register: `npy` (N x D float32) and
// `ids` (the catalog id of each row, one per line). The fingerprint is the .npy's SHA-256 and
// the config records the ids file's, so other ids under the same name are refused. Throws as
// the .npy reader for a bad file.
ModelVersion precomputedVersion(const std::string &name, const std::filesystem::path &npy, const std::filesystem::path &ids);

// Registers `candidate` (id ignored) or, if its name exists, returns the stored version after
// checking the kind, fingerprint, config and dimension are the same. Throws InvalidArgument
// naming what differs otherwise.
ModelVersion registerModelVersion(Project &project, const ModelVersion &candidate);
std::optional<ModelVersion> findModelVersion(const Project &project, const std::string &name);
// Throws NotFound listing the names the project knows.
ModelVersion requireModelVersion(const Project &project, const std::string &name);
std::vector<ModelVersion> modelVersions(const Project &project);

// <project>/models/<id>: the version's side files (embeddings, indexes). Created on demand.
std::filesystem::path modelDirectory(const Project &project, const ModelVersion &version);

// Opens the encoder of a SigLIP or TorchScript version (threads: LibTorch intra-op threads), in
// the precision the version was embedded with (its config's "precision", fp32 when absent).
std::unique_ptr<ImageEncoder> openImageEncoder(const ModelVersion &version, int threads, int batchSize);
// "bf16" in the version's config: its catalog was embedded with bf16 products, and so must
// everything compared with it (a new image, a resumed run).
Precision versionPrecision(const ModelVersion &version);
Precision configPrecision(const std::string &configJson); // the same, from a version's config JSON
// The precision to embed `name` with when `asked` is auto (nullopt): the version's own when the
// project has it (a resumed run keeps the first run's), else bf16 for a SigLIP checkpoint on a CPU
// with native bf16, else fp32. An explicit choice is returned as it is.
Precision resolvePrecision(const Project &project, const std::string &name, ModelKind kind,
                           std::optional<Precision> asked);

// Throws Unsupported naming the version when it has no embeddings (an imported run), saying
// that `doing` ("search the catalog", "draw the map", ...) needs them.
void requireEmbeddings(const ModelVersion &version, const std::string &doing);

// A SigLIP or TorchScript model as a version to register, with its encoder open: the
// dimension and configuration come from the encoder (ImageEncoder::configJson), the
// fingerprint from the weights. beforeFingerprint is told the weights file before it is
// hashed (seconds for a big checkpoint).
struct OpenedModel {
    ModelVersion candidate;
    std::unique_ptr<ImageEncoder> encoder;
};
// `precision` bf16 is for SigLIP checkpoints (InvalidArgument otherwise); it becomes part of the
// version's config, so a name embedded in one precision is never continued in the other.
OpenedModel openModelVersion(const std::string &name, ModelKind kind, const std::filesystem::path &source, int threads,
                             int batchSize, const std::function<void(const std::filesystem::path &)> &beforeFingerprint = {},
                             Precision precision = Precision::Fp32);

// Takes back a version that a failed step registered (its rows go with it); for a version
// that holds nothing else yet.
void removeModelVersion(Project &project, const ModelVersion &version);

} // namespace lookalike
