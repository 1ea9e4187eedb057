// Fine-tuning a dual-encoder SigLIP checkpoint (see the class comment). Plain C++: LibTorch
// stays inside SiglipTrainer.cpp and SiglipGraph.h.
#pragma once

#include "core/checkpoint/SiglipConfig.h"
#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lookalike {

class SafetensorsFile;

struct SiglipTrainingOptions {
    double learningRate = 1e-4; // peak, after the warm-up
    double weightDecay = 1e-4;  // AdamW, decoupled; not applied to biases, norms and the logit parameters
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
    int warmupSteps = 0;        // linear warm-up from 0, then cosine decay to 0 at totalSteps
    int totalSteps = 100;
    double gradientClip = 1.0;  // on the global L2 norm of the gradients; <= 0: no clipping
    bool freezeText = false;    // train the vision tower (and the logit parameters) only
    int trainableVisionLayers = -1; // >= 0: freeze the vision embeddings and all but the last N layers
};

// Fine-tunes a dual-encoder SigLIP checkpoint with the pairwise sigmoid loss of the SigLIP
// paper (Zhai et al. 2023): for a batch of n matching (image, text) pairs, with x_i and y_j the
// L2-normalised embeddings, t = exp(logit_scale) and b = logit_bias (both learned),
//   loss = -(1/n) sum_i sum_j log sigmoid(z_ij (t x_i . y_j + b)),  z_ij = 1 if i = j else -1,
// optimised with AdamW under a warm-up + cosine schedule and global gradient clipping. The
// weights stay float32 and keep their Hugging Face names, so saveWeights() writes a
// model.safetensors that this engine and transformers load. Deterministic for the same
// batches and thread count. One thread at a time.
class SiglipTrainer {
public:
    SiglipTrainer(const SafetensorsFile &weights, const SiglipConfig &config, const SiglipTrainingOptions &options);
    ~SiglipTrainer();
    SiglipTrainer(const SiglipTrainer &) = delete;
    SiglipTrainer &operator=(const SiglipTrainer &) = delete;

    const SiglipConfig &config() const;
    // The loss of a batch without changing anything. pixels: n x C x S x S; ids: n sequences.
    double loss(std::span<const float> pixels, const std::vector<std::vector<std::int64_t>> &ids) const;
    // One optimisation step; returns the batch's loss before the step.
    double step(std::span<const float> pixels, const std::vector<std::vector<std::int64_t>> &ids);
    int stepsDone() const;
    // Whether every weight is finite (a step with a far too high learning rate can make them NaN).
    bool weightsFinite() const;
    double learningRate() const; // of the next step
    // Unnormalised embeddings under the current weights (for validation recall).
    FloatMatrix embedImages(std::span<const float> pixels, std::int64_t count) const;
    FloatMatrix embedTexts(const std::vector<std::vector<std::int64_t>> &ids) const;

    // Every weight, F32, under its Hugging Face name.
    void saveWeights(const std::filesystem::path &file) const;
    // The whole training state (weights, AdamW moments, steps done) in one safetensors file,
    // and back: a run continued from a saved state takes exactly the steps it would have taken.
    void saveState(const std::filesystem::path &file) const;
    void loadState(const std::filesystem::path &file); // throws lookalike::Error for a state of another model

    // For tests: parameter names, values, and the gradient of the batch loss for one of them.
    std::vector<std::string> parameterNames() const;
    std::vector<float> parameter(const std::string &name) const;
    void setParameter(const std::string &name, std::span<const float> values);
    std::vector<float> gradient(const std::string &name, std::span<const float> pixels,
                                const std::vector<std::vector<std::int64_t>> &ids);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
