// What the catalog indexer needs from any image model: preprocessing of one decoded image
// into pixel values (safe to call from several threads at once) and batched encoding
// (one caller at a time). Implemented by SigLIP checkpoints and TorchScript encoders.
#pragma once

#include "core/image/RgbImage.h"
#include "core/util/FloatMatrix.h"

#include <cstddef>
#include <span>
#include <string>

namespace lookalike {

class ImageEncoder {
public:
    virtual ~ImageEncoder() = default;
    virtual int dimension() const = 0;                  // embedding width D
    virtual std::size_t pixelValueCount() const = 0;   // floats per preprocessed image
    virtual void preprocess(const RgbImage &image, std::span<float> out) const = 0;
    // pixels: count x pixelValueCount() -> count x D raw (unnormalised) embeddings.
    virtual FloatMatrix encode(std::span<const float> pixels, std::int64_t count) const = 0;
    // What a model version records as its configuration: compact JSON with "model" (the
    // architecture, where there is one) and "preprocessing", so that a version says how its
    // embeddings were made.
    virtual std::string configJson() const = 0;
    // How a batch runs on this machine, in words, for the user ("2 lanes of one thread, 4 images
    // per pass"): what was chosen without being asked.
    virtual std::string schedule() const = 0;
};

} // namespace lookalike
