// Every file name, config key and tensor name of a Hugging Face SigLIP checkpoint, in one
// place, and the list of tensors (with shapes) an architecture needs. The loader checks
// checkpoints against expectedTensors(); the checkpoint writer produces exactly that list.
#pragma once

#include "core/checkpoint/SiglipConfig.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike::siglip {

// Files of a checkpoint folder.
inline constexpr const char *kConfigFile = "config.json";
inline constexpr const char *kWeightsFile = "model.safetensors";
inline constexpr const char *kPreprocessorFile = "preprocessor_config.json";
inline constexpr const char *kTokenizerConfigFile = "tokenizer_config.json";
inline constexpr const char *kSpecialTokensFile = "special_tokens_map.json";
inline constexpr const char *kSentencePieceFile = "spiece.model";      // SigLIP 1's tokenizer
inline constexpr const char *kGemmaSentencePieceFile = "tokenizer.model"; // SigLIP 2's, hub layout
inline constexpr const char *kTokenizerJsonFile = "tokenizer.json";       // Hugging Face tokenizers
// transformers 5 writes one processor_config.json with the image processor nested in it.
inline constexpr const char *kProcessorFile = "processor_config.json";
inline constexpr const char *kNestedImageProcessorKey = "image_processor";

// Model types (config.json "model_type").
inline constexpr const char *kModelTypeDual = "siglip";
inline constexpr const char *kModelTypeVision = "siglip_vision_model";
inline constexpr const char *kModelTypeText = "siglip_text_model";
inline constexpr const char *kModelTypeDual2 = "siglip2";
inline constexpr const char *kModelTypeVision2 = "siglip2_vision_model";
inline constexpr const char *kModelTypeText2 = "siglip2_text_model";

// Tensor-name prefixes: SiglipModel and SiglipVisionModel both nest the towers under these.
inline constexpr std::string_view kVisionPrefix = "vision_model.";
inline constexpr std::string_view kTextPrefix = "text_model.";
inline constexpr const char *kLogitScale = "logit_scale";
inline constexpr const char *kLogitBias = "logit_bias";

enum class Tower { Vision, Text };

std::string towerTensor(Tower tower, std::string_view rest);                     // "vision_model." + rest
std::string layerTensor(Tower tower, int layer, std::string_view rest);         // "...encoder.layers.<i>." + rest

struct TensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
};

// Every tensor the architecture reads, with its shape, in a stable order.
std::vector<TensorSpec> expectedTensors(const SiglipConfig &config);

} // namespace lookalike::siglip
