// Row stores for exact search: in memory, or read with pread from a file.
#include "core/index/FloatRows.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/util/RegularFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lookalike {

const float *FloatRows::chunk(std::int64_t first, std::int64_t count, std::vector<float> &buffer) const
{
    if (const float *all = contiguous())
        return all + first * cols();
    buffer.resize(static_cast<std::size_t>(count * cols()));
    read(first, count, buffer.data());
    return buffer.data();
}

namespace {

class MemoryRows final : public FloatRows {
public:
    MemoryRows(std::vector<float> data, std::int64_t n, int d)
        : m_data(std::move(data))
        , m_n(n)
        , m_d(d)
    {
    }
    std::int64_t rows() const override { return m_n; }
    int cols() const override { return m_d; }
    void read(std::int64_t first, std::int64_t count, float *out) const override
    {
        std::memcpy(out, m_data.data() + first * m_d, static_cast<std::size_t>(count * m_d) * sizeof(float));
    }
    const float *contiguous() const override { return m_data.data(); }

private:
    std::vector<float> m_data;
    std::int64_t m_n;
    int m_d;
};

class FileRows final : public FloatRows {
public:
    FileRows(const std::filesystem::path &file, std::int64_t offset, std::int64_t n, int d)
        : m_path(file.string())
        , m_offset(offset)
        , m_n(n)
        , m_d(d)
    {
        requireRegularFile(file, kEmbeddingsLimit);
        m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) {
            const int e = errno;
            throw Error(e == ENOENT ? ErrorCode::FileNotFound : ErrorCode::FileUnreadable, m_path, std::strerror(e));
        }
    }
    ~FileRows() override { ::close(m_fd); }
    std::int64_t rows() const override { return m_n; }
    int cols() const override { return m_d; }
    void read(std::int64_t first, std::int64_t count, float *out) const override
    {
        auto *p = reinterpret_cast<char *>(out);
        std::size_t left = static_cast<std::size_t>(count * m_d) * sizeof(float);
        auto at = static_cast<off_t>(m_offset + first * m_d * static_cast<std::int64_t>(sizeof(float)));
        while (left > 0) {
            const ssize_t got = ::pread(m_fd, p, left, at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                throw Error(ErrorCode::TruncatedFile, m_path,
                            got < 0 ? std::string("cannot read rows: ") + std::strerror(errno)
                                    : std::string("ends before its rows (changed since it was opened?)"));
            p += got;
            at += got;
            left -= static_cast<std::size_t>(got);
        }
    }

private:
    std::string m_path;
    int m_fd = -1;
    std::int64_t m_offset;
    std::int64_t m_n;
    int m_d;
};

class NpyRows final : public FloatRows {
public:
    NpyRows(NpyRowReader reader, std::int64_t n)
        : m_reader(std::move(reader))
        , m_n(n)
    {
    }
    std::int64_t rows() const override { return m_n; }
    int cols() const override { return static_cast<int>(m_reader.cols()); }
    void read(std::int64_t first, std::int64_t count, float *out) const override { m_reader.read(first, count, out); }

private:
    NpyRowReader m_reader;
    std::int64_t m_n;
};

} // namespace

std::unique_ptr<FloatRows> floatRowsInMemory(std::vector<float> data, std::int64_t n, int d)
{
    return std::make_unique<MemoryRows>(std::move(data), n, d);
}

std::unique_ptr<FloatRows> floatRowsInFile(const std::filesystem::path &file, std::int64_t offset, std::int64_t n,
                                           int d)
{
    return std::make_unique<FileRows>(file, offset, n, d);
}

std::unique_ptr<FloatRows> floatRowsInNpy(const std::filesystem::path &file, std::int64_t n)
{
    NpyRowReader reader = NpyRowReader::open(file);
    if (n < 0 || n > reader.rows())
        throw Error(ErrorCode::SizeMismatch, file.string(),
                    "holds " + std::to_string(reader.rows()) + " rows, fewer than " + std::to_string(n));
    return std::make_unique<NpyRows>(std::move(reader), n);
}

} // namespace lookalike
