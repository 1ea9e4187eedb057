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
// The 8-bit first pass generalises this with a bound per row: with lower(x) <= e(x) <= upper(x),
// the k-th best exact score T is at least L, the k-th best lower bound, so every row with
// e(x) >= T has upper(x) >= L. The bound: a query q = Q + r_q and a row x = X + r_x, where
// Q = s_q c_q and X = s_x c_x are the scaled codes, give q.x - s_q s_x (c_q.c_x) = Q.r_x + r_q.x,
// at most (||q|| + ||r_q||) ||r_x|| + ||r_q|| ||x|| (Cauchy-Schwarz), plus the float rounding
// of exactScore (u ||q|| ||x||). c_q.c_x is an integer sum: exact on every instruction set.
//
// Cost: the batch first pass is a BLAS sgemm (2 n m d flops) plus one comparison per score,
// reading every float row once for all queries; the single-query pass reads n d bytes of codes.
// The exact pass is d double multiply-adds per candidate, usually k plus a few (8-bit: a few
// hundred more, read with pread when the rows are on disk).
#include "core/index/ExactTopK.h"

#include "core/Error.h"
#include "core/index/AtomicFile.h"
#include "core/index/FloatRows.h"
#include "core/index/NeighbourIndex.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>

extern "C" {
// Fortran BLAS (every libblas.so.3 has it: OpenBLAS, the reference BLAS, ...).
int sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const float *alpha,
           const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c,
           const int *ldc);
}

