// Exact top-k whose result does not depend on the machine (see ExactTopK.h for why).
//
// Why the candidates suffice. Let a(x) be row x's first-pass score and e(x) its exact score,
// with |a(x) - e(x)| <= eps for every row (firstPassErrorBound with the largest row norm).
// Let A be the k-th best first-pass score over all rows, and T the k-th best exact score.
// The k rows with a >= A have e >= A - eps, so T >= A - eps. Any row with e(x) >= T (in the
// exact top k, or tied with its k-th entry) has a(x) >= e(x) - eps >= A - 2 eps, so it is a
// candidate. Rescoring every candidate exactly and sorting by (score desc, row asc) therefore
// gives the exact top k, whatever floats the first pass produced. A running k-th best only
// grows as chunks arrive, so a row dropped against it is also below the final A - 2 eps.
//
// Cost: the first pass is a BLAS sgemm (2 n m d flops) plus one comparison per score; the
// exact pass is d double multiply-adds per candidate, usually k plus a few.
#include "core/index/ExactTopK.h"

#include "core/index/NeighbourIndex.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

extern "C" {
// Fortran BLAS (every libblas.so.3 has it: OpenBLAS, the reference BLAS, ...).
int sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const float *alpha,
           const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c,
           const int *ldc);
}

namespace lookalike {

namespace {

constexpr std::int64_t kQueryBlock = 256;  // queries per sgemm
constexpr std::int64_t kRowBlock = 8192;   // rows per sgemm: a 256 x 8192 score block is 8 MB
constexpr std::int64_t kScanStride = 64;   // scores checked at once against the floor

bool ranksBefore(const Neighbour &a, const Neighbour &b)
{
    return a.score > b.score || (a.score == b.score && a.row < b.row);
}

} // namespace

float exactScore(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; ++i)
        s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    return static_cast<float>(s);
}

bool sameEmbedding(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; ++i) {
        const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        s += diff * diff;
    }
    return s <= kSameEmbeddingDistance * kSameEmbeddingDistance;
}

double firstPassErrorBound(int d, double normA, double normB)
{
    const double u = std::ldexp(1.0, -24);
    const double du = (d + 1) * u;
    return 2.0 * (du / (1.0 - du) + u) * normA * normB;
}

double maxRowNorm(const float *rows, std::int64_t n, int d)
{
    double best = 0;
    for (std::int64_t r = 0; r < n; ++r) {
        double s = 0;
        const float *x = rows + r * d;
        for (int i = 0; i < d; ++i)
            s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        best = std::max(best, s);
    }
    return std::sqrt(best);
}

TopKCandidates::TopKCandidates(int k, double eps)
    : m_k(k)
    , m_twoEps(2 * eps)
    , m_floor(-std::numeric_limits<float>::infinity())
    , m_pruneAt(static_cast<std::size_t>(std::max(256, 4 * k)))
{
    m_best.reserve(static_cast<std::size_t>(k));
}

void TopKCandidates::push(std::int64_t row, float score)
{
    m_rows.push_back(row);
    m_scores.push_back(score);
    if (static_cast<int>(m_best.size()) < m_k) {
        m_best.push_back(score);
        std::push_heap(m_best.begin(), m_best.end(), std::greater<>());
    } else if (score > m_best.front()) {
        std::pop_heap(m_best.begin(), m_best.end(), std::greater<>());
        m_best.back() = score;
        std::push_heap(m_best.begin(), m_best.end(), std::greater<>());
    } else {
        return;
    }
    if (static_cast<int>(m_best.size()) == m_k) {
        // A - 2 eps in double, then one float step lower, so rounding never drops a candidate.
        const double floor = static_cast<double>(m_best.front()) - m_twoEps;
        m_floor = std::nextafter(static_cast<float>(floor), -std::numeric_limits<float>::infinity());
    }
    if (m_rows.size() >= m_pruneAt)
        prune();
}

