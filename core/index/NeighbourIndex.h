// Nearest-neighbour search over L2-normalised embeddings: inner product on unit vectors is
// cosine similarity. Exact by default (ExactTopK.h; stored as a FAISS IndexFlatIP file);
// FAISS's HNSW and IVF-PQ for those who want them. Ids are row numbers of the matrix the
// index was built from.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lookalike {

class NpyRowReader;

enum class IndexKind { Exact, Hnsw, IvfPq };

const char *indexKindName(IndexKind kind);                 // "exact", "hnsw", "ivfpq"
IndexKind parseIndexKind(const std::string &name);          // throws Error(InvalidArgument)

struct IndexOptions {
    IndexKind kind = IndexKind::Exact;
    int hnswM = 32;
    int hnswEfConstruction = 200;
    int hnswEfSearch = 128;
    int ivfLists = 0;   // 0: chosen from the size (about 4 * sqrt(n), at least 1)
    int pqSubquantizers = 0; // 0: chosen from d (rule documented in NeighbourIndex.cpp)
    int ivfProbe = 16;
    std::uint64_t seed = 1234; // training sample and k-means seed: the same input gives the same index
};

struct Neighbour {
    std::int64_t row = -1;
    float score = 0; // cosine similarity
};

class NeighbourIndex {
public:
    // vectors: n x d, each row L2-normalised.
    static NeighbourIndex build(const FloatMatrix &vectors, const IndexOptions &options = {});
    // The same index over the first `rows` rows of a float32 .npy, read in chunks instead of
    // loaded whole: IVF-PQ needs memory for its training sample, one chunk and the codes only;
    // exact and HNSW keep every vector in the index itself (n x d floats), but no second copy.
    static NeighbourIndex build(const NpyRowReader &file, std::int64_t rows, const IndexOptions &options = {});
    static NeighbourIndex load(const std::filesystem::path &path); // throws naming the file
    // Atomic. An exact index also writes its 8-bit codes to codesFileFor(path) (a cache: load
    // encodes them again if that file is missing).
    void save(const std::filesystem::path &path) const;
    static std::filesystem::path codesFileFor(const std::filesystem::path &indexFile);

    NeighbourIndex(NeighbourIndex &&) noexcept;
    NeighbourIndex &operator=(NeighbourIndex &&) noexcept;
    ~NeighbourIndex();

    IndexKind kind() const;
    std::int64_t size() const;
    int dimension() const;

    // queries: m x d, L2-normalised. Each result is sorted by score descending, ties broken
    // by row ascending, at most k long. Exact: the true top k by exactScore (ExactTopK.h),
    // the same lists and score bits on every CPU and BLAS kernel, however many rows tie.
    std::vector<std::vector<Neighbour>> search(const FloatMatrix &queries, int k) const;

private:
    struct Impl;
    class RowSource; // a matrix in memory or a .npy read in chunks
    static NeighbourIndex buildFrom(const RowSource &vectors, const IndexOptions &options);
    explicit NeighbourIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// Neighbours of rows of the indexed matrix itself: the query row never appears in its own
// list, and with excludeDuplicates neither does any row with the same embedding as the query
// (sameEmbedding in ExactTopK.h: within float noise, decided in exact arithmetic). Searches deeper as needed so every list has k entries when the index has enough.
std::vector<std::vector<Neighbour>> searchExcludingSelf(const NeighbourIndex &index, const FloatMatrix &vectors,
                                                        std::span<const std::int64_t> queryRows, int k,
                                                        bool excludeDuplicates);
// The same with the vectors read on demand (rowOf(r, out) copies row r, d floats, to out): only
// the query rows, and with excludeDuplicates the candidates', are read.
using VectorRows = std::function<void(std::int64_t row, float *out)>;
std::vector<std::vector<Neighbour>> searchExcludingSelf(const NeighbourIndex &index, const VectorRows &rowOf,
                                                        std::span<const std::int64_t> queryRows, int k,
                                                        bool excludeDuplicates);

// Share of the exact top-k that the approximate index also returns in its top-k, averaged
// over the queries (recall@k).
double recallAtK(const NeighbourIndex &approximate, const NeighbourIndex &exact, const FloatMatrix &queries, int k);

} // namespace lookalike
