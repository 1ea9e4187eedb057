// Small dense-vector maths on FloatMatrix (pure functions, no LibTorch).
#pragma once

#include "core/util/FloatMatrix.h"

namespace lookalike {

// Each row divided by its L2 norm (rows of zeros stay zero). Computed in double.
FloatMatrix l2NormalizedRows(const FloatMatrix &m);

// a (n x d) times b (m x d) transposed: n x m dot products, accumulated in double.
FloatMatrix dotProducts(const FloatMatrix &a, const FloatMatrix &b);

// The cosine of two vectors of the same length, in double (0 when either is all zeros): how
// close an embedding is to another of the same item (bf16 against fp32, say).
double cosine(std::span<const float> a, std::span<const float> b);

// SigLIP logits: cosine(a_i, b_j) * exp(logitScale) + logitBias, n x m.
FloatMatrix siglipLogits(const FloatMatrix &images, const FloatMatrix &texts, float logitScale, float logitBias);

} // namespace lookalike
