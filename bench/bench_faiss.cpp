// FAISS neighbour search on this machine, through NeighbourIndex (what the app uses): build
// time, single-query latency (p50/p99), batched throughput and recall@10 against the exact
// index, for exact, HNSW and IVF-PQ over unit vectors (768-d by default).
//
//   bench_faiss [--sizes 10000,100000,1000000] [--kinds exact,hnsw,ivfpq] [--data random,clustered]
//               [--dim 768] [--recall-queries 200] [--batch 1000] [--latency-seconds 10]
//               [--hnsw-limit N] [--ef-search 128] [--nprobe 16]
//
// Random vectors are the worst case for approximate search (no structure, all neighbours
// nearly equidistant); "clustered" vectors are closer to real embeddings (a low-dimensional
// latent space with clusters, mapped to d dimensions, plus noise). With --hnsw-limit N, HNSW
// is built only up to N vectors and the build time of larger sizes is extrapolated
// (n log n from the largest measured size) and labelled as such.
#include "core/index/NeighbourIndex.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace lookalike;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> splitList(const std::string &s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

void normaliseRows(FloatMatrix &m, std::int64_t begin, std::int64_t end)
{
    for (std::int64_t r = begin; r < end; ++r) {
        double s = 0;
        for (float v : m.row(r))
            s += double(v) * v;
        const double inv = s > 0 ? 1.0 / std::sqrt(s) : 0.0;
        for (float &v : m.row(r))
            v = float(v * inv);
    }
}

// Fills rows [0, n) with `fill(row, rng)` on all cores; each block of rows has its own
// generator, so the data depends on the seed only, not on the thread count.
template <typename Fill> void parallelRows(std::int64_t n, std::uint64_t seed, Fill &&fill)
{
    constexpr std::int64_t block = 4096;
    const std::int64_t blocks = (n + block - 1) / block;
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (std::int64_t b = t; b < blocks; b += threads) {
                std::mt19937_64 rng(seed * 1000003u + std::uint64_t(b));
                for (std::int64_t r = b * block; r < std::min(n, (b + 1) * block); ++r)
                    fill(r, rng);
            }
        });
    for (auto &th : pool)
        th.join();
}

FloatMatrix randomUnit(std::int64_t n, std::int64_t d, std::uint64_t seed)
{
    FloatMatrix m(n, d);
    parallelRows(n, seed, [&](std::int64_t r, std::mt19937_64 &rng) {
        std::normal_distribution<float> g;
        for (float &v : m.row(r))
            v = g(rng);
        normaliseRows(m, r, r + 1);
    });
    return m;
}

// n / 100 clusters (at least 10) in a 32-d latent space, spread 0.35 around unit-variance
// centres, mapped linearly to d dimensions, plus noise 0.05 per dimension, then normalised.
struct ClusterModel {
    static constexpr int latent = 32;
    std::vector<float> projection; // latent x d
    std::vector<float> centres; // clusters x latent
    int clusters = 0;
    std::int64_t d = 0;

    ClusterModel(std::int64_t n, std::int64_t dim, std::uint64_t seed)
        : clusters(int(std::max<std::int64_t>(10, n / 100)))
        , d(dim)
    {
        std::mt19937_64 rng(seed);
        std::normal_distribution<float> g;
        projection.resize(std::size_t(latent * d));
        for (float &v : projection)
            v = g(rng) / std::sqrt(float(latent));
        centres.resize(std::size_t(clusters) * latent);
        for (float &v : centres)
            v = g(rng);
    }

    FloatMatrix sample(std::int64_t n, std::uint64_t seed) const
    {
        FloatMatrix m(n, d);
        parallelRows(n, seed, [&](std::int64_t r, std::mt19937_64 &rng) {
            std::normal_distribution<float> g;
            std::uniform_int_distribution<int> pick(0, clusters - 1);
            const int c = pick(rng);
            float z[latent];
            for (int i = 0; i < latent; ++i)
                z[i] = centres[std::size_t(c) * latent + i] + 0.35f * g(rng);
            auto row = m.row(r);
            for (std::int64_t j = 0; j < d; ++j)
                row[std::size_t(j)] = 0.05f * g(rng);
            for (int i = 0; i < latent; ++i)
                for (std::int64_t j = 0; j < d; ++j)
                    row[std::size_t(j)] += z[i] * projection[std::size_t(i * d + j)];
            normaliseRows(m, r, r + 1);
        });
        return m;
    }
};

FloatMatrix firstRows(const FloatMatrix &m, std::int64_t rows)
{
    FloatMatrix out(rows, m.cols);
    std::copy(m.data.begin(), m.data.begin() + rows * m.cols, out.data.begin());
    return out;
}

