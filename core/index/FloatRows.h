// Where exact search reads its float32 rows from: a matrix in memory, or a file read with
// pread (a FAISS IndexFlatIP file, a float32 .npy), so that a million-row index need not hold
// its 3 GB of floats in memory: only the rows being scanned or rescored are read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace lookalike {

class NpyRowReader;

class FloatRows {
public:
    virtual ~FloatRows() = default;
    virtual std::int64_t rows() const = 0;
    virtual int cols() const = 0;
    // Rows [first, first + count) into out (count x cols floats). Throws naming the file.
    virtual void read(std::int64_t first, std::int64_t count, float *out) const = 0;
    // The whole matrix when it is in memory (rows x cols), else null.
    virtual const float *contiguous() const { return nullptr; }
    // Copies rows [first, first + count) only when they are not in memory; returns a pointer
    // to them either way (into `buffer` or the matrix).
    const float *chunk(std::int64_t first, std::int64_t count, std::vector<float> &buffer) const;
};

// A copy of n x d floats (row-major) held in memory.
std::unique_ptr<FloatRows> floatRowsInMemory(std::vector<float> data, std::int64_t n, int d);
// n x d little-endian float32 rows stored contiguously from byte `offset` of `file`.
std::unique_ptr<FloatRows> floatRowsInFile(const std::filesystem::path &file, std::int64_t offset, std::int64_t n,
                                           int d);
// The first n rows of a float32 .npy.
std::unique_ptr<FloatRows> floatRowsInNpy(const std::filesystem::path &file, std::int64_t n);

} // namespace lookalike
