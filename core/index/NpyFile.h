// NumPy .npy files of 2-D float32 matrices (N x D, C order): the format of the embedding
// side files of a project and of embeddings computed elsewhere. Version 1.0/2.0/3.0 headers
// are read; '<f4' is read as is, '<f8' and '<f2' are converted. Anything else is refused
// with an error naming the file.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace lookalike {

FloatMatrix readNpyMatrix(const std::filesystem::path &path);
// Shape of a .npy file without reading the data (rows, cols); throws like readNpyMatrix.
std::pair<std::int64_t, std::int64_t> npyMatrixShape(const std::filesystem::path &path);
// Only the given rows (any order; returned in that order), read one by one: a sample of a
// matrix too large to load whole (the GUI's map of a million-item catalog). Throws like
// readNpyMatrix, and InvalidArgument for a row out of range.
FloatMatrix readNpyRows(const std::filesystem::path &path, const std::vector<std::int64_t> &rows);
// Writes atomically (temporary file + rename).
void writeNpyMatrix(const std::filesystem::path &path, const FloatMatrix &matrix);

// Reads rows of a float32 ('<f4') .npy matrix on demand (pread), so that a large side file can
// be processed in chunks or sampled without holding it all in memory.
class NpyRowReader {
public:
    static NpyRowReader open(const std::filesystem::path &path); // throws naming the file

    NpyRowReader(NpyRowReader &&) noexcept;
    NpyRowReader &operator=(NpyRowReader &&) noexcept;
    ~NpyRowReader();

    std::int64_t rows() const;
    std::int64_t cols() const;
    const std::filesystem::path &path() const;
    // Copies rows [first, first + count) into out (count x cols floats).
    void read(std::int64_t first, std::int64_t count, float *out) const;

private:
    struct Impl;
    explicit NpyRowReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// An append-only float32 .npy matrix that survives being killed: rows are appended, then
// commit() makes them durable (fsync) and rewrites the row count in the header. Opening an
// existing file with `keepRows` truncates anything past that many rows (rows appended after
// the last commit of a killed writer).
class NpyAppender {
public:
    // Creates the file if missing. Throws if it exists with a different column count or
    // holds fewer than keepRows rows.
    static NpyAppender open(const std::filesystem::path &path, std::int64_t cols, std::int64_t keepRows);

    NpyAppender(NpyAppender &&) noexcept;
    NpyAppender &operator=(NpyAppender &&) noexcept;
    ~NpyAppender();

    void append(const float *rows, std::int64_t count); // count x cols floats
    void commit();                                       // fsync data, update header, fsync
    std::int64_t rows() const;                           // rows appended so far (committed or not)
    std::int64_t cols() const;

private:
    struct Impl;
    explicit NpyAppender(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
