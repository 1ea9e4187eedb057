// The embedding map's projections on this machine: PCA of 100,000 x 768 and exact t-SNE of
// 2,000, 5,000 and 10,000 x 768 clustered unit vectors (750 iterations), with the LibTorch
// thread count.
//
//   bench_map [--pca N] [--tsne N1,N2,...] [--iterations I]
#include "core/analysis/EmbeddingProjection.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>

using namespace lookalike;
using Clock = std::chrono::steady_clock;

namespace {

// Clustered unit vectors: 20 centres plus noise, as real embeddings are grouped.
FloatMatrix clustered(std::int64_t n, int d)
{
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<std::vector<float>> centres(20, std::vector<float>(static_cast<std::size_t>(d)));
    for (auto &c : centres)
        for (float &v : c)
            v = normal(rng);
    FloatMatrix m(n, d);
    for (std::int64_t r = 0; r < n; ++r) {
        const auto &c = centres[static_cast<std::size_t>(r % 20)];
        double norm = 0;
        for (int j = 0; j < d; ++j) {
            float &v = m.data[static_cast<std::size_t>(r * d + j)];
            v = c[static_cast<std::size_t>(j)] + 0.6f * normal(rng);
            norm += double(v) * v;
        }
        for (int j = 0; j < d; ++j)
            m.data[static_cast<std::size_t>(r * d + j)] /= static_cast<float>(std::sqrt(norm));
    }
    return m;
}

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

int main(int argc, char **argv)
{
    std::int64_t pcaN = 100000;
    std::string tsneSizes = "2000,5000,10000";
    int iterations = 750;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--pca") && a + 1 < argc)
            pcaN = std::atoll(argv[++a]);
        else if (!std::strcmp(argv[a], "--tsne") && a + 1 < argc)
            tsneSizes = argv[++a];
        else if (!std::strcmp(argv[a], "--iterations") && a + 1 < argc)
            iterations = std::atoi(argv[++a]);
        else {
            std::fprintf(stderr, "usage: bench_map [--pca N] [--tsne N1,N2,...] [--iterations I]\n");
            return 2;
        }
    }
    std::printf("bench_map: 768-d clustered unit vectors, %u hardware threads\n", std::thread::hardware_concurrency());
    if (pcaN > 0) {
        const FloatMatrix m = clustered(pcaN, 768);
        const auto t0 = Clock::now();
        pcaProject(m, 2);
        std::printf("PCA   n = %7lld: %6.2f s\n", static_cast<long long>(pcaN), secondsSince(t0));
    }
    std::stringstream sizes(tsneSizes);
    for (std::string item; std::getline(sizes, item, ',');) {
        const std::int64_t n = std::atoll(item.c_str());
        const FloatMatrix m = clustered(n, 768);
        TsneOptions options;
        options.iterations = iterations;
        const auto t0 = Clock::now();
        tsneProject(m, options);
        const double s = secondsSince(t0);
        std::printf("t-SNE n = %7lld: %6.1f s (%d iterations, %.0f ms each)\n", static_cast<long long>(n), s,
            iterations, 1000.0 * s / iterations);
        std::fflush(stdout);
    }
    return 0;
}
