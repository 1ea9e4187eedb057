// Exact top-k by inner product whose result does not depend on the CPU, the BLAS kernel, the
// thread count or where a row sits in the matrix.
//
// Why: BLAS computes the same dot product with slightly different floats depending on the
// kernel it picked (OPENBLAS_CORETYPE), the blocking and the row's position, so "which of
// many equal items make the top k" used to depend on the machine. Here the fast first pass
// (BLAS sgemm, any kernel) only nominates candidates: every row whose first-pass score is
// within 2 * eps of the first pass's k-th best (eps bounds the first pass's float error,
// see firstPassErrorBound) is rescored with exactScore, and the final order is exact score
// descending, then row ascending. The proof is in ExactTopK.cpp.
//
// Shapes: base is n x d (row-major, contiguous), queries m x d.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace lookalike {

struct Neighbour;

// The score every list holds: the dot product accumulated in double in index order, then
// rounded to float once. Each float product is exact in double, so the value is the same
// on every machine and compiler (with or without FMA contraction).
float exactScore(const float *a, const float *b, int d);

// Whether two embeddings are "the same" (a relisting's photo, the query's twin): their
// Euclidean distance, computed in double in index order, is at most kSameEmbeddingDistance.
// Not bitwise equality: the same image embedded at another position of a batch, or by another
// BLAS kernel, differs in the last bits (about 1e-7 per component), while two different
// photos are orders of magnitude further apart.
inline constexpr double kSameEmbeddingDistance = 1e-4;
bool sameEmbedding(const float *a, const float *b, int d);

// A bound on |first-pass score - exactScore| for one pair: a float32 dot product of d terms,
// summed in any order, with or without FMA, errs by at most gamma_d * |a|.|b| <= gamma_d *
// ||a|| ||b|| (gamma_d = d u / (1 - d u), u = 2^-24); the final rounding adds u ||a|| ||b||.
// Returned with a factor 2 to spare.
double firstPassErrorBound(int d, double normA, double normB);

// Largest Euclidean row norm of an n x d matrix (in double).
double maxRowNorm(const float *rows, std::int64_t n, int d);

// One query's first pass: takes approximate scores chunk by chunk (in any order of chunks)
// and keeps every row that may still belong to the exact top k.
class TopKCandidates {
public:
    TopKCandidates(int k, double eps);
    // scores[i] is row firstRow + i's approximate score.
    void offer(const float *scores, std::int64_t firstRow, std::int64_t count);
    // Rows, ascending, whose approximate score is at least (k-th best approximate) - 2 eps:
    // a superset of the exact top k, ties at the k-th place included.
    std::vector<std::int64_t> rows();

private:
    void push(std::int64_t row, float score);
    void prune();

    int m_k;
    double m_twoEps;
    std::vector<float> m_best;        // min-heap of the k best approximate scores so far
    float m_floor;                    // candidates below this cannot make the top k
    std::vector<std::int64_t> m_rows; // candidates so far
    std::vector<float> m_scores;
    std::size_t m_pruneAt;
};

// Exact top-k of each query over `base` (n x d, contiguous): sgemm first pass in blocks,
// candidates as above, exact rescoring, sorted by score descending then row ascending.
// baseMaxNorm: maxRowNorm(base) (callers cache it). Lists are at most k long.
std::vector<std::vector<Neighbour>> exactTopK(const float *base, std::int64_t n, int d, double baseMaxNorm,
                                              const FloatMatrix &queries, int k);

} // namespace lookalike
