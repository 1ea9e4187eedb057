// PCA and exact t-SNE with ATen. One of the few translation units that include LibTorch.
#include "core/model/EmbeddingProjection.h"

#include "core/Error.h"
#include "core/util/SeededRandom.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lookalike {

namespace {

[[noreturn]] void invalid(const std::string &what)
{
    throw Error(ErrorCode::InvalidArgument, {}, "embedding map", what);
}

at::Tensor toTensor(const FloatMatrix &m)
{
    return at::from_blob(const_cast<float *>(m.data.data()), {m.rows, m.cols}, at::kFloat).to(at::kDouble);
}

FloatMatrix fromTensor(const at::Tensor &t)
{
    const at::Tensor f = t.to(at::kFloat).contiguous();
    FloatMatrix out(f.size(0), f.size(1));
    std::memcpy(out.data.data(), f.data_ptr<float>(), out.data.size() * sizeof(float));
    return out;
}

// Centred points (double) on their top `k` principal axes, signs fixed.
at::Tensor pca(const at::Tensor &x, int k)
{
    const at::Tensor centred = x - x.mean(0, true);
    const auto n = x.size(0);
    const at::Tensor cov = centred.t().mm(centred) / static_cast<double>(std::max<std::int64_t>(n - 1, 1));
    auto [values, vectors] = at::linalg_eigh(cov); // ascending eigenvalues
    at::Tensor top = vectors.flip({1}).narrow(1, 0, k).clone();
    for (int c = 0; c < k; ++c) {
        const at::Tensor column = top.select(1, c);
        const auto largest = column.abs().argmax().item<std::int64_t>();
        if (column[largest].item<double>() < 0)
            top.select(1, c).neg_();
    }
    return centred.mm(top);
}

} // namespace

FloatMatrix pcaProject(const FloatMatrix &points, int components)
{
    if (points.rows < 1)
        invalid("no points to project");
    if (components < 1 || components > points.cols)
        invalid(
            "cannot project " + std::to_string(points.cols) + "-d points on " + std::to_string(components) + " axes");
    c10::InferenceMode guard;
    return fromTensor(pca(toTensor(points), components));
}

FloatMatrix tsneProject(const FloatMatrix &points, const TsneOptions &options, const ProjectionProgress &progress)
{
    const std::int64_t n = points.rows;
    if (n < 4)
        invalid("t-SNE needs at least 4 points, got " + std::to_string(n));
    if (n > kMaxTsnePoints)
        invalid("exact t-SNE is limited to " + std::to_string(kMaxTsnePoints) + " points, got " + std::to_string(n)
            + " (use PCA, or a sample)");
    c10::InferenceMode guard;
    at::Tensor x = toTensor(points);
    if (points.cols > options.pcaDimensions)
        x = pca(x, options.pcaDimensions);

    // Affinities: a Gaussian per point whose precision beta gives the wanted perplexity, found
    // by bisection for all points at once.
    const at::Tensor sq = (x * x).sum(1);
    at::Tensor d = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * x.mm(x.t())).clamp_min(0);
    const at::Tensor offDiagonal = 1 - at::eye(n, at::kDouble);
    const double perplexity = std::min(options.perplexity, static_cast<double>(n - 1) / 3.0);
    const double targetEntropy = std::log(perplexity);
    at::Tensor beta = at::ones({n, 1}, at::kDouble) / d.mean().clamp_min(1e-12);
    at::Tensor lo = at::zeros({n, 1}, at::kDouble), hi = at::full({n, 1}, INFINITY, at::kDouble);
    at::Tensor p;
    for (int step = 0; step < 64; ++step) {
        // Shift by each row's smallest off-diagonal distance so exp() cannot underflow to 0.
        const at::Tensor shifted = d - std::get<0>((d + (1 - offDiagonal) * 1e300).min(1, true));
        p = at::exp(-shifted * beta) * offDiagonal;
        const at::Tensor sum = p.sum(1, true).clamp_min(1e-300);
        const at::Tensor entropy = at::log(sum) + beta * (shifted * p).sum(1, true) / sum;
        p = p / sum;
        const at::Tensor tooFlat = entropy > targetEntropy; // entropy too high: raise beta
        lo = at::where(tooFlat, beta, lo);
        hi = at::where(tooFlat, hi, beta);
        beta = at::where(at::isinf(hi), beta * 2, (lo + hi) / 2);
    }
    p = ((p + p.t()) / (2.0 * static_cast<double>(n))).clamp_min(1e-12);

    // The layout: seeded, tiny, then gradient descent with momentum and gains.
    std::vector<double> init(static_cast<std::size_t>(n * 2));
    SeededRandom random(options.seed);
    for (double &v : init) // Box-Muller from the portable generator
        v = 1e-4 * std::sqrt(-2.0 * std::log((static_cast<double>(random.next() >> 11) + 0.5) / 9007199254740992.0))
            * std::cos(2.0 * M_PI * (static_cast<double>(random.next() >> 11) / 9007199254740992.0));
    at::Tensor y = at::from_blob(init.data(), {n, 2}, at::kDouble).clone();
    at::Tensor update = at::zeros_like(y);
    at::Tensor gains = at::ones_like(y);
    const double rate = options.learningRate > 0
        ? options.learningRate
        : std::max(static_cast<double>(n) / options.earlyExaggeration / 4.0, 50.0);
    for (int it = 0; it < options.iterations; ++it) {
        const double exaggeration = it < options.exaggerationIterations ? options.earlyExaggeration : 1.0;
        const double momentum = it < options.exaggerationIterations ? 0.5 : 0.8;
        const at::Tensor ysq = (y * y).sum(1);
        const at::Tensor num = offDiagonal / (1 + ysq.unsqueeze(1) + ysq.unsqueeze(0) - 2 * y.mm(y.t()));
        const at::Tensor q = (num / num.sum()).clamp_min(1e-12);
        const at::Tensor pq = (exaggeration * p - q) * num;
        const at::Tensor grad = 4 * (pq.sum(1, true) * y - pq.mm(y));
        const at::Tensor sameSign = (grad > 0) == (update > 0);
        gains = at::where(sameSign, gains * 0.8, gains + 0.2).clamp_min(0.01);
        update = momentum * update - rate * gains * grad;
        y = y + update;
        y = y - y.mean(0, true);
        if (progress && (it % 10 == 9 || it + 1 == options.iterations) && !progress(it + 1, options.iterations))
            throw Error(ErrorCode::Unsupported, {}, "embedding map", "cancelled");
    }
    return fromTensor(y);
}

} // namespace lookalike
