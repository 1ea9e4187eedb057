// The architecture of a SigLIP checkpoint, read from its config.json with Hugging Face's
// defaults applied for every key the file leaves out (save_pretrained writes only the
// keys that differ from the defaults). Plain C++: safe to include next to LibTorch.
#pragma once

#include <cstdint>

#include <filesystem>
#include <optional>
#include <string>

namespace lookalike {

// Settings shared by the vision and the text transformer.
struct SiglipTowerConfig {
    int hiddenSize = 768;
    int intermediateSize = 3072;
    int numHiddenLayers = 12;
    int numAttentionHeads = 12;
    std::string hiddenAct = "gelu_pytorch_tanh";
    double layerNormEps = 1e-6;

    int headDim() const { return hiddenSize / numAttentionHeads; }
};

struct SiglipVisionConfig : SiglipTowerConfig {
    int numChannels = 3;
    int imageSize = 224; // FixRes only: the square image the tower takes
    int patchSize = 16;
    // SigLIP 2 NaFlex (model_type siglip2): num_patches, the size of the square grid of position
    // embeddings that is resized to each image's patch grid. 0 for FixRes (SigLIP 1 and SigLIP 2
    // FixRes), whose position embeddings are one per patch of the square image.
    int naflexPatches = 0;

    bool isNaflex() const { return naflexPatches > 0; }
    // Side of the square position grid.
    int patchesPerSide() const;
    // In 64 bits: validate() bounds the image, but a config is read before it is validated.
    std::int64_t numPatches() const
    {
        return isNaflex() ? naflexPatches : std::int64_t{patchesPerSide()} * patchesPerSide();
    }
    // Floats of one flattened patch (NaFlex input rows): channels x patch x patch.
    std::int64_t patchValues() const { return std::int64_t{numChannels} * patchSize * patchSize; }
    int embeddingSize() const { return hiddenSize; } // the attention-pooling head keeps the width
};

struct SiglipTextConfig : SiglipTowerConfig {
    int vocabSize = 32000;
    int maxPositionEmbeddings = 64;
    int projectionSize = 0; // 0: not in the file, i.e. hiddenSize (newer transformers write it)

    int embeddingSize() const { return projectionSize > 0 ? projectionSize : hiddenSize; }
};

struct SiglipConfig {
    // "siglip" (both towers; SigLIP 1 and SigLIP 2 FixRes), "siglip_vision_model" or
    // "siglip_text_model"; "siglip2", "siglip2_vision_model", "siglip2_text_model" (NaFlex).
    std::string modelType = "siglip";
    std::optional<SiglipVisionConfig> vision;
    std::optional<SiglipTextConfig> text;

    bool hasVision() const { return vision.has_value(); }
    bool hasText() const { return text.has_value(); }
    bool isDualEncoder() const { return hasVision() && hasText(); }
    // model_type siglip2*: the NaFlex vision tower (and SigLIP 2's class names when written).
    bool isSiglip2() const;
    // Width of the embeddings this model produces (vision's if it has a vision tower).
    int embeddingSize() const;

    // Parse and validate. `fileForErrors` names the file in error messages.
    static SiglipConfig fromJson(const std::string &json, const std::string &fileForErrors);
    static SiglipConfig fromFile(const std::filesystem::path &configJson);

    // Throws Error(InvalidConfig) if the architecture cannot work.
    void validate(const std::string &fileForErrors) const;

    // The effective configuration as JSON, every key written (defaults included).
    std::string toJson() const;
    // config.json as Hugging Face would write it for this architecture (used to write checkpoints).
    std::string toHuggingFaceJson() const;
};

} // namespace lookalike
