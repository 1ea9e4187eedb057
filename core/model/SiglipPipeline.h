// A whole Hugging Face SigLIP checkpoint folder in one object: config, image preprocessor,
// tokenizer and towers. What transformers' SiglipModel + SiglipProcessor (and Siglip2Model +
// Siglip2Processor) do, from files to embeddings and logits, for the folder layouts of the hub
// and of transformers 4 and 5. No LibTorch in this header.
#pragma once

#include "core/image/ImagePreprocessor.h"
#include "core/checkpoint/SiglipConfig.h"
#include "core/model/SiglipModel.h"
#include "core/text/TextTokenizer.h"
#include "core/util/FloatMatrix.h"

#include <filesystem>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

class SiglipPipeline {
public:
    struct Options {
        int threads = 0;      // intra-op threads for LibTorch; 0 = one per core
        int batchSize = 32;   // images or texts per forward pass
        Precision precision = Precision::Fp32; // bf16: the encoders' products in bfloat16
        // How a batch spreads over the cores; count 0: SiglipModel::measuredLanes(threads), with
        // followFreeCores as given here either way.
        SiglipModel::Lanes lanes{0, 4, false};
    };

    // Loads config.json, model.safetensors and, for the towers present, the image processor
    // settings (preprocessor_config.json, or processor_config.json's image_processor) and the
    // tokenizer (spiece.model, tokenizer.model or tokenizer.json; see loadTextTokenizer).
    // Throws lookalike::Error naming the file and the problem.
    static SiglipPipeline load(const std::filesystem::path &folder, const Options &options);
    static SiglipPipeline load(const std::filesystem::path &folder) { return load(folder, Options{}); }

    SiglipPipeline(SiglipPipeline &&) noexcept;
    SiglipPipeline &operator=(SiglipPipeline &&) noexcept;
    ~SiglipPipeline();

    const std::filesystem::path &folder() const;
    const SiglipConfig &config() const;
    const SiglipModel &model() const;
    bool hasVision() const;
    bool hasText() const;
    const ImagePreprocessor &imagePreprocessor() const; // requires hasVision()
    const TextTokenizer &tokenizer() const;             // requires hasText()
    // What was loaded, in words: "SigLIP 2 NaFlex (at most 256 patches of 16 px), ...". One
    // line per part: variant, image preprocessing, tokenizer.
    std::vector<std::string> describe() const;

    // Image files -> n x D embeddings (unnormalised, as get_image_features).
    FloatMatrix embedImageFiles(const std::vector<std::filesystem::path> &files) const;
    FloatMatrix embedImages(const std::vector<RgbImage> &images) const;
    // Texts -> n x D embeddings (unnormalised, as get_text_features). `inputIds`, if given,
    // receives the token ids of each text.
    FloatMatrix embedTexts(const std::vector<std::string> &texts,
                           std::vector<std::vector<std::int64_t>> *inputIds = nullptr) const;
    // logits_per_image: images x texts = cos(image, text) * exp(logit_scale) + logit_bias.
    FloatMatrix logitsPerImage(const FloatMatrix &imageEmbeddings, const FloatMatrix &textEmbeddings) const;

private:
    // Runs `count` images in batches; `fill(i, out)` writes image i's pixel values.
    FloatMatrix embedPixelBatches(std::size_t count,
                                  const std::function<void(std::size_t, std::span<float>)> &fill) const;

    // NaFlex: `image(i)` gives image i; each becomes its own patch grid, a batch one forward pass.
    FloatMatrix embedPatchedBatches(std::size_t count, const std::function<RgbImage(std::size_t)> &image) const;

    struct Impl;
    explicit SiglipPipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