namespace lookalike {

namespace {

constexpr std::int64_t kQueryBlock = 1024; // queries per sgemm
constexpr std::int64_t kRowBlock = 8192;   // rows per sgemm (and per read): a 1024 x 8192 score block is 32 MB
constexpr std::int64_t kScanStride = 64;   // scores checked at once against the floor
constexpr std::int64_t kFewQueries = 8;    // fewer than this (with codes): the 8-bit pass, one query at a time
constexpr std::int64_t kCodeBlock = 4096;  // rows per 8-bit kernel call
constexpr int kMaxCodeDim = 65536;         // the 8-bit sums fit in int32 up to d = 2^31 / (255 * 127)

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

TopKCandidates::TopKCandidates(int k, double eps)
    : m_k(k)
    , m_eps(eps)
    , m_floor(-std::numeric_limits<double>::infinity())
    , m_scoreFloor(-std::numeric_limits<float>::infinity())
    , m_pruneAt(static_cast<std::size_t>(std::max(256, 4 * k)))
{
    m_best.reserve(static_cast<std::size_t>(std::max(k, 0)));
}

void TopKCandidates::push(std::int64_t row, double lower, double upper)
{
    if (upper < m_floor)
        return;
    m_rows.push_back(row);
    m_upper.push_back(upper);
    if (static_cast<int>(m_best.size()) < m_k) {
        m_best.push_back(lower);
        std::push_heap(m_best.begin(), m_best.end(), std::greater<>());
    } else if (lower > m_best.front()) {
        std::pop_heap(m_best.begin(), m_best.end(), std::greater<>());
        m_best.back() = lower;
        std::push_heap(m_best.begin(), m_best.end(), std::greater<>());
    } else {
        return;
    }
    if (static_cast<int>(m_best.size()) == m_k) {
        m_floor = m_best.front();
        // One float step lower than floor - eps, so that rounding never drops a candidate.
        m_scoreFloor = std::nextafter(static_cast<float>(m_floor - m_eps), -std::numeric_limits<float>::infinity());
    }
    if (m_rows.size() >= m_pruneAt)
        prune();
}

void TopKCandidates::prune()
{
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_upper[i] >= m_floor) {
            m_rows[kept] = m_rows[i];
            m_upper[kept] = m_upper[i];
            ++kept;
        }
    m_rows.resize(kept);
    m_upper.resize(kept);
    // Many exact ties keep many candidates: prune again only when the list has doubled.
    m_pruneAt = std::max(m_pruneAt, 2 * kept);
}

void TopKCandidates::offer(const float *scores, std::int64_t firstRow, std::int64_t count)
{
    if (m_k <= 0)
        return;
    auto one = [&](std::int64_t i) {
        const double s = scores[i];
        push(firstRow + i, s - m_eps, s + m_eps);
    };
    std::int64_t i = 0;
    // Most scores are below the floor once k rows are in: test a stride at once (the count
    // loop vectorises), and look at single scores only in a stride that has a candidate.
    for (; i + kScanStride <= count; i += kScanStride) {
        const float floor = m_scoreFloor;
        int above = 0;
        for (std::int64_t j = 0; j < kScanStride; ++j)
            above += scores[i + j] >= floor ? 1 : 0;
        if (above == 0)
            continue;
        for (std::int64_t j = 0; j < kScanStride; ++j)
            if (scores[i + j] >= m_scoreFloor)
                one(i + j);
    }
    for (; i < count; ++i)
        if (scores[i] >= m_scoreFloor)
            one(i);
}

void TopKCandidates::offerBounds(const double *lower, const double *upper, std::int64_t firstRow, std::int64_t count)
{
    if (m_k <= 0)
        return;
    for (std::int64_t i = 0; i < count; ++i)
        if (upper[i] >= m_floor)
            push(firstRow + i, lower[i], upper[i]);
}

std::vector<std::int64_t> TopKCandidates::rows()
{
    prune();
    std::vector<std::int64_t> out = m_rows;
    std::sort(out.begin(), out.end());
    return out;
}

// ---- 8-bit codes -------------------------------------------------------------------------

namespace {

struct QuantizedRow {
    float scale = 0;
    double residualNorm = 0;
    double norm = 0;
    std::int32_t sum = 0;
};

// x = scale * code + residual, scale = max |x_i| / 127. The residual is computed in double
// from the float scale actually stored, so the bound holds for the stored codes.
QuantizedRow quantize(const float *x, int d, std::int8_t *code)
{
    QuantizedRow q;
    float maxAbs = 0;
    for (int i = 0; i < d; ++i)
        maxAbs = std::max(maxAbs, std::abs(x[i]));
    q.scale = maxAbs / 127.0f;
    double r2 = 0, n2 = 0;
    for (int i = 0; i < d; ++i) {
        long c = q.scale > 0 ? std::lround(static_cast<double>(x[i]) / q.scale) : 0;
        c = std::clamp(c, -127L, 127L);
        code[i] = static_cast<std::int8_t>(c);
        q.sum += static_cast<std::int32_t>(c);
        const double r = static_cast<double>(x[i]) - static_cast<double>(q.scale) * static_cast<double>(c);
        r2 += r * r;
        n2 += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    }
    // A relative 1e-12 covers the rounding of the sums of squares and of the square roots.
    q.residualNorm = std::sqrt(r2) * (1 + 1e-12);
    q.norm = std::sqrt(n2) * (1 + 1e-12);
    return q;
}

float roundedUp(double v)
{
    const auto f = static_cast<float>(v);
    return static_cast<double>(f) >= v ? f : std::nextafter(f, std::numeric_limits<float>::infinity());
}

// out[r] = sum_i query[i] * codes[r * d + i]: an exact integer, whichever version runs.
void dotsScalar(const std::int8_t *query, const std::uint8_t *, const std::int8_t *codes, const std::int32_t *,
                std::int64_t count, int d, std::int32_t *out)
{
    for (std::int64_t r = 0; r < count; ++r) {
        const std::int8_t *c = codes + r * d;
        std::int32_t s = 0;
        for (int i = 0; i < d; ++i)
            s += static_cast<std::int32_t>(query[i]) * static_cast<std::int32_t>(c[i]);
        out[r] = s;
    }
}

__attribute__((target("avx2"))) void dotsAvx2(const std::int8_t *query, const std::uint8_t *, const std::int8_t *codes,
                                             const std::int32_t *, std::int64_t count, int d, std::int32_t *out)
{
    const int full = d / 16 * 16;
    for (std::int64_t r = 0; r < count; ++r) {
        const std::int8_t *c = codes + r * d;
        __m256i acc = _mm256_setzero_si256();
        for (int i = 0; i < full; i += 16) {
            const __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(query + i)));
            const __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(c + i)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
        }
        alignas(32) std::int32_t lanes[8];
        _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), acc);
        std::int32_t s = 0;
        for (const std::int32_t v : lanes)
            s += v;
        for (int i = full; i < d; ++i)
            s += static_cast<std::int32_t>(query[i]) * static_cast<std::int32_t>(c[i]);
        out[r] = s;
    }
}

