// Neighbour search with FAISS (1.7.3): IndexFlatIP (exact), IndexHNSWFlat and IndexIVFPQ,
// all with the inner-product metric, which is cosine similarity on L2-normalised rows.
//
// Decisions worth knowing:
// - Scores. BLAS computes the same dot product with different last bits depending on the
//   kernel, the blocking and where a row sits in the matrix. Exact search therefore does not
//   use FAISS's search at all: exactSearch (ExactTopK.h) nominates candidates with a bounded-
//   error sgemm pass and rescores them exactly, so the lists and their scores are the same on
//   every machine, ties (any number of them) in row order. HNSW's candidates come from FAISS
//   and every returned score is recomputed with exactScore; FAISS is asked for a few more
//   than k so that ties at the k-th place among what it found are decided by row. IVF-PQ
//   keeps only codes: its scores are FAISS's approximations from the PQ codes.
// - IVF-PQ parameters when left at 0: nlist = round(4 * sqrt(n)), capped at n / 39 so that
//   k-means sees at least 39 points per list (FAISS's own minimum), at least 1. PQ
//   subquantizers: the divisor of d nearest to d / 4 (4 dimensions per 8-bit code, ties to
//   the larger), so 768 -> 192, 1152 -> 288, 64 -> 16: 1/16 of the float32 size. With 8
//   dimensions per code (d / 8) recall@10 fell from about 0.66 to 0.49 on the test's
//   clustered data; PQ error, not the probed lists, dominates the misses. The training
//   sample is at most 256 * nlist rows (FAISS's own cap per centroid), drawn with options.seed,
//   and - so that memory stays bounded for big catalogs - at most 256 MB of floats unless
//   that is fewer than 39 * nlist rows (FAISS's minimum): at d = 768, 87,381 rows, or
//   39 * nlist for nlist above 2,240 (156,000 rows, 480 MB, at nlist 4,000).
// - Memory. Vectors are added in chunks of about 32 MB, read from the .npy when building from
//   a file, so an IVF-PQ build holds the training sample, one chunk and the codes (m bytes a
//   vector), never the n x d matrix. HNSW stores every vector in the index itself. Exact keeps
//   its float rows where they are (the .npy it was built from, the index file once loaded)
//   and holds only 8-bit codes (n x d bytes, in a file beside the index) in memory.
// - Small catalogs. 8-bit PQ needs 256 training points (FAISS refuses fewer). Below 256 rows
//   an IVF-PQ request builds the exact index instead: it is correct, and at that size also
//   faster. kind() then says Exact.
// - Determinism. Exact is deterministic. IVF-PQ is deterministic for a given seed and thread
//   count (k-means sums per thread). HNSW inserts in parallel, so its graph, and with it which
//   approximate neighbours are found, can differ between builds; a saved index is
//   searched identically every time.
// - Threads. FAISS parallelises with OpenMP over queries (and inside BLAS for exact
//   batches); OpenMP's default is one thread per core (OMP_NUM_THREADS overrides). It is
//   not changed here because LibTorch shares the same OpenMP runtime in the app. search() is
//   const and keeps no state of its own, but call it from one thread at a time: two
//   concurrent calls would each start a full OpenMP team on the same cores.
#include "core/index/NeighbourIndex.h"

#include "core/Error.h"
#include "core/index/AtomicFile.h"
#include "core/index/ExactTopK.h"
#include "core/index/FloatRows.h"
#include "core/index/NpyFile.h"
#include "core/util/RegularFile.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <typeinfo>