void TopKCandidates::prune()
{
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_scores[i] >= m_floor) {
            m_rows[kept] = m_rows[i];
            m_scores[kept] = m_scores[i];
            ++kept;
        }
    m_rows.resize(kept);
    m_scores.resize(kept);
    // Many exact ties keep many candidates: prune again only when the list has doubled.
    m_pruneAt = std::max(m_pruneAt, 2 * kept);
}

void TopKCandidates::offer(const float *scores, std::int64_t firstRow, std::int64_t count)
{
    if (m_k <= 0)
        return;
    std::int64_t i = 0;
    // Most scores are below the floor once k rows are in: test a stride at once (the count
    // loop vectorises), and look at single scores only in a stride that has a candidate.
    for (; i + kScanStride <= count; i += kScanStride) {
        const float floor = m_floor;
        int above = 0;
        for (std::int64_t j = 0; j < kScanStride; ++j)
            above += scores[i + j] >= floor ? 1 : 0;
        if (above == 0)
            continue;
        for (std::int64_t j = 0; j < kScanStride; ++j)
            if (scores[i + j] >= m_floor)
                push(firstRow + i + j, scores[i + j]);
    }
    for (; i < count; ++i)
        if (scores[i] >= m_floor)
            push(firstRow + i, scores[i]);
}

std::vector<std::int64_t> TopKCandidates::rows()
{
    prune();
    std::vector<std::int64_t> out = m_rows;
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::vector<Neighbour>> exactTopK(const float *base, std::int64_t n, int d, double baseMaxNorm,
                                              const FloatMatrix &queries, int k)
{
    std::vector<std::vector<Neighbour>> out(static_cast<std::size_t>(queries.rows));
    if (k <= 0 || n == 0 || queries.rows == 0)
        return out;
    std::vector<float> scores;
    for (std::int64_t q0 = 0; q0 < queries.rows; q0 += kQueryBlock) {
        const std::int64_t nq = std::min(kQueryBlock, queries.rows - q0);
        std::vector<TopKCandidates> candidates;
        candidates.reserve(static_cast<std::size_t>(nq));
        for (std::int64_t i = 0; i < nq; ++i) {
            const float *q = queries.row(q0 + i).data();
            double s = 0;
            for (int j = 0; j < d; ++j)
                s += static_cast<double>(q[j]) * static_cast<double>(q[j]);
            candidates.emplace_back(k, firstPassErrorBound(d, std::sqrt(s), baseMaxNorm));
        }
        for (std::int64_t r0 = 0; r0 < n; r0 += kRowBlock) {
            const std::int64_t nr = std::min(kRowBlock, n - r0);
            scores.resize(static_cast<std::size_t>(nq * nr));
            // Column-major view: scores^T (nr x nq) = base_block (d x nr)^T * queries (d x nq).
            const int m = static_cast<int>(nr), nn = static_cast<int>(nq), kk = d;
            const float one = 1, zero = 0;
            sgemm_("T", "N", &m, &nn, &kk, &one, base + r0 * d, &kk, queries.row(q0).data(), &kk, &zero,
                   scores.data(), &m);
#pragma omp parallel for schedule(static)
            for (std::int64_t i = 0; i < nq; ++i)
                candidates[static_cast<std::size_t>(i)].offer(scores.data() + i * nr, r0, nr);
        }
#pragma omp parallel for schedule(dynamic, 4)
        for (std::int64_t i = 0; i < nq; ++i) {
            const float *q = queries.row(q0 + i).data();
            auto &list = out[static_cast<std::size_t>(q0 + i)];
            for (const std::int64_t row : candidates[static_cast<std::size_t>(i)].rows())
                list.push_back({row, exactScore(q, base + row * d, d)});
            std::sort(list.begin(), list.end(), ranksBefore);
            if (list.size() > static_cast<std::size_t>(k))
                list.resize(static_cast<std::size_t>(k));
        }
    }
    return out;
}

} // namespace lookalike