// VNNI multiplies unsigned by signed bytes: the query is shifted by 128 (codeSum undoes it).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void dotsVnni(const std::int8_t *query,
                                                                      const std::uint8_t *shifted,
                                                                      const std::int8_t *codes,
                                                                      const std::int32_t *sums, std::int64_t count,
                                                                      int d, std::int32_t *out)
{
    const int full = d / 64 * 64;
    std::int64_t r = 0;
    for (; r + 4 <= count; r += 4) {
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        const std::int8_t *c = codes + r * d;
        for (int i = 0; i < full; i += 64) {
            const __m512i q = _mm512_loadu_si512(shifted + i);
            a0 = _mm512_dpbusd_epi32(a0, q, _mm512_loadu_si512(c + i));
            a1 = _mm512_dpbusd_epi32(a1, q, _mm512_loadu_si512(c + d + i));
            a2 = _mm512_dpbusd_epi32(a2, q, _mm512_loadu_si512(c + 2 * d + i));
            a3 = _mm512_dpbusd_epi32(a3, q, _mm512_loadu_si512(c + 3 * d + i));
        }
        const __m512i accs[4] = {a0, a1, a2, a3};
        for (int j = 0; j < 4; ++j) {
            alignas(64) std::int32_t lanes[16];
            _mm512_store_si512(lanes, accs[j]);
            std::int32_t s = -128 * sums[r + j];
            for (const std::int32_t v : lanes)
                s += v;
            const std::int8_t *row = c + j * d;
            for (int i = full; i < d; ++i) // the tail unshifted; add back what the shift removed
                s += static_cast<std::int32_t>(query[i]) * row[i] + 128 * row[i];
            out[r + j] = s;
        }
    }
    if (r < count)
        dotsAvx2(query, shifted, codes + r * d, sums + r, count - r, d, out + r);
}

using DotsFn = void (*)(const std::int8_t *, const std::uint8_t *, const std::int8_t *, const std::int32_t *,
                        std::int64_t, int, std::int32_t *);

DotsFn pickDots()
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
        return dotsVnni;
    if (__builtin_cpu_supports("avx2"))
        return dotsAvx2;
    return dotsScalar;
}

const DotsFn kDots = pickDots();

DotsFn dotsOf(Int8Kernel kernel)
{
    switch (kernel) {
    case Int8Kernel::Vnni: return dotsVnni;
    case Int8Kernel::Avx2: return dotsAvx2;
    case Int8Kernel::Scalar: break;
    }
    return dotsScalar;
}

constexpr char kCodesMagic[8] = {'L', 'K', 'I', '8', 'C', 'O', 'D', 'E'};

} // namespace

Int8Codes Int8Codes::encode(const FloatRows &rows)
{
    Int8Codes out;
    out.rows = rows.rows();
    out.cols = rows.cols();
    const auto n = static_cast<std::size_t>(out.rows);
    const auto d = static_cast<std::size_t>(out.cols);
    out.codes.resize(n * d);
    out.scale.resize(n);
    out.residualNorm.resize(n);
    out.norm.resize(n);
    out.codeSum.resize(n);
    std::vector<float> buffer;
    std::int64_t firstBad = -1; // a NaN or an infinity would void every bound: refused
    for (std::int64_t r0 = 0; r0 < out.rows && firstBad < 0; r0 += kRowBlock) {
        const std::int64_t count = std::min(kRowBlock, out.rows - r0);
        const float *x = rows.chunk(r0, count, buffer);
        for (std::int64_t i = 0; i < count * out.cols && firstBad < 0; ++i)
            if (!std::isfinite(x[i]))
                firstBad = r0 + i / out.cols;
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < count; ++i) {
            const auto r = static_cast<std::size_t>(r0 + i);
            const QuantizedRow q = quantize(x + i * out.cols, out.cols, out.codes.data() + r * d);
            out.scale[r] = q.scale;
            out.residualNorm[r] = roundedUp(q.residualNorm);
            out.norm[r] = roundedUp(q.norm);
            out.codeSum[r] = q.sum;
        }
    }
    if (firstBad >= 0)
        throw Error(ErrorCode::InvalidArgument, {}, "row " + std::to_string(firstBad) + " holds a NaN or infinite value");
    return out;
}

double Int8Codes::maxNorm() const
{
    float best = 0;
    for (const float v : norm)
        best = std::max(best, v);
    return best;
}

void Int8Codes::save(const std::filesystem::path &path) const
{
    writeFileAtomically(path, "the 8-bit codes", [this](std::FILE *f) {
        const std::int64_t header[2] = {rows, cols};
        bool ok = std::fwrite(kCodesMagic, 1, 8, f) == 8 && std::fwrite(header, sizeof header, 1, f) == 1;
        auto put = [&](const auto &v) {
            ok = ok && (v.empty() || std::fwrite(v.data(), sizeof(v[0]), v.size(), f) == v.size());
        };
        put(scale);
        put(residualNorm);
        put(norm);
        put(codeSum);
        put(codes);
        if (!ok)
            throw std::runtime_error(std::strerror(errno));
    });
}

