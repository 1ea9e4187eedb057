// SplitMix64 (Vigna's splitmix64.c) and unbiased bounded draws.
#include "core/util/SeededRandom.h"

namespace lookalike {

std::uint64_t SeededRandom::next()
{
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t SeededRandom::below(std::uint64_t bound)
{
    // Rejection sampling: drop the top partial block so every value is equally likely.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t x;
    do {
        x = next();
    } while (x >= limit);
    return x % bound;
}

} // namespace lookalike
