// A large evaluation project for the benchmarks, built quickly without any model: a generated
// catalog (a few dozen small distinct images shared by all items), two "precomputed" versions
// with seeded random embeddings, exact indexes, a query set and frozen lists of depth 10, and
// the top 5 of both lists graded for every other query (one bulk import).
#pragma once

#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

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

// `dir` is emptied first. Prints what it built and how long it took.
BenchProject makeBenchProject(const std::filesystem::path &dir, int queries);

} // namespace lookalike::bench