std::optional<Int8Codes> Int8Codes::load(const std::filesystem::path &path, std::int64_t rows, int cols)
{
    std::FILE *f = std::fopen(path.string().c_str(), "rb");
    if (!f)
        return std::nullopt;
    Int8Codes out;
    char magic[8];
    std::int64_t header[2];
    bool ok = std::fread(magic, 1, 8, f) == 8 && std::memcmp(magic, kCodesMagic, 8) == 0
        && std::fread(header, sizeof header, 1, f) == 1 && header[0] == rows && header[1] == cols;
    if (ok) {
        out.rows = rows;
        out.cols = cols;
        const auto n = static_cast<std::size_t>(rows);
        auto get = [&](auto &v, std::size_t count) {
            v.resize(count);
            ok = ok && (count == 0 || std::fread(v.data(), sizeof(v[0]), count, f) == count);
        };
        get(out.scale, n);
        get(out.residualNorm, n);
        get(out.norm, n);
        get(out.codeSum, n);
        get(out.codes, n * static_cast<std::size_t>(cols));
        ok = ok && std::fgetc(f) == EOF;
    }
    std::fclose(f);
    if (!ok)
        return std::nullopt;
    return out;
}

bool int8KernelRuns(Int8Kernel kernel)
{
    __builtin_cpu_init();
    switch (kernel) {
    case Int8Kernel::Vnni: return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    case Int8Kernel::Avx2: return __builtin_cpu_supports("avx2");
    case Int8Kernel::Scalar: break;
    }
    return true;
}

void int8Dots(Int8Kernel kernel, const Int8Codes &codes, const float *query, std::int32_t *out)
{
    std::vector<std::int8_t> qc(static_cast<std::size_t>(codes.cols));
    quantize(query, codes.cols, qc.data());
    std::vector<std::uint8_t> shifted(qc.size());
    for (std::size_t i = 0; i < qc.size(); ++i)
        shifted[i] = static_cast<std::uint8_t>(qc[i] + 128);
    dotsOf(kernel)(qc.data(), shifted.data(), codes.codes.data(), codes.codeSum.data(), codes.rows, codes.cols, out);
}

// ---- search ------------------------------------------------------------------------------

namespace {

void rescore(const FloatRows &rows, const float *query, const std::vector<std::int64_t> &candidates, int k,
             std::vector<Neighbour> &list)
{
    const int d = rows.cols();
    std::vector<float> x(static_cast<std::size_t>(d));
    const float *all = rows.contiguous();
    list.clear();
    list.reserve(candidates.size());
    for (const std::int64_t row : candidates) {
        const float *v = all ? all + row * d : x.data();
        if (!all)
            rows.read(row, 1, x.data());
        list.push_back({row, exactScore(query, v, d)});
    }
    std::sort(list.begin(), list.end(), ranksBefore);
    if (list.size() > static_cast<std::size_t>(k))
        list.resize(static_cast<std::size_t>(k));
}

double normOf(const float *q, int d)
{
    double s = 0;
    for (int j = 0; j < d; ++j)
        s += static_cast<double>(q[j]) * static_cast<double>(q[j]);
    return std::sqrt(s);
}

// The 8-bit first pass for one query, split over the threads by row ranges; each range keeps
// its own candidates (against its own, lower, k-th bound: a superset of the global rule).
std::vector<std::int64_t> codeCandidates(const Int8Codes &codes, const float *query, int k)
{
    const int d = codes.cols;
    std::vector<std::int8_t> qc(static_cast<std::size_t>(d));
    const QuantizedRow qq = quantize(query, d, qc.data());
    std::vector<std::uint8_t> shifted(static_cast<std::size_t>(d));
    for (int i = 0; i < d; ++i)
        shifted[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(qc[static_cast<std::size_t>(i)] + 128);
    const double u = std::ldexp(1.0, -24);
    const double qNorm = normOf(query, d) * (1 + 1e-12);
    const double codedNorm = qNorm + qq.residualNorm; // bounds ||s_q c_q||
    const double scale = static_cast<double>(qq.scale);

    const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(codes.rows / kCodeBlock) + 1));
    std::vector<std::vector<std::int64_t>> found(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        const std::int64_t per = (codes.rows + threads - 1) / threads;
        const std::int64_t begin = std::min(codes.rows, per * t), end = std::min(codes.rows, begin + per);
        TopKCandidates mine(k, 0);
        std::vector<std::int32_t> dots(static_cast<std::size_t>(kCodeBlock));
        std::vector<double> lower(static_cast<std::size_t>(kCodeBlock)), upper(static_cast<std::size_t>(kCodeBlock));
        for (std::int64_t r0 = begin; r0 < end; r0 += kCodeBlock) {
            const std::int64_t count = std::min(kCodeBlock, end - r0);
            kDots(qc.data(), shifted.data(), codes.codes.data() + r0 * d, codes.codeSum.data() + r0, count, d,
                  dots.data());
            for (std::int64_t i = 0; i < count; ++i) {
                const auto r = static_cast<std::size_t>(r0 + i);
                const double approx = scale * static_cast<double>(codes.scale[r]) * static_cast<double>(dots[std::size_t(i)]);
                const double xNorm = codes.norm[r];
                const double bound = codedNorm * codes.residualNorm[r] + qq.residualNorm * xNorm
                    + 2 * u * qNorm * xNorm + 1e-12;
                lower[std::size_t(i)] = approx - bound;
                upper[std::size_t(i)] = approx + bound;
            }
            mine.offerBounds(lower.data(), upper.data(), r0, count);
        }
        found[static_cast<std::size_t>(t)] = mine.rows();
    }
    std::vector<std::int64_t> all;
    for (const auto &f : found)
        all.insert(all.end(), f.begin(), f.end()); // ranges are disjoint and ascending
    return all;
}

} // namespace

