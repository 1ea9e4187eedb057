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
// For one query or a few, the first pass runs over 8-bit codes of the rows instead (Int8Codes:
// a quarter of the bytes, with a proven per-row error bound) and only the candidates' float
// rows are read, from disk if that is where they are.
//
// Shapes: rows n x d, queries m x d, codes n x d.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace lookalike {

struct Neighbour;
class FloatRows;

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

// One query's first pass: takes bounds on each row's exact score chunk by chunk (in any
// order of chunks) and keeps every row that may still belong to the exact top k.
class TopKCandidates {
public:
    // eps: the error bound of the scores given to offer() (unused by offerBounds()).
    TopKCandidates(int k, double eps);
    // scores[i] is row firstRow + i's first-pass score, within eps of its exact score.
    void offer(const float *scores, std::int64_t firstRow, std::int64_t count);
    // lower[i] <= row firstRow + i's exact score <= upper[i].
    void offerBounds(const double *lower, const double *upper, std::int64_t firstRow, std::int64_t count);
    // Rows, ascending, whose upper bound reaches the k-th best lower bound: a superset of the
    // exact top k, ties at the k-th place included. (For offer(): first-pass score at least
    // the k-th best first-pass score - 2 eps.)
    std::vector<std::int64_t> rows();

private:
    void push(std::int64_t row, double lower, double upper);
    void prune();

    int m_k;
    double m_eps;
    std::vector<double> m_best;       // min-heap of the k best lower bounds so far
    double m_floor;                   // rows whose upper bound is below this cannot make the top k
    float m_scoreFloor;               // m_floor - eps as a float rounded down: offer()'s quick test
    std::vector<std::int64_t> m_rows; // candidates so far
    std::vector<double> m_upper;
    std::size_t m_pruneAt;
};

// 8-bit codes of every row, for the first pass of a single query: 1/4 of the float32 bytes,
// with what a proven error bound needs. Row x = scale * code + residual, |code_i| <= 127.
struct Int8Codes {
    std::int64_t rows = 0;
    int cols = 0;
    std::vector<std::int8_t> codes;   // rows x cols
    std::vector<float> scale;         // per row
    std::vector<float> residualNorm;  // per row, ||x - scale * code||, rounded up
    std::vector<float> norm;          // per row, ||x||, rounded up
    std::vector<std::int32_t> codeSum; // per row, sum of the codes

    static Int8Codes encode(const FloatRows &rows); // throws InvalidArgument for a NaN or infinity
    double maxNorm() const;
    // A file beside the index (atomic write); load returns nothing if the file is missing or
    // does not hold rows x cols codes, so that the caller encodes them again.
    void save(const std::filesystem::path &path) const;
    static std::optional<Int8Codes> load(const std::filesystem::path &path, std::int64_t rows, int cols);
};

// The integer kernels of the 8-bit pass (the fastest the CPU runs is used). Exposed so that
// tests can check that every one gives the same sums: out[r] = sum_i c_i * codes.codes[r][i],
// where c is the query's 8-bit code, for every row r of `codes`.
enum class Int8Kernel { Scalar, Avx2, Vnni };
bool int8KernelRuns(Int8Kernel kernel);
void int8Dots(Int8Kernel kernel, const Int8Codes &codes, const float *query, std::int32_t *out);

// Exact top-k of each query (m x d) over `rows`, sorted by exactScore descending, then row
// ascending, at most k long. A few queries with codes: the 8-bit first pass (one pass over
// the codes, bandwidth-bound), then only the candidates' floats are read. Otherwise: a BLAS
// sgemm first pass that reads every float row once for all queries. maxNorm: the largest row
// norm, at least (Int8Codes::maxNorm).
std::vector<std::vector<Neighbour>> exactSearch(const FloatRows &rows, const Int8Codes *codes, double maxNorm,
                                                const FloatMatrix &queries, int k);

} // namespace lookalike
