// Peak memory of an IVF-PQ build over a big embedding file: the whole matrix loaded first (as
// `lookalike index` did before) against the vectors read from the .npy in chunks (now).
//
//   bench_ivfpq_memory write FILE ROWS DIM        clustered random unit vectors, streamed to FILE
//   bench_ivfpq_memory build FILE whole|chunked [NLIST]
//
// Prints the build time and the process's peak resident set (VmHWM); run each mode in its own
// process (and under /usr/bin/time -v for a second opinion).
#include "core/index/NeighbourIndex.h"
#include "core/index/NpyFile.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace lookalike;

namespace {

std::uint64_t next(std::uint64_t &s)
{
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float uniform(std::uint64_t &s)
{
    return static_cast<float>(next(s) >> 11) * (1.0f / 9007199254740992.0f) * 2.0f - 1.0f;
}

long peakRssKb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

int write(const std::string &file, std::int64_t rows, int dim)
{
    std::uint64_t seed = 42;
    const int clusters = 1000;
    std::vector<float> centres(static_cast<std::size_t>(clusters) * static_cast<std::size_t>(dim));
    for (float &c : centres)
        c = uniform(seed);
    NpyAppender out = NpyAppender::open(file, dim, 0);
    const std::int64_t chunk = 4096;
    std::vector<float> block(static_cast<std::size_t>(chunk * dim));
    for (std::int64_t first = 0; first < rows; first += chunk) {
        const std::int64_t n = std::min(chunk, rows - first);
        for (std::int64_t r = 0; r < n; ++r) {
            const float *centre = centres.data() + (next(seed) % clusters) * static_cast<std::uint64_t>(dim);
            float *v = block.data() + r * dim;
            double norm = 0;
            for (int d = 0; d < dim; ++d) {
                v[d] = centre[d] + 0.3f * uniform(seed);
                norm += double(v[d]) * v[d];
            }
            const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
            for (int d = 0; d < dim; ++d)
                v[d] *= inv;
        }
        out.append(block.data(), n);
    }
    out.commit();
    std::printf("wrote %lld x %d to %s\n", static_cast<long long>(rows), dim, file.c_str());
    return 0;
}

int build(const std::string &file, const std::string &mode, int nlist)
{
    IndexOptions options;
    options.kind = IndexKind::IvfPq;
    options.ivfLists = nlist;
    const auto start = std::chrono::steady_clock::now();
    std::int64_t rows = 0;
    if (mode == "whole") {
        const FloatMatrix m = readNpyMatrix(file);
        rows = m.rows;
        const NeighbourIndex index = NeighbourIndex::build(m, options);
    } else {
        const NpyRowReader reader = NpyRowReader::open(file);
        rows = reader.rows();
        const NeighbourIndex index = NeighbourIndex::build(reader, reader.rows(), options);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("ivfpq %s: %lld rows, nlist %d, %.1f s, peak RSS %.0f MB\n", mode.c_str(), static_cast<long long>(rows),
                nlist, seconds, peakRssKb() / 1024.0);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        if (argc == 5 && std::strcmp(argv[1], "write") == 0)
            return write(argv[2], std::stoll(argv[3]), std::stoi(argv[4]));
        if ((argc == 4 || argc == 5) && std::strcmp(argv[1], "build") == 0)
            return build(argv[2], argv[3], argc == 5 ? std::stoi(argv[4]) : 0);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: bench_ivfpq_memory write FILE ROWS DIM | build FILE whole|chunked [NLIST]\n");
    return 2;
}
