// The SigLIP vision and text towers, run with LibTorch (float32, inference mode, batched),
// numerically as transformers' SiglipModel and Siglip2Model (eager attention). LibTorch stays inside
// SiglipModel.cpp and SiglipGraph.h: this header is plain C++.
#pragma once

#include "core/checkpoint/SiglipConfig.h"
#include "core/image/PatchedImage.h"
#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lookalike {

class SafetensorsFile;

// How the model multiplies: float32 (Hugging Face's default, what the parity tests check), or
// bfloat16 products (the encoders' projections and MLPs) with float everywhere else, as
// transformers under torch.autocast(bfloat16) does. bf16 is fast only on CPUs with
// AVX512-BF16 (or AMX); see bf16Supported().
enum class Precision { Fp32, Bf16 };
const char *precisionName(Precision p); // "fp32", "bf16"

class SiglipModel {
public:
    // Checks every tensor the config needs (presence, shape) and loads it as float32.
    // Throws lookalike::Error naming the weights file and the tensor.
    static SiglipModel load(const SafetensorsFile &weights, const SiglipConfig &config);
    static SiglipModel load(const std::filesystem::path &weightsFile, const SiglipConfig &config);

    SiglipModel(SiglipModel &&) noexcept;
    SiglipModel &operator=(SiglipModel &&) noexcept;
    ~SiglipModel();

    const SiglipConfig &config() const;

    // pixelValues: count x 3 x S x S (CHW per image, as ImagePreprocessor writes them).
    // Returns count x D, the unnormalised pooled embeddings (get_image_features).
    FloatMatrix embedImages(std::span<const float> pixelValues, std::int64_t count) const;

    // NaFlex (config().vision->isNaflex()): images of any patch-grid shape, at most num_patches
    // patches each, in one padded forward pass. Each row equals the image's embedding alone up to
    // float rounding. Returns images.size() x D.
    FloatMatrix embedPatchedImages(std::span<const PatchedImage> images) const;

    // inputIds: n sequences of one common length L <= max_position_embeddings (padded by the
    // tokenizer). Returns n x D, the unnormalised text embeddings (get_text_features).
    FloatMatrix embedTexts(const std::vector<std::vector<std::int64_t>> &inputIds) const;

    // Intermediate values of one input, for parity tests against transformers:
    // hiddenStates[0] = embeddings, [i] = after encoder layer i (each L x hidden);
    // finalNorm = post_layernorm / final_layer_norm output; pooled = 1 x D embedding.
    struct Trace {
        std::vector<FloatMatrix> hiddenStates;
        FloatMatrix finalNorm;
        FloatMatrix pooled;
    };
    Trace traceImage(std::span<const float> pixelValues) const;
    Trace traceText(const std::vector<std::int64_t> &inputIds) const;

    // The learned logit scale (log space, as stored) and bias; 0 when the checkpoint has one tower.
    float logitScale() const;
    float logitBias() const;

    // LibTorch intra-op threads (process-wide). 0 = one per core.
    static void setThreadCount(int threads);
    static int threadCount();

    // Float32 by default. Switching keeps the float weights (bf16 copies are added or dropped).
    void setPrecision(Precision precision);
    Precision precision() const;
    // True when this CPU multiplies bf16 natively (the avx512_bf16 or amx_bf16 flag in
    // /proc/cpuinfo): where bf16 pays. Elsewhere it runs, emulated, slower than fp32.
    static bool bf16Supported();

private:
    struct Impl;
    explicit SiglipModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
