// A SigLIP checkpoint folder as an ImageEncoder for the catalog indexer and image search.
// FixRes: a slot is the image's pixel_values. NaFlex: a slot holds the patch grid's rows and
// columns (two floats), then its patches, then zeros up to max_num_patches patches; so every
// image still takes pixelValueCount() floats and the indexer's batching stays the same.
#pragma once

#include "core/model/ImageEncoder.h"
#include "core/model/SiglipPipeline.h"

#include <memory>

namespace lookalike {

class SiglipImageEncoder final : public ImageEncoder {
public:
    // Throws like SiglipPipeline::load, and Error(Unsupported) if the checkpoint cannot embed images.
    static std::unique_ptr<SiglipImageEncoder> load(const std::filesystem::path &folder,
                                                    const SiglipPipeline::Options &options);

    const SiglipPipeline &pipeline() const { return m_pipeline; }
    int dimension() const override;
    std::size_t pixelValueCount() const override;
    void preprocess(const RgbImage &image, std::span<float> out) const override;
    FloatMatrix encode(std::span<const float> pixels, std::int64_t count) const override;
    std::string configJson() const override;
    std::string schedule() const override; // precision and lanes

private:
    explicit SiglipImageEncoder(SiglipPipeline pipeline);
    SiglipPipeline m_pipeline;
};

} // namespace lookalike
