// PCA and exact t-SNE with ATen. One of the few translation units that include LibTorch.
#include "core/analysis/EmbeddingProjection.h"

#include "core/Error.h"
#include "core/util/SeededRandom.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
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

constexpr int kLanes = 8;

// The O(n^2) part of a t-SNE iteration for one point (fi0, fi1): per lane l, the sums over
// j = l (mod 8) of w, w^2 d0 and w^2 d1 with w = 1 / (1 + d0^2 + d1^2), into out[0..24). Fixed lanes keep the
// sums identical whatever the vector width and the thread; the clones use AVX-512 or AVX2
// where the CPU has them (no -march in a portable build).
__attribute__((target_clones("avx512f", "avx2", "default"))) void repulsion(
    const float *__restrict y0, const float *__restrict y1, std::int64_t n, float fi0, float fi1, float *out)
{
    // Local accumulators: the compiler keeps them in vector registers.
    float z[kLanes] = {}, r0[kLanes] = {}, r1[kLanes] = {};
    std::int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (int l = 0; l < kLanes; ++l) {
            const float d0 = fi0 - y0[j + l], d1 = fi1 - y1[j + l];
            const float w = 1.0f / (1.0f + d0 * d0 + d1 * d1);
            z[l] += w;
            r0[l] += w * w * d0;
            r1[l] += w * w * d1;
        }
    for (int l = 0; j < n; ++j, ++l) {
        const float d0 = fi0 - y0[j], d1 = fi1 - y1[j];
        const float w = 1.0f / (1.0f + d0 * d0 + d1 * d1);
        z[l] += w;
        r0[l] += w * w * d0;
        r1[l] += w * w * d1;
    }
    for (int l = 0; l < kLanes; ++l) {
        out[l] = z[l];
        out[kLanes + l] = r0[l];
        out[2 * kLanes + l] = r1[l];
    }
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
        invalid("t-SNE is limited to " + std::to_string(kMaxTsnePoints) + " points, got " + std::to_string(n)
            + " (use PCA, or a sample)");
    c10::InferenceMode guard;
    at::Tensor x = toTensor(points);
    if (points.cols > options.pcaDimensions)
        x = pca(x, options.pcaDimensions);

    // Input affinities on the k = 3 perplexity nearest neighbours of each point (van der Maaten
    // 2014): beyond them the Gaussian's weight is negligible. Each point's precision beta is
    // found by bisection, for all points at once, so that its distribution has the perplexity.
    const double perplexity = std::min(options.perplexity, static_cast<double>(n - 1) / 3.0);
    const std::int64_t k = std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(std::ceil(3 * perplexity)));
    const at::Tensor sq = (x * x).sum(1);
    at::Tensor knnDistance = at::empty({n, k}, at::kDouble), knnIndex = at::empty({n, k}, at::kLong);
    constexpr std::int64_t kChunk = 2048;
    for (std::int64_t start = 0; start < n; start += kChunk) {
        const std::int64_t rows = std::min(kChunk, n - start);
        const at::Tensor xi = x.narrow(0, start, rows);
        at::Tensor d = (sq.narrow(0, start, rows).unsqueeze(1) + sq.unsqueeze(0) - 2 * xi.mm(x.t())).clamp_min(0);
        d.diagonal(start).fill_(INFINITY); // a point is not its own neighbour
        auto [values, indices] = d.topk(k, 1, /*largest=*/false, /*sorted=*/true);
        knnDistance.narrow(0, start, rows).copy_(values);
        knnIndex.narrow(0, start, rows).copy_(indices);
    }
    const at::Tensor shifted = knnDistance - knnDistance.narrow(1, 0, 1); // exp() cannot underflow to 0
    const double targetEntropy = std::log(perplexity);
    at::Tensor beta = at::ones({n, 1}, at::kDouble) / knnDistance.mean().clamp_min(1e-12);
    at::Tensor lo = at::zeros({n, 1}, at::kDouble), hi = at::full({n, 1}, INFINITY, at::kDouble);
    at::Tensor conditional;
    for (int step = 0; step < 64; ++step) {
        conditional = at::exp(-shifted * beta);
        const at::Tensor sum = conditional.sum(1, true);
        const at::Tensor entropy = at::log(sum) + beta * (shifted * conditional).sum(1, true) / sum;
        conditional = conditional / sum;
        const at::Tensor tooFlat = entropy > targetEntropy; // entropy too high: raise beta
        lo = at::where(tooFlat, beta, lo);
        hi = at::where(tooFlat, hi, beta);
        beta = at::where(at::isinf(hi), beta * 2, (lo + hi) / 2);
    }
    // Symmetric joint probabilities p_ij = (p_j|i + p_i|j) / 2n, as sparse rows.
    struct Entry {
        std::int64_t i, j;
        double p;
    };
    std::vector<Entry> entries;
    entries.reserve(static_cast<std::size_t>(2 * n * k));
    {
        const at::Tensor c = conditional.contiguous();
        const at::Tensor idx = knnIndex.contiguous();
        const double *cp = c.data_ptr<double>();
        const std::int64_t *ip = idx.data_ptr<std::int64_t>();
        const double scale = 1.0 / (2.0 * static_cast<double>(n));
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t t = 0; t < k; ++t) {
                const std::int64_t j = ip[i * k + t];
                const double p = cp[i * k + t] * scale;
                entries.push_back({i, j, p});
                entries.push_back({j, i, p});
            }
    }
    std::sort(entries.begin(), entries.end(),
        [](const Entry &a, const Entry &b) { return a.i != b.i ? a.i < b.i : a.j < b.j; });
    std::vector<std::int64_t> rowStart(static_cast<std::size_t>(n + 1), 0), column;
    std::vector<double> value;
    for (std::size_t e = 0; e < entries.size(); ++e) {
        if (e > 0 && entries[e].i == entries[e - 1].i && entries[e].j == entries[e - 1].j) {
            value.back() += entries[e].p;
            continue;
        }
        column.push_back(entries[e].j);
        value.push_back(entries[e].p);
        ++rowStart[static_cast<std::size_t>(entries[e].i + 1)];
    }
    for (std::int64_t i = 0; i < n; ++i)
        rowStart[static_cast<std::size_t>(i + 1)] += rowStart[static_cast<std::size_t>(i)];

    // The layout: seeded and tiny, then gradient descent with momentum and gains. The gradient
    // of KL(P || Q) is 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j) with w_ij = 1 / (1 + |y_i - y_j|^2)
    // and q_ij = w_ij / Z: the attractive part runs over P's sparse rows, the repulsive part
    // sum_j w_ij^2 (y_i - y_j) / Z over all pairs (exact), rows split across ATen's threads.
    // Each row is summed by one thread in a fixed order and Z from per-row sums, so the result
    // does not depend on the thread schedule.
    std::vector<double> y(static_cast<std::size_t>(n * 2));
    SeededRandom random(options.seed);
    for (double &v : y) // Box-Muller on the portable generator
        v = 1e-4 * std::sqrt(-2.0 * std::log((static_cast<double>(random.next() >> 11) + 0.5) / 9007199254740992.0))
            * std::cos(2.0 * M_PI * (static_cast<double>(random.next() >> 11) / 9007199254740992.0));
    std::vector<float> y0(static_cast<std::size_t>(n)), y1(static_cast<std::size_t>(n));
    std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0), grad(y.size()), repulsive(y.size()),
        rowZ(static_cast<std::size_t>(n));
    const double rate = options.learningRate > 0
        ? options.learningRate
        : std::max(static_cast<double>(n) / options.earlyExaggeration / 4.0, 50.0);
    for (int it = 0; it < options.iterations; ++it) {
        const double exaggeration = it < options.exaggerationIterations ? options.earlyExaggeration : 1.0;
        const double momentum = it < options.exaggerationIterations ? 0.5 : 0.8;
        for (std::int64_t j = 0; j < n; ++j) { // float copies for the O(n^2) loop
            y0[static_cast<std::size_t>(j)] = static_cast<float>(y[static_cast<std::size_t>(2 * j)]);
            y1[static_cast<std::size_t>(j)] = static_cast<float>(y[static_cast<std::size_t>(2 * j + 1)]);
        }
        at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const double yi0 = y[static_cast<std::size_t>(2 * i)], yi1 = y[static_cast<std::size_t>(2 * i + 1)];
                float lanes[3 * kLanes];
                repulsion(y0.data(), y1.data(), n, static_cast<float>(yi0), static_cast<float>(yi1), lanes);
                const float *z = lanes, *r0 = lanes + kLanes, *r1 = lanes + 2 * kLanes;
                // The pair (i, i) has w = 1 and no direction: take it out of Z.
                double zi = -1.0, ri0 = 0.0, ri1 = 0.0;
                for (int l = 0; l < kLanes; ++l) {
                    zi += z[l];
                    ri0 += r0[l];
                    ri1 += r1[l];
                }
                double a0 = 0, a1 = 0;
                for (std::int64_t e = rowStart[static_cast<std::size_t>(i)];
                     e < rowStart[static_cast<std::size_t>(i + 1)]; ++e) {
                    const std::int64_t j = column[static_cast<std::size_t>(e)];
                    const double d0 = yi0 - y[static_cast<std::size_t>(2 * j)],
                                 d1 = yi1 - y[static_cast<std::size_t>(2 * j + 1)];
                    const double pw = exaggeration * value[static_cast<std::size_t>(e)] / (1.0 + d0 * d0 + d1 * d1);
                    a0 += pw * d0;
                    a1 += pw * d1;
                }
                rowZ[static_cast<std::size_t>(i)] = zi;
                repulsive[static_cast<std::size_t>(2 * i)] = ri0;
                repulsive[static_cast<std::size_t>(2 * i + 1)] = ri1;
                grad[static_cast<std::size_t>(2 * i)] = a0;
                grad[static_cast<std::size_t>(2 * i + 1)] = a1;
            }
        });
        double zSum = 0;
        for (double z : rowZ)
            zSum += z;
        double mean0 = 0, mean1 = 0;
        for (std::size_t c = 0; c < y.size(); ++c) {
            const double g = 4.0 * (grad[c] - repulsive[c] / zSum);
            gains[c] = (g > 0) == (update[c] > 0) ? std::max(gains[c] * 0.8, 0.01) : gains[c] + 0.2;
            update[c] = momentum * update[c] - rate * gains[c] * g;
            y[c] += update[c];
            (c % 2 ? mean1 : mean0) += y[c];
        }
        mean0 /= static_cast<double>(n);
        mean1 /= static_cast<double>(n);
        for (std::size_t c = 0; c < y.size(); ++c)
            y[c] -= c % 2 ? mean1 : mean0;
        if (progress && (it % 10 == 9 || it + 1 == options.iterations) && !progress(it + 1, options.iterations))
            throw Error(ErrorCode::Unsupported, {}, "embedding map", "cancelled");
    }
    FloatMatrix out(n, 2);
    for (std::size_t c = 0; c < y.size(); ++c)
        out.data[c] = static_cast<float>(y[c]);
    return out;
}

} // namespace lookalike
