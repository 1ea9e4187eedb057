// Seeded, optionally stratified sampling of query items.
#include "core/project/QuerySampler.h"

#include <algorithm>

namespace lookalike {

namespace {
__extension__ using Int128 = __int128; // n * size can exceed 64 bits for huge inputs
}

std::map<std::string, std::int64_t> proportionalAllocation(const std::map<std::string, std::int64_t> &sizes,
                                                           std::int64_t n)
{
    std::int64_t total = 0;
    for (const auto &kv : sizes)
        total += kv.second;
    std::map<std::string, std::int64_t> seats;
    if (total == 0)
        return seats;
    n = std::min(n, total);
    struct Remainder {
        std::int64_t numerator; // n * size mod total: the fractional part times total
        std::int64_t size;
        const std::string *category;
    };
    std::vector<Remainder> remainders;
    std::int64_t given = 0;
    for (const auto &[category, size] : sizes) {
        const Int128 exact = static_cast<Int128>(n) * size;
        seats[category] = static_cast<std::int64_t>(exact / total);
        given += seats[category];
        remainders.push_back({static_cast<std::int64_t>(exact % total), size, &category});
    }
    std::sort(remainders.begin(), remainders.end(), [](const Remainder &a, const Remainder &b) {
        if (a.numerator != b.numerator)
            return a.numerator > b.numerator;
        if (a.size != b.size)
            return a.size > b.size;
        return *a.category < *b.category;
    });
    for (std::size_t i = 0; given < n; ++i, ++given)
        ++seats[*remainders[i % remainders.size()].category];
    return seats;
}

namespace {

// The first k elements after a seeded partial Fisher-Yates shuffle.
std::vector<std::int64_t> drawWithoutReplacement(std::vector<std::int64_t> ids, std::int64_t k, SeededRandom &random)
{
    k = std::min<std::int64_t>(k, static_cast<std::int64_t>(ids.size()));
    for (std::int64_t i = 0; i < k; ++i) {
        const auto j = i + static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(ids.size()) - i));
        std::swap(ids[i], ids[j]);
    }
    ids.resize(static_cast<std::size_t>(k));
    return ids;
}

} // namespace

std::vector<std::int64_t> sampleQueries(const std::vector<std::pair<std::int64_t, std::string>> &candidates,
                                        std::int64_t n, std::uint64_t seed, bool byCategory)
{
    SeededRandom random(seed);
    std::vector<std::int64_t> chosen;
    if (!byCategory) {
        std::vector<std::int64_t> ids;
        for (const auto &c : candidates)
            ids.push_back(c.first);
        std::sort(ids.begin(), ids.end()); // the input order must not change the sample
        chosen = drawWithoutReplacement(std::move(ids), n, random);
    } else {
        std::map<std::string, std::vector<std::int64_t>> byCat;
        for (const auto &[id, category] : candidates)
            byCat[category].push_back(id);
        std::map<std::string, std::int64_t> sizes;
        for (auto &[category, ids] : byCat) {
            std::sort(ids.begin(), ids.end());
            sizes[category] = static_cast<std::int64_t>(ids.size());
        }
        const auto seats = proportionalAllocation(sizes, n);
        for (const auto &[category, count] : seats) { // categories in name order
            const auto drawn = drawWithoutReplacement(byCat[category], count, random);
            chosen.insert(chosen.end(), drawn.begin(), drawn.end());
        }
    }
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

} // namespace lookalike