namespace lookalike {

namespace {

using faiss_idx = faiss::Index::idx_t;

constexpr std::int64_t kMinPqPoints = 256; // 2^8 centroids per 8-bit subquantizer
constexpr int kMinPointsPerList = 39;       // FAISS warns below this many training points per centroid
constexpr int kMaxPointsPerList = 256;      // and subsamples above this many
constexpr std::int64_t kMaxTrainingBytes = std::int64_t(256) << 20; // see the top of the file
constexpr int kTieMargin = 16;              // HNSW: extra candidates so ties at rank k are decided by row
constexpr std::int64_t kQueryBlock = 4096;  // queries per FAISS call: bounds the temporary arrays

[[noreturn]] void invalid(const std::string &problem)
{
    throw Error(ErrorCode::InvalidArgument, {}, problem);
}

// A one-line summary of a FAISS exception ("Error in ... at ...: message" plus a stack on some
// builds): keep the message part.
std::string faissMessage(const std::exception &e)
{
    std::string s = e.what();
    const auto colon = s.find("): ");
    if (s.rfind("Error in ", 0) == 0 && colon != std::string::npos)
        s = s.substr(colon + 3);
    const auto nl = s.find('\n');
    if (nl != std::string::npos)
        s = s.substr(0, nl);
    return s;
}

// splitmix64: a tiny, portable generator (std::shuffle's sequence differs between standard
// libraries, and the training sample must be the same everywhere for the same seed).
std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// `count` distinct rows of [0, n), chosen with the seed, in ascending order (memory order).
std::vector<std::int64_t> sampleRows(std::int64_t n, std::int64_t count, std::uint64_t seed)
{
    std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        rows[static_cast<std::size_t>(i)] = i;
    if (count < n) {
        std::uint64_t state = seed;
        for (std::int64_t i = 0; i < count; ++i) { // partial Fisher-Yates
            const auto j = i + static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(n - i));
            std::swap(rows[static_cast<std::size_t>(i)], rows[static_cast<std::size_t>(j)]);
        }
        rows.resize(static_cast<std::size_t>(count));
        std::sort(rows.begin(), rows.end());
    }
    return rows;
}

int autoSubquantizers(int d)
{
    const double target = d / 4.0;
    int best = 1;
    for (int m = 1; m <= d; ++m)
        if (d % m == 0 && std::abs(m - target) <= std::abs(best - target))
            best = m;
    return best;
}

int autoLists(std::int64_t n)
{
    const auto byRoot = static_cast<std::int64_t>(std::llround(4.0 * std::sqrt(static_cast<double>(n))));
    const std::int64_t byTraining = n / kMinPointsPerList;
    return static_cast<int>(std::max<std::int64_t>(1, std::min(byRoot, byTraining)));
}

void checkVectors(const FloatMatrix &m, const char *what)
{
    if (m.rows < 0 || m.cols < 0 || m.data.size() != static_cast<std::size_t>(m.rows * m.cols))
        invalid(std::string(what) + ": the data does not match the shape " + std::to_string(m.rows) + " x "
                + std::to_string(m.cols));
}

bool ranksBefore(const Neighbour &a, const Neighbour &b)
{
    return a.score > b.score || (a.score == b.score && a.row < b.row);
}

IndexKind kindOf(const faiss::Index &index)
{
    if (typeid(index) == typeid(faiss::IndexHNSWFlat)) // exact indexes are read by load() itself
        return IndexKind::Hnsw;
    if (typeid(index) == typeid(faiss::IndexIVFPQ))
        return IndexKind::IvfPq;
    throw std::invalid_argument(typeid(index).name());
}

} // namespace

const char *indexKindName(IndexKind kind)
{
    switch (kind) {
    case IndexKind::Exact: return "exact";
    case IndexKind::Hnsw: return "hnsw";
    case IndexKind::IvfPq: return "ivfpq";
    }
    return "?";
}

IndexKind parseIndexKind(const std::string &name)
{
    for (IndexKind k : {IndexKind::Exact, IndexKind::Hnsw, IndexKind::IvfPq})
        if (name == indexKindName(k))
            return k;
    invalid("unknown index kind '" + name.substr(0, 40) + "' (expected exact, hnsw or ivfpq)");
}