struct Result {
    std::string data;
    std::int64_t n = 0;
    std::string kind;
    double buildSeconds = 0;
    bool extrapolated = false;
    double p50 = 0, p99 = 0; // ms
    int latencySamples = 0;
    double batchQps = 0;
    int batch = 0;
    double recall = -1;
    double memoryMb = 0;
    std::string note;
};

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const double pos = p * double(v.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const auto hi = std::min(v.size() - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

// Memory of the index's vectors and codes (FAISS's own layout), in MB.
double memoryMb(IndexKind kind, std::int64_t n, std::int64_t d, const IndexOptions &o)
{
    const double vectors = double(n) * double(d) * 4;
    switch (kind) {
    case IndexKind::Exact:
        return vectors / 1e6;
    case IndexKind::Hnsw:
        return (vectors + double(n) * o.hnswM * 2 * 4 * 1.05) / 1e6; // level 0 + upper levels
    case IndexKind::IvfPq: {
        // Code size: the subquantizer rule of NeighbourIndex.cpp (divisor of d nearest d / 4), plus an 8-byte id.
        std::int64_t best = 1;
        for (std::int64_t m = 1; m <= d; ++m)
            if (d % m == 0 && std::abs(double(m) - d / 4.0) <= std::abs(double(best) - d / 4.0))
                best = m;
        return double(n) * double(best + 8) / 1e6;
    }
    }
    return 0;
}

void usage()
{
    std::fprintf(stderr,
        "usage: bench_faiss [--sizes 10000,100000] [--kinds exact,hnsw,ivfpq] [--data random,clustered]\n"
        "                   [--dim 768] [--recall-queries 200] [--batch 1000] [--latency-seconds 10]\n"
        "                   [--hnsw-limit N] [--ef-search 128] [--nprobe 16]\n");
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::int64_t> sizes{10000, 100000};
    std::vector<std::string> kinds{"exact", "hnsw", "ivfpq"};
    std::vector<std::string> datasets{"random"};
    std::int64_t dim = 768;
    int recallQueries = 200;
    int batch = 1000;
    double latencySeconds = 10;
    std::int64_t hnswLimit = -1;
    IndexOptions base;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage();
            return 0;
        }
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        const std::string v = argv[++i];
        if (a == "--sizes") {
            sizes.clear();
            for (const auto &s : splitList(v))
                sizes.push_back(std::atoll(s.c_str()));
        } else if (a == "--kinds") {
            kinds = splitList(v);
        } else if (a == "--data") {
            datasets = splitList(v);
        } else if (a == "--dim") {
            dim = std::atoll(v.c_str());
        } else if (a == "--recall-queries") {
            recallQueries = std::atoi(v.c_str());
        } else if (a == "--batch") {
            batch = std::atoi(v.c_str());
        } else if (a == "--latency-seconds") {
            latencySeconds = std::atof(v.c_str());
        } else if (a == "--hnsw-limit") {
            hnswLimit = std::atoll(v.c_str());
        } else if (a == "--ef-search") {
            base.hnswEfSearch = std::atoi(v.c_str());
        } else if (a == "--nprobe") {
            base.ivfProbe = std::atoi(v.c_str());
        } else {
            usage();
            return 2;
        }
    }
    for (const auto &k : kinds)
        parseIndexKind(k); // fail early on a typo
    std::sort(sizes.begin(), sizes.end());

    std::printf("bench_faiss: %lld-d unit vectors, %d OpenMP threads, k = 10, HNSW M %d efConstruction %d "
                "efSearch %d, IVF-PQ nprobe %d (nlist and PQ size automatic)\n",
        static_cast<long long>(dim), omp_get_max_threads(), base.hnswM, base.hnswEfConstruction, base.hnswEfSearch,
        base.ivfProbe);
    std::fflush(stdout);

    std::vector<Result> results;
    for (const auto &dataName : datasets) {
        if (dataName != "random" && dataName != "clustered") {
            std::fprintf(stderr, "unknown --data %s\n", dataName.c_str());
            return 2;
        }
        // The largest matrix once; smaller sizes are its first rows (the same distribution).
        const std::int64_t maxN = sizes.back();
        auto t0 = Clock::now();
        FloatMatrix all, queries;
        if (dataName == "random") {
            all = randomUnit(maxN, dim, 1);
            queries = randomUnit(std::max(recallQueries, batch), dim, 2);
        } else {
            const ClusterModel model(maxN, dim, 3);
            all = model.sample(maxN, 4);
            queries = model.sample(std::max(recallQueries, batch), 5);
        }
        std::fprintf(stderr, "[%s] generated %lld x %lld in %.1f s\n", dataName.c_str(), (long long)maxN,
            (long long)dim, secondsSince(t0));
        const FloatMatrix recallSet = firstRows(queries, recallQueries);
        const FloatMatrix batchSet = firstRows(queries, batch);

        std::map<std::string, std::pair<std::int64_t, double>> largestBuild; // kind -> (n, seconds)
        for (const std::int64_t n : sizes) {
            const FloatMatrix vectors = n == maxN ? std::move(all) : firstRows(all, n);
            t0 = Clock::now();
            const NeighbourIndex exact = NeighbourIndex::build(vectors);
            const double exactBuild = secondsSince(t0);
            for (const auto &kindName : kinds) {
                const IndexKind kind = parseIndexKind(kindName);
                Result r;
                r.data = dataName;
                r.n = n;
                r.kind = kindName;
                IndexOptions o = base;
                o.kind = kind;
                r.memoryMb = memoryMb(kind, n, dim, o);
                if (kind == IndexKind::Hnsw && hnswLimit >= 0 && n > hnswLimit) {
                    const auto it = largestBuild.find(kindName);
                    if (it != largestBuild.end()) {
                        const auto [n0, s0] = it->second;
                        r.buildSeconds = s0 * (double(n) * std::log(double(n))) / (double(n0) * std::log(double(n0)));
                        r.extrapolated = true;
                        r.note = "not built: build time extrapolated n log n from n = " + std::to_string(n0);
                    } else {
                        r.note = "skipped (--hnsw-limit)";
                    }
                    results.push_back(r);
                    continue;
                }
                std::fprintf(
                    stderr, "[%s] n = %lld: building %s...\n", dataName.c_str(), (long long)n, kindName.c_str());
                std::optional<NeighbourIndex> built;
                if (kind == IndexKind::Exact) {
                    r.buildSeconds = exactBuild;
                } else {
                    t0 = Clock::now();
                    built.emplace(NeighbourIndex::build(vectors, o));
                    r.buildSeconds = secondsSince(t0);
                }
                const NeighbourIndex &index = built ? *built : exact;
                largestBuild[kindName] = {n, r.buildSeconds};
                if (index.kind() != kind)
                    r.note = std::string("built as ") + indexKindName(index.kind());

                // Single queries, one after the other, until latencySeconds (at least 20, at most 1000).
                std::vector<double> ms;
                const auto latencyStart = Clock::now();
                for (std::int64_t q = 0; q < queries.rows && ms.size() < 1000; ++q) {
                    FloatMatrix one(1, dim);
                    std::copy(queries.row(q).begin(), queries.row(q).end(), one.data.begin());
                    const auto s = Clock::now();
                    const auto found = index.search(one, 10);
                    ms.push_back(secondsSince(s) * 1000);
                    if (found.front().size() != 10)
                        r.note = "fewer than 10 results";
                    if (ms.size() >= 20 && secondsSince(latencyStart) > latencySeconds)
                        break;
                }
                r.p50 = percentile(ms, 0.5);
                r.p99 = percentile(ms, 0.99);
                r.latencySamples = int(ms.size());

                t0 = Clock::now();
                index.search(batchSet, 10);
                r.batchQps = double(batch) / secondsSince(t0);
                r.batch = batch;

                r.recall = kind == IndexKind::Exact ? 1.0 : recallAtK(index, exact, recallSet, 10);
                std::fprintf(stderr,
                    "[%s] n = %lld %s: build %.2f s, p50 %.3f ms, p99 %.3f ms (%d), %.0f q/s batched, "
                    "recall@10 %.3f\n",
                    dataName.c_str(), (long long)n, kindName.c_str(), r.buildSeconds, r.p50, r.p99, r.latencySamples,
                    r.batchQps, r.recall);
                results.push_back(r);
            }
        }
    }

    std::printf("\n| data | n | index | build | p50 latency | p99 latency | batched (%d queries) | recall@10 | "
                "memory | note |\n",
        batch);
    std::printf("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (const auto &r : results) {
        char build[64], p50[32] = "-", p99[32] = "-", qps[32] = "-", recall[32] = "-";
        std::snprintf(build, sizeof build, r.extrapolated ? "~%.0f s (extrapolated)" : "%.2f s", r.buildSeconds);
        if (r.latencySamples > 0) {
            std::snprintf(p50, sizeof p50, "%.3f ms", r.p50);
            std::snprintf(p99, sizeof p99, "%.3f ms", r.p99);
            std::snprintf(qps, sizeof qps, "%.0f q/s", r.batchQps);
        }
        if (r.recall >= 0)
            std::snprintf(recall, sizeof recall, "%.3f", r.recall);
        std::printf("| %s | %lld | %s | %s | %s | %s | %s | %s | %.0f MB | %s |\n", r.data.c_str(), (long long)r.n,
            r.kind.c_str(), build, p50, p99, qps, recall, r.memoryMb, r.note.c_str());
    }
    return 0;
}
