// The SigLIP vision and text towers, run with LibTorch (float32 or bf16 products, inference mode,
// batched, in lanes across the cores),
// numerically as transformers' SiglipModel and Siglip2Model (eager attention). LibTorch stays inside
// SiglipModel.cpp and SiglipGraph.h: this header is plain C++.
#pragma once

#include "core/checkpoint/SiglipConfig.h"
#include "core/image/PatchedImage.h"
#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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
// For the user: "fp32", "bf16 products (AVX512-BF16)" or "bf16 products (emulated: this CPU has
// no AVX512-BF16)".
std::string precisionInWords(Precision p);
// A --precision value: "fp32", "bf16", or "auto" (nullopt: the caller resolves it, see
// automaticPrecision and resolvePrecision). Throws Error(InvalidArgument) for anything else.
std::optional<Precision> parsePrecisionChoice(const std::string &text);
// What auto means for a new embedding: bf16 where the CPU multiplies it natively
// (SiglipModel::bf16Supported), fp32 elsewhere.
Precision automaticPrecision();

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

    // How a call spreads over the cores. One lane (the default): one forward pass over the whole
    // batch, LibTorch's intra-op threads sharing each product. N lanes: N threads, each with one
    // intra-op thread, take `chunk` rows at a time through their own forward passes. Lanes never
    // wait for each other inside a pass, so a core taken by another process slows one lane
    // instead of stalling every product at a barrier (#14: with intra-op threads a busy
    // neighbour cut throughput to a quarter). A row's result depends only on its chunk: with
    // chunk 1 it is the row's embedding alone, whatever the lanes or the batch. A call with fewer
    // chunks than lanes (a search's one text) runs as one pass on the intra-op threads: all of
    // them, or with followFreeCores the cores other processes leave free (FreeCores.h). That is
    // for answers that are not stored: the thread count changes the last bits, and a stored
    // embedding must not depend on the machine's load (a resumed run equals an uninterrupted one).
    struct Lanes {
        int count = 1;
        int chunk = 1;
        bool followFreeCores = false;
    };
    void setLanes(Lanes lanes);
    Lanes lanes() const;
    // The rule `index`, search and the pipeline use (measured in bench_siglip, #14, recorded in
    // docs/benchmarks.md): one lane per intra-op thread, 4 rows per pass. On 2 cores it beats one
    // pass over a batch of 32 by 1.2-1.8x and keeps about 60 % of its speed beside a busy process.
    static Lanes measuredLanes(int threads); // threads 0: one per core
    // "2 lanes of one thread, 4 rows per pass" or "one pass per batch, 2 intra-op threads".
    std::string describeLanes(const std::string &rows) const;

    // Float32 by default. Switching keeps the float weights (bf16 copies are added or dropped).
    void setPrecision(Precision precision);
    Precision precision() const;
    // True when this CPU multiplies bf16 natively (the avx512_bf16 or amx_bf16 flag in
    // /proc/cpuinfo): where bf16 pays. Elsewhere it runs, emulated, slower than fp32.
    static bool bf16Supported();

private:
    FloatMatrix forwardPatched(std::span<const PatchedImage> images) const; // one padded pass
    // forward(first, n) over count rows, on the lanes (setLanes) or in one pass.
    FloatMatrix spread(std::int64_t count, std::int64_t dimension,
                       const std::function<FloatMatrix(std::int64_t first, std::int64_t n)> &forward) const;
    struct Impl;
    explicit SiglipModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