struct NeighbourIndex::Impl {
    std::unique_ptr<faiss::Index> index; // HNSW and IVF-PQ; null for exact
    IndexKind kind = IndexKind::Exact;

    // Exact: the float rows (in memory after a build, read from the index file after a load)
    // and their 8-bit codes, loaded from the file beside the index (or encoded) on first use.
    std::unique_ptr<FloatRows> rows;
    mutable std::optional<Int8Codes> codes;
    std::filesystem::path codesFile;

    const Int8Codes &exactCodes() const
    {
        if (!codes) {
            if (!codesFile.empty())
                codes = Int8Codes::load(codesFile, rows->rows(), rows->cols());
            if (!codes)
                codes = Int8Codes::encode(*rows);
        }
        return *codes;
    }

    // HNSW's full vectors, n x d; null for IVF-PQ.
    const float *storedVectors() const
    {
        if (const auto *hnsw = dynamic_cast<const faiss::IndexHNSW *>(index.get()))
            if (const auto *flat = dynamic_cast<const faiss::IndexFlat *>(hnsw->storage))
                return flat->get_xb();
        return nullptr;
    }
};

NeighbourIndex::NeighbourIndex(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
NeighbourIndex::NeighbourIndex(NeighbourIndex &&) noexcept = default;
NeighbourIndex &NeighbourIndex::operator=(NeighbourIndex &&) noexcept = default;
NeighbourIndex::~NeighbourIndex() = default;

// The input rows, wherever they live: a matrix in memory or a .npy file read in chunks. Every
// kind adds its vectors chunk by chunk, so a file is never read whole into memory.
class NeighbourIndex::RowSource {
public:
    RowSource(const FloatMatrix &m)
        : m_rows(m.rows)
        , m_cols(m.cols)
        , m_memory(m.data.data())
    {
    }
    RowSource(const NpyRowReader &file, std::int64_t rows)
        : m_rows(rows)
        , m_cols(file.cols())
        , m_file(&file)
    {
    }
    std::int64_t rows() const { return m_rows; }
    std::int64_t cols() const { return m_cols; }

    // Rows [first, first + count), checked for NaN and infinity (FAISS does not check: one
    // NaN would silently poison k-means and every distance). Points into `buffer` or memory.
    const float *chunk(std::int64_t first, std::int64_t count, std::vector<float> &buffer) const
    {
        const float *p = m_memory ? m_memory + first * m_cols : nullptr;
        if (!p) {
            buffer.resize(static_cast<std::size_t>(count * m_cols));
            m_file->read(first, count, buffer.data());
            p = buffer.data();
        }
        for (std::int64_t i = 0; i < count * m_cols; ++i)
            if (!std::isfinite(p[i]))
                invalid("row " + std::to_string(first + i / m_cols) + " holds a NaN or infinite value");
        return p;
    }

    // The rows for exact search: a copy of the matrix, or the .npy itself (read on demand,
    // never held in memory). Int8Codes::encode, which reads every row next, checks them.
    std::unique_ptr<FloatRows> keep() const
    {
        if (!m_file)
            return floatRowsInMemory(std::vector<float>(m_memory, m_memory + m_rows * m_cols), m_rows,
                                     static_cast<int>(m_cols));
        return floatRowsInNpy(m_file->path(), m_rows);
    }

    void addTo(faiss::Index &index) const
    {
        // Rows per chunk: about 32 MB of floats.
        const std::int64_t per = std::max<std::int64_t>(1, (std::int64_t(32) << 20) / (4 * std::max<std::int64_t>(1, m_cols)));
        std::vector<float> buffer;
        for (std::int64_t first = 0; first < m_rows; first += per) {
            const std::int64_t count = std::min(per, m_rows - first);
            index.add(count, chunk(first, count, buffer));
        }
    }

private:
    std::int64_t m_rows;
    std::int64_t m_cols;
    const float *m_memory = nullptr;
    const NpyRowReader *m_file = nullptr;
};

NeighbourIndex NeighbourIndex::build(const FloatMatrix &vectors, const IndexOptions &options)
{
    checkVectors(vectors, "vectors");
    return buildFrom(RowSource(vectors), options);
}

NeighbourIndex NeighbourIndex::build(const NpyRowReader &file, std::int64_t rows, const IndexOptions &options)
{
    if (rows < 0 || rows > file.rows())
        throw Error(ErrorCode::SizeMismatch, file.path().string(),
                    "holds " + std::to_string(file.rows()) + " rows, fewer than the " + std::to_string(rows)
                        + " to index");
    return buildFrom(RowSource(file, rows), options);
}

NeighbourIndex NeighbourIndex::buildFrom(const RowSource &vectors, const IndexOptions &options)
{
    if (vectors.cols() <= 0 || vectors.cols() > std::numeric_limits<int>::max())
        invalid("cannot index vectors of " + std::to_string(vectors.cols()) + " dimensions");
    if (vectors.rows() > std::numeric_limits<std::int32_t>::max()) // HNSW stores 32-bit ids
        invalid("cannot index more than 2^31 - 1 vectors");
    const int dim = static_cast<int>(vectors.cols());
    const std::int64_t n = vectors.rows();

    auto impl = std::make_unique<Impl>();
    impl->kind = options.kind;
    if (options.kind == IndexKind::IvfPq && n < kMinPqPoints)
        impl->kind = IndexKind::Exact; // see the top of the file

    try {
        switch (impl->kind) {
        case IndexKind::Exact: {
            impl->rows = vectors.keep();
            impl->codes = Int8Codes::encode(*impl->rows);
            break;
        }
        case IndexKind::Hnsw: {
            if (options.hnswM < 2 || options.hnswEfConstruction < 1 || options.hnswEfSearch < 1)
                invalid("HNSW needs M >= 2 and efConstruction, efSearch >= 1");
            auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, options.hnswM, faiss::METRIC_INNER_PRODUCT);
            hnsw->hnsw.efConstruction = options.hnswEfConstruction;
            hnsw->hnsw.efSearch = options.hnswEfSearch;
            vectors.addTo(*hnsw);
            impl->index = std::move(hnsw);
            break;
        }
        case IndexKind::IvfPq: {
            if (options.ivfLists < 0 || options.pqSubquantizers < 0 || options.ivfProbe < 1)
                invalid("IVF-PQ needs ivfLists, pqSubquantizers >= 0 and ivfProbe >= 1");
            const int nlist = options.ivfLists > 0 ? options.ivfLists : autoLists(n);
            if (nlist > n)
                invalid("IVF-PQ with " + std::to_string(nlist) + " lists needs at least as many vectors, got "
                        + std::to_string(n));
            const int m = options.pqSubquantizers > 0 ? options.pqSubquantizers : autoSubquantizers(dim);
            if (dim % m != 0)
                invalid("PQ subquantizers (" + std::to_string(m) + ") must divide the dimension "
                        + std::to_string(dim));
            // Bounded memory: k-means sees at most 256 * nlist sampled rows, then the vectors
            // are encoded chunk by chunk; only the codes (m bytes per vector) stay.
            const std::int64_t byMemory = std::max<std::int64_t>(std::int64_t(kMinPointsPerList) * nlist,
                                                                 kMaxTrainingBytes / (4 * std::int64_t(dim)));
            const std::int64_t trainCount
                = std::min({n, std::int64_t(kMaxPointsPerList) * nlist, byMemory});
            const auto rows = sampleRows(n, trainCount, options.seed);
            std::vector<float> sample(static_cast<std::size_t>(trainCount * dim));
            std::vector<float> buffer;
            for (std::size_t i = 0; i < rows.size(); ++i)
                std::memcpy(sample.data() + i * static_cast<std::size_t>(dim), vectors.chunk(rows[i], 1, buffer),
                            sizeof(float) * static_cast<std::size_t>(dim));

            auto quantizer = std::make_unique<faiss::IndexFlatIP>(dim);
            auto ivf = std::make_unique<faiss::IndexIVFPQ>(quantizer.get(), dim, static_cast<std::size_t>(nlist),
                                                           static_cast<std::size_t>(m), 8, faiss::METRIC_INNER_PRODUCT);
            quantizer.release(); // owned by ivf from here on
            ivf->own_fields = true;
            ivf->cp.seed = static_cast<int>(options.seed & 0x7FFFFFFF);
            ivf->pq.cp.seed = static_cast<int>((options.seed + 1) & 0x7FFFFFFF);
            // Between 256 and 39 * 256 training points FAISS prints a warning for each PQ
            // k-means; the codes are coarser but valid, and the warning would only be noise.
            ivf->pq.cp.min_points_per_centroid = 1;
            ivf->train(trainCount, sample.data());
            sample = {};
            vectors.addTo(*ivf);
            ivf->nprobe = static_cast<std::size_t>(std::min(options.ivfProbe, nlist));
            impl->index = std::move(ivf);
            break;
        }
        }
    } catch (const faiss::FaissException &e) {
        throw Error(ErrorCode::Internal, {}, std::string("FAISS failed to build the ") + indexKindName(impl->kind)
                                                 + " index: " + faissMessage(e));
    }
    return NeighbourIndex(std::move(impl));
}

