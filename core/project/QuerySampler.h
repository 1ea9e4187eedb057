// Drawing the query set: a seeded random sample of catalog items, optionally stratified by
// category. Deterministic on every platform (its own generator and bounded draws, not
// std::uniform_int_distribution, whose algorithm the standard leaves open).
#pragma once

#include "core/util/SeededRandom.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

// Seats for each category in proportion to its size (Hamilton / largest remainder; ties to
// the larger category, then the category name). The seats sum to min(n, total).
std::map<std::string, std::int64_t> proportionalAllocation(const std::map<std::string, std::int64_t> &sizes,
                                                           std::int64_t n);

// `candidates`: (item id, category). Returns min(n, candidates) item ids, ascending.
std::vector<std::int64_t> sampleQueries(const std::vector<std::pair<std::int64_t, std::string>> &candidates,
                                        std::int64_t n, std::uint64_t seed, bool byCategory);

} // namespace lookalike
