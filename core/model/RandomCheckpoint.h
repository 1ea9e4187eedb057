// Writes a complete Hugging Face SigLIP checkpoint folder with random weights at any
// architecture: config.json, model.safetensors, preprocessor_config.json and, for a text
// tower, the tokenizer files copied from a given SentencePiece model. Used by the tests
// (shape-generic checks) and the benchmarks (base-shaped model) so that nothing is downloaded.
#pragma once

#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipConfig.h"

#include <cstdint>
#include <filesystem>

namespace lookalike {

struct RandomCheckpointOptions {
    std::uint64_t seed = 1;
    SafetensorsDtype dtype = SafetensorsDtype::F32;
    std::filesystem::path sentencePieceModel; // required when the config has a text tower
};

void writeRandomCheckpoint(const std::filesystem::path &folder, const SiglipConfig &config,
                           const RandomCheckpointOptions &options);

} // namespace lookalike