namespace {

// FAISS 1.7.3's file of an IndexFlatIP (write_index in index_write.cpp): fourcc "IxFI", then
// the index header (d int32, ntotal int64, two unused int64 set to 1 << 20, is_trained uint8,
// metric_type int32, 0 for inner product), then the vectors as FAISS writes a vector: the
// count of floats (uint64), then the floats. Exact indexes are read and written here, not by
// FAISS, so that their rows can stay in the file (read with pread) instead of in memory;
// FAISS reads these files as before.
constexpr char kFlatIpFourcc[4] = {'I', 'x', 'F', 'I'};
constexpr std::int64_t kFlatDataOffset = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8;

struct FlatHeader {
    int d = 0;
    std::int64_t n = 0;
};

// Returns nothing when the file is not an IndexFlatIP file (FAISS then reads it); throws for
// one that is, but is broken.
std::optional<FlatHeader> readFlatHeader(std::FILE *f, const std::string &p)
{
    unsigned char b[kFlatDataOffset];
    const std::size_t got = std::fread(b, 1, sizeof b, f);
    std::rewind(f);
    if (got < 4 || std::memcmp(b, kFlatIpFourcc, 4) != 0)
        return std::nullopt;
    const auto broken = [&](const std::string &why) {
        throw Error(ErrorCode::MalformedHeader, p, "not a readable FAISS index (" + why + ")");
    };
    if (got < sizeof b)
        broken("truncated header");
    std::int32_t d = 0, metric = 0;
    std::int64_t n = 0;
    std::uint64_t count = 0;
    std::memcpy(&d, b + 4, 4);
    std::memcpy(&n, b + 8, 8);
    std::memcpy(&metric, b + 33, 4);
    std::memcpy(&count, b + 37, 8);
    if (d <= 0 || n < 0 || n > std::numeric_limits<std::int32_t>::max())
        broken("dimension " + std::to_string(d) + ", " + std::to_string(n) + " vectors");
    if (b[32] != 1 || metric != 0)
        broken("not a trained inner-product index");
    if (count != static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(d))
        broken("holds " + std::to_string(count) + " floats for " + std::to_string(n) + " x " + std::to_string(d));
    std::error_code ec;
    const auto size = static_cast<std::uint64_t>(std::filesystem::file_size(p, ec));
    const std::uint64_t want = static_cast<std::uint64_t>(kFlatDataOffset) + count * sizeof(float);
    if (ec || size < want)
        broken("truncated: " + std::to_string(ec ? 0 : size) + " bytes of " + std::to_string(want));
    if (size > want)
        throw Error(ErrorCode::SizeMismatch, p, "bytes after the end of the FAISS index");
    return FlatHeader{d, n};
}

void writeFlat(std::FILE *f, const FloatRows &rows)
{
    unsigned char b[kFlatDataOffset] = {};
    const std::int32_t d = rows.cols(), metric = 0;
    const std::int64_t n = rows.rows(), unused = std::int64_t(1) << 20;
    const std::uint64_t count = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(d);
    std::memcpy(b, kFlatIpFourcc, 4);
    std::memcpy(b + 4, &d, 4);
    std::memcpy(b + 8, &n, 8);
    std::memcpy(b + 16, &unused, 8);
    std::memcpy(b + 24, &unused, 8);
    b[32] = 1;
    std::memcpy(b + 33, &metric, 4);
    std::memcpy(b + 37, &count, 8);
    bool ok = std::fwrite(b, 1, sizeof b, f) == sizeof b;
    std::vector<float> buffer;
    const std::int64_t per = std::max<std::int64_t>(1, (std::int64_t(32) << 20) / (4 * std::int64_t(d)));
    for (std::int64_t first = 0; ok && first < n; first += per) {
        const std::int64_t c = std::min(per, n - first);
        const float *x = rows.chunk(first, c, buffer);
        ok = std::fwrite(x, sizeof(float) * static_cast<std::size_t>(d), static_cast<std::size_t>(c), f)
            == static_cast<std::size_t>(c);
    }
    if (!ok)
        throw std::runtime_error(std::strerror(errno));
}

} // namespace

