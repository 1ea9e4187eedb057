// 2-D maps of embeddings for the embedding-map view: PCA for any number of points and t-SNE
// (van der Maaten & Hinton 2008) for up to kMaxTsnePoints, both computed with LibTorch (ATen:
// PCA, neighbour search and affinities as tensors; the gradient loop split over ATen's
// threads) on the calling thread. t-SNE's input affinities use each point's 3 x perplexity
// nearest neighbours (van der Maaten 2014); the repulsive forces are exact, O(n^2) per
// iteration. No LibTorch in this header.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <functional>

namespace lookalike {

// n x d -> n x components: the centred points on their top principal axes (covariance
// eigenvectors, largest eigenvalue first). Each axis's sign is fixed so that its largest
// loading (by absolute value) is positive, so the map is the same on every run. Throws
// Error(InvalidArgument) for no points or components outside 1..d.
FloatMatrix pcaProject(const FloatMatrix &points, int components = 2);

inline constexpr std::int64_t kMaxTsnePoints = 10000; // the repulsion is O(n^2) per iteration

struct TsneOptions {
    double perplexity = 30.0; // lowered to (n - 1) / 3 for small n
    int iterations = 750;
    int pcaDimensions = 50; // points are first reduced to this many PCA dimensions
    double earlyExaggeration = 12.0;
    int exaggerationIterations = 250;
    double learningRate = 0.0; // 0: max(n / earlyExaggeration / 4, 50) (scikit-learn's "auto")
    std::uint64_t seed = 1; // the initial layout (SeededRandom, portable)
};

// Called every few iterations with (done, total); returning false cancels (the function then
// throws Error(Unsupported, "cancelled")).
using ProjectionProgress = std::function<bool(int done, int total)>;

// n x d -> n x 2. Deterministic for a seed on one machine and thread count. Throws
// Error(InvalidArgument) for fewer than 4 points or more than kMaxTsnePoints.
FloatMatrix tsneProject(
    const FloatMatrix &points, const TsneOptions &options = {}, const ProjectionProgress &progress = {});

} // namespace lookalike
