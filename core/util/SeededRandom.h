// A small seeded random generator whose output is the same on every platform and compiler
// (std::mt19937 is portable but std::*_distribution algorithms are not), for query sampling,
// recall checks and the bootstrap / randomization tests of the metrics.
#pragma once

#include <cstdint>

namespace lookalike {

// SplitMix64: small, fast, fully specified.
class SeededRandom {
public:
    explicit SeededRandom(std::uint64_t seed)
        : m_state(seed)
    {
    }
    std::uint64_t next();
    std::uint64_t below(std::uint64_t bound); // uniform in [0, bound), bound > 0, unbiased

private:
    std::uint64_t m_state;
};

} // namespace lookalike