std::filesystem::path NeighbourIndex::codesFileFor(const std::filesystem::path &indexFile)
{
    return indexFile.string() + ".codes";
}

NeighbourIndex NeighbourIndex::load(const std::filesystem::path &path)
{
    const std::string p = path.string();
    requireRegularFile(path, kEmbeddingsLimit);
    std::FILE *f = std::fopen(p.c_str(), "rb");
    if (!f) {
        const int e = errno;
        throw Error(e == ENOENT ? ErrorCode::FileNotFound : ErrorCode::FileUnreadable, p, std::strerror(e));
    }
    std::optional<FlatHeader> flat;
    try {
        flat = readFlatHeader(f, p);
    } catch (...) {
        std::fclose(f);
        throw;
    }
    if (flat) {
        std::fclose(f);
        auto impl = std::make_unique<Impl>();
        impl->kind = IndexKind::Exact;
        impl->rows = floatRowsInFile(path, kFlatDataOffset, flat->n, flat->d);
        impl->codesFile = codesFileFor(path);
        return NeighbourIndex(std::move(impl));
    }
    std::unique_ptr<faiss::Index> index;
    try {
        index.reset(faiss::read_index(f));
    } catch (const std::exception &e) { // FaissException, and bad_alloc for absurd sizes
        std::fclose(f);
        throw Error(ErrorCode::MalformedHeader, p, "not a readable FAISS index (" + faissMessage(e) + ")");
    }
    const bool trailing = std::fgetc(f) != EOF; // a valid index followed by junk is not what we wrote
    std::fclose(f);
    if (trailing)
        throw Error(ErrorCode::SizeMismatch, p, "bytes after the end of the FAISS index");

    auto impl = std::make_unique<Impl>();
    try {
        impl->kind = kindOf(*index);
    } catch (const std::invalid_argument &) {
        throw Error(ErrorCode::Unsupported, p, "a FAISS index of a kind Lookalike does not build");
    }
    if (index->metric_type != faiss::METRIC_INNER_PRODUCT)
        throw Error(ErrorCode::Unsupported, p, "a FAISS index with an L2 (not inner-product) metric");
    if (!index->is_trained)
        throw Error(ErrorCode::Unsupported, p, "a FAISS index that was never trained");
    impl->index = std::move(index);
    return NeighbourIndex(std::move(impl));
}

