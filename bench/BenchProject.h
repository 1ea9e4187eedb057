// A large evaluation project for the benchmarks, built quickly without any model: a generated
// catalog (a few dozen small distinct images shared by all items), two "precomputed" versions
// with seeded random embeddings, exact indexes, a query set and frozen lists of depth 10, and
// the top 5 of both lists graded for every other query (one bulk import). Also the timing
// helpers the benchmarks share.
#pragma once

#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

namespace lookalike::bench {

struct BenchProject {
    std::unique_ptr<Project> project;
    std::filesystem::path folder;
    std::vector<ModelVersion> versions;
    std::vector<std::int64_t> queries;
};

using Clock = std::chrono::steady_clock;

inline double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The p-quantile (0..1) of the timings, nearest rank below.
inline double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// `dir` is emptied first. Prints what it built and how long it took.
BenchProject makeBenchProject(const std::filesystem::path &dir, int queries);

} // namespace lookalike::bench