std::vector<std::vector<Neighbour>> exactSearch(const FloatRows &rows, const Int8Codes *codes, double maxNorm,
                                                const FloatMatrix &queries, int k)
{
    std::vector<std::vector<Neighbour>> out(static_cast<std::size_t>(queries.rows));
    const std::int64_t n = rows.rows();
    const int d = rows.cols();
    if (k <= 0 || n == 0 || queries.rows == 0)
        return out;

    if (codes && codes->rows == n && queries.rows < kFewQueries && d <= kMaxCodeDim) {
        for (std::int64_t i = 0; i < queries.rows; ++i) {
            const float *q = queries.row(i).data();
            rescore(rows, q, codeCandidates(*codes, q, k), k, out[static_cast<std::size_t>(i)]);
        }
        return out;
    }

    // Every float row is read once (chunk by chunk) for all the queries; each query keeps its
    // candidates across chunks.
    std::vector<TopKCandidates> candidates;
    candidates.reserve(static_cast<std::size_t>(queries.rows));
    for (std::int64_t i = 0; i < queries.rows; ++i)
        candidates.emplace_back(k, firstPassErrorBound(d, normOf(queries.row(i).data(), d), maxNorm));
    std::vector<float> buffer, scores;
    for (std::int64_t r0 = 0; r0 < n; r0 += kRowBlock) {
        const std::int64_t nr = std::min(kRowBlock, n - r0);
        const float *block = rows.chunk(r0, nr, buffer);
        for (std::int64_t q0 = 0; q0 < queries.rows; q0 += kQueryBlock) {
            const std::int64_t nq = std::min(kQueryBlock, queries.rows - q0);
            scores.resize(static_cast<std::size_t>(nq * nr));
            // Column-major view: scores^T (nr x nq) = block (d x nr)^T * queries (d x nq).
            const int m = static_cast<int>(nr), nn = static_cast<int>(nq), kk = d;
            const float one = 1, zero = 0;
            sgemm_("T", "N", &m, &nn, &kk, &one, block, &kk, queries.row(q0).data(), &kk, &zero, scores.data(), &m);
#pragma omp parallel for schedule(static)
            for (std::int64_t i = 0; i < nq; ++i)
                candidates[static_cast<std::size_t>(q0 + i)].offer(scores.data() + i * nr, r0, nr);
        }
    }
    if (rows.contiguous()) {
#pragma omp parallel for schedule(dynamic, 16)
        for (std::int64_t i = 0; i < queries.rows; ++i)
            rescore(rows, queries.row(i).data(), candidates[static_cast<std::size_t>(i)].rows(), k,
                    out[static_cast<std::size_t>(i)]);
    } else { // pread from one descriptor is thread-safe, but keep the reads in one order
        for (std::int64_t i = 0; i < queries.rows; ++i)
            rescore(rows, queries.row(i).data(), candidates[static_cast<std::size_t>(i)].rows(), k,
                    out[static_cast<std::size_t>(i)]);
    }
    return out;
}

} // namespace lookalike