void NeighbourIndex::save(const std::filesystem::path &path) const
{
    writeFileAtomically(path, "the index", [this](std::FILE *f) {
        if (d->rows) {
            writeFlat(f, *d->rows); // throws on a write error, or a row that cannot be read
            return;
        }
        try {
            faiss::write_index(d->index.get(), f);
        } catch (const faiss::FaissException &e) {
            throw std::runtime_error(faissMessage(e));
        }
    });
    if (d->rows) { // the 8-bit codes beside it, so that a load need not encode them again
        try {
            d->exactCodes().save(codesFileFor(path));
        } catch (...) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
            throw;
        }
    }
}

IndexKind NeighbourIndex::kind() const
{
    return d->kind;
}

std::int64_t NeighbourIndex::size() const
{
    return d->rows ? d->rows->rows() : d->index->ntotal;
}

int NeighbourIndex::dimension() const
{
    return d->rows ? d->rows->cols() : d->index->d;
}

std::vector<std::vector<Neighbour>> NeighbourIndex::search(const FloatMatrix &queries, int k) const
{
    checkVectors(queries, "queries");
    if (queries.cols != dimension())
        invalid("queries have " + std::to_string(queries.cols) + " dimensions, the index "
                + std::to_string(dimension()));
    if (k < 0)
        invalid("cannot search for " + std::to_string(k) + " neighbours");
    std::vector<std::vector<Neighbour>> out(static_cast<std::size_t>(queries.rows));
    const std::int64_t n = size();
    if (k == 0 || n == 0)
        return out;

    if (d->rows) {
        const Int8Codes &codes = d->exactCodes();
        return exactSearch(*d->rows, &codes, codes.maxNorm(), queries, k);
    }
    const float *stored = d->storedVectors();
    const int dim = dimension();
    const std::int64_t want = std::min<std::int64_t>(n, k + (stored ? kTieMargin : 0));
    std::vector<float> distances;
    std::vector<faiss_idx> labels;
    for (std::int64_t q0 = 0; q0 < queries.rows; q0 += kQueryBlock) {
        const std::int64_t nq = std::min(kQueryBlock, queries.rows - q0);
        distances.resize(static_cast<std::size_t>(nq * want));
        labels.resize(static_cast<std::size_t>(nq * want));
        try {
            d->index->search(nq, queries.row(q0).data(), want, distances.data(), labels.data());
        } catch (const faiss::FaissException &e) {
            throw Error(ErrorCode::Internal, {}, "FAISS search failed: " + faissMessage(e));
        }
        for (std::int64_t i = 0; i < nq; ++i) {
            auto &list = out[static_cast<std::size_t>(q0 + i)];
            list.reserve(static_cast<std::size_t>(want));
            const float *query = queries.row(q0 + i).data();
            for (std::int64_t j = 0; j < want; ++j) {
                const auto at = static_cast<std::size_t>(i * want + j);
                const faiss_idx row = labels[at];
                if (row < 0) // FAISS pads with -1 when it finds fewer than asked
                    continue;
                const float score = stored ? exactScore(query, stored + row * dim, dim) : distances[at];
                list.push_back({row, score});
            }
            std::sort(list.begin(), list.end(), ranksBefore);
            if (list.size() > static_cast<std::size_t>(k))
                list.resize(static_cast<std::size_t>(k));
        }
    }
    return out;
}

std::vector<std::vector<Neighbour>> searchExcludingSelf(const NeighbourIndex &index, const FloatMatrix &vectors,
                                                        std::span<const std::int64_t> queryRows, int k,
                                                        bool excludeDuplicates)
{
    checkVectors(vectors, "vectors");
    const std::int64_t n = index.size();
    if (vectors.rows != n || vectors.cols != index.dimension())
        invalid("the vectors (" + std::to_string(vectors.rows) + " x " + std::to_string(vectors.cols)
                + ") are not the ones the index was built from (" + std::to_string(n) + " x "
                + std::to_string(index.dimension()) + ")");
    const auto rowBytes = static_cast<std::size_t>(vectors.cols) * sizeof(float);
    return searchExcludingSelf(
        index, [&](std::int64_t row, float *out) { std::memcpy(out, vectors.row(row).data(), rowBytes); }, queryRows,
        k, excludeDuplicates);
}

std::vector<std::vector<Neighbour>> searchExcludingSelf(const NeighbourIndex &index, const VectorRows &rowOf,
                                                        std::span<const std::int64_t> queryRows, int k,
                                                        bool excludeDuplicates)
{
    const std::int64_t n = index.size();
    const int dim = index.dimension();
    if (k < 0)
        invalid("cannot search for " + std::to_string(k) + " neighbours");
    for (const std::int64_t r : queryRows)
        if (r < 0 || r >= n)
            invalid("query row " + std::to_string(r) + " is outside the " + std::to_string(n) + " indexed rows");

    std::vector<std::vector<Neighbour>> out(queryRows.size());
    std::vector<std::size_t> pending;
    if (k > 0)
        for (std::size_t i = 0; i < queryRows.size(); ++i)
            pending.push_back(i);
    std::vector<float> candidate(static_cast<std::size_t>(dim));
    // The query itself (and its duplicates) usually take the first places: ask for a few more,
    // then twice as many each round for the queries that still lack k neighbours.
    std::int64_t depth = std::int64_t(k) + 1 + (excludeDuplicates ? 8 : 0);
    while (!pending.empty()) {
        depth = std::min(depth, n);
        FloatMatrix queries(static_cast<std::int64_t>(pending.size()), dim);
        for (std::size_t i = 0; i < pending.size(); ++i)
            rowOf(queryRows[pending[i]], queries.row(static_cast<std::int64_t>(i)).data());
        const auto found
            = index.search(queries, static_cast<int>(std::min<std::int64_t>(depth, std::numeric_limits<int>::max())));
        std::vector<std::size_t> stillPending;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            const std::int64_t self = queryRows[pending[i]];
            const float *selfVector = queries.row(static_cast<std::int64_t>(i)).data();
            std::vector<Neighbour> kept;
            for (const Neighbour &nb : found[i]) {
                if (nb.row == self)
                    continue;
                if (excludeDuplicates) {
                    rowOf(nb.row, candidate.data());
                    if (sameEmbedding(candidate.data(), selfVector, dim))
                        continue;
                }
                kept.push_back(nb);
                if (kept.size() == static_cast<std::size_t>(k))
                    break;
            }
            const bool exhausted = static_cast<std::int64_t>(found[i].size()) < depth || depth >= n;
            if (kept.size() < static_cast<std::size_t>(k) && !exhausted)
                stillPending.push_back(pending[i]);
            else
                out[pending[i]] = std::move(kept);
        }
        pending = std::move(stillPending);
        depth *= 2;
    }
    return out;
}

double recallAtK(const NeighbourIndex &approximate, const NeighbourIndex &exact, const FloatMatrix &queries, int k)
{
    if (k <= 0)
        invalid("recall@k needs k >= 1");
    const auto truth = exact.search(queries, k);
    const auto found = approximate.search(queries, k);
    double sum = 0;
    std::int64_t counted = 0;
    for (std::size_t q = 0; q < truth.size(); ++q) {
        if (truth[q].empty())
            continue; // nothing to find: neither a hit nor a miss
        std::vector<std::int64_t> want;
        for (const auto &nb : truth[q])
            want.push_back(nb.row);
        std::sort(want.begin(), want.end());
        std::size_t hits = 0;
        for (const auto &nb : found[q])
            hits += std::binary_search(want.begin(), want.end(), nb.row) ? 1 : 0;
        sum += static_cast<double>(hits) / static_cast<double>(want.size());
        ++counted;
    }
    return counted ? sum / static_cast<double>(counted) : 1.0;
}

} // namespace lookalike
