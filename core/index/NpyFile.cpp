// NumPy .npy reading and writing (POSIX I/O) for 2-D float matrices, and the crash-safe
// appender behind the embedding side files. The header is a Python dict literal; it is
// hand-parsed here (strings, integers, True/False/None, tuples, lists, dicts) because it is
// not JSON, and every value is checked before it is used as a size or an offset.
//
// Decisions worth knowing:
// - Only 2-D shapes are read. A 1-D array (N,) is refused rather than guessed at: it could be
//   one embedding of N dimensions or N one-dimensional rows, and a wrong guess would make a
//   catalog silently meaningless. The message says how to reshape it.
// - Bytes after the data are an error for readNpyMatrix/npyMatrixShape ("an interrupted
//   write?"). NumPy itself ignores them (np.load reads exactly the shape's elements), so a
//   file with uncommitted appended rows still loads in NumPy, showing the committed rows.
//   NpyAppender::open is the one place that accepts them: it truncates them away.
// - Files written here are version 1.0, header padded with spaces so that its total length is
//   a multiple of 64 (as NumPy does) and a 20-digit row count fits: the appender rewrites the
//   row count in place without moving the data.
#include "core/index/NpyFile.h"

#include "core/Error.h"
#include "core/util/RegularFile.h"
#include "core/checkpoint/SafetensorsFile.h" // halfToFloat

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

static_assert(std::endian::native == std::endian::little, ".npy files written here are little-endian ('<f4')");

namespace lookalike {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;
// NumPy 1.24 refuses headers above 10000 bytes by default; be a little more tolerant, but
// never allocate an arbitrary amount because a length field says so.
constexpr std::uint64_t kMaxHeaderBytes = 1024u * 1024u;
constexpr std::uint64_t kHeaderAlign = 64;
constexpr int kRowCountRoom = 20; // digits reserved for the row count in headers written here
constexpr std::size_t kChunkBytes = 4u << 20;

enum class Dtype { F4, F8, F2 };

std::size_t dtypeSize(Dtype t)
{
    switch (t) {
    case Dtype::F4: return 4;
    case Dtype::F8: return 8;
    case Dtype::F2: return 2;
    }
    return 0;
}

const char *dtypeName(Dtype t)
{
    switch (t) {
    case Dtype::F4: return "<f4";
    case Dtype::F8: return "<f8";
    case Dtype::F2: return "<f2";
    }
    return "?";
}

[[noreturn]] void fail(ErrorCode code, const std::string &path, const std::string &subject, const std::string &problem)
{
    throw Error(code, path, subject, problem);
}

[[noreturn]] void failErrno(const std::string &path, const std::string &what, int e)
{
    fail(e == ENOENT ? ErrorCode::FileNotFound : ErrorCode::FileUnreadable, path, {}, what + std::strerror(e));
}

// ------------------------------------------------------------------ POSIX helpers

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {
    }
    Fd(Fd &&o) noexcept
        : m_fd(std::exchange(o.m_fd, -1))
    {
    }
    Fd &operator=(Fd &&o) noexcept
    {
        if (this != &o) {
            reset();
            m_fd = std::exchange(o.m_fd, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return m_fd; }
    void reset()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd = -1;
};

void readExactly(int fd, std::uint64_t offset, void *buffer, std::size_t size, const std::string &path)
{
    auto *p = static_cast<char *>(buffer);
    while (size > 0) {
        const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            failErrno(path, "cannot read: ", errno);
        if (n == 0) // the size was checked against fstat: the file shrank under us
            fail(ErrorCode::TruncatedFile, path, {}, "file ended early while reading (truncated by another process?)");
        p += n;
        offset += static_cast<std::uint64_t>(n);
        size -= static_cast<std::size_t>(n);
    }
}

void writeAll(int fd, std::uint64_t offset, const void *buffer, std::size_t size, const std::string &path)
{
    const auto *p = static_cast<const char *>(buffer);
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail(ErrorCode::FileUnreadable, path, {}, std::string("cannot write: ") + std::strerror(errno));
        p += n;
        offset += static_cast<std::uint64_t>(n);
        size -= static_cast<std::size_t>(n);
    }
}

void syncData(int fd, const std::string &path)
{
    if (::fdatasync(fd) != 0)
        fail(ErrorCode::FileUnreadable, path, {}, std::string("cannot flush to disk: ") + std::strerror(errno));
}

// A rename is durable only once the directory entry is: fsync the parent folder.
void syncParentDirectory(const std::filesystem::path &path)
{
    std::filesystem::path dir = path.parent_path();
    if (dir.empty())
        dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return; // best effort: the file itself is complete either way
    ::fsync(fd);
    ::close(fd);
}

Fd openRegularFile(const std::string &path, int flags, std::uint64_t &size)
{
    if (const std::string kind = nonRegularKind(path); !kind.empty()) // before open(): a FIFO blocks it
        fail(ErrorCode::FileUnreadable, path, {}, "is " + kind + ", not a regular file; only regular files are read");
    Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (fd.get() < 0)
        failErrno(path, "cannot open: ", errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        fail(ErrorCode::FileUnreadable, path, {}, "not a regular file");
    size = static_cast<std::uint64_t>(st.st_size);
    return fd;
}

// A temporary name beside `path`, unique within this process and across processes.
std::filesystem::path temporaryPathFor(const std::filesystem::path &path)
{
    static std::atomic<unsigned> counter{0};
    return path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// ------------------------------------------------------------------ Python literal parser

// The subset of Python literals a .npy header can hold.
struct PyValue {
    enum class Type { Str, Int, Bool, None, Tuple, List, Dict } type = Type::None;
    std::string str;
    std::int64_t integer = 0;
    bool boolean = false;
    std::vector<PyValue> items;                       // Tuple, List
    std::vector<std::pair<std::string, PyValue>> dict; // Dict, in file order
};

class PyLiteralParser {
public:
    PyLiteralParser(std::string_view text, const std::string &path)
        : m_text(text)
        , m_path(path)
    {
    }

    PyValue parseDocument()
    {
        PyValue v = parseValue(0);
        skipSpace();
        if (m_pos != m_text.size())
            error("unexpected " + describeHere() + " after the dict");
        return v;
    }

private:
    std::string_view m_text;
    const std::string &m_path;
    std::size_t m_pos = 0;

    [[noreturn]] void error(const std::string &what) const
    {
        fail(ErrorCode::MalformedHeader, m_path, "header",
             "not a valid Python literal: " + what + " at character " + std::to_string(m_pos));
    }

    std::string describeHere() const
    {
        if (m_pos >= m_text.size())
            return "end of header";
        const auto c = static_cast<unsigned char>(m_text[m_pos]);
        if (c >= 0x20 && c < 0x7F)
            return std::string("'") + static_cast<char>(c) + "'";
        return "byte " + std::to_string(c);
    }

    void skipSpace()
    {
        while (m_pos < m_text.size()
               && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    bool consume(char c)
    {
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    PyValue parseValue(int depth)
    {
        if (depth > 16) // a real header nests 3 deep; refuse before the stack does
            error("nesting too deep");
        skipSpace();
        if (m_pos >= m_text.size())
            error("unexpected end of header");
        const char c = m_text[m_pos];
        if (c == '{')
            return parseDict(depth);
        if (c == '(' || c == '[')
            return parseSequence(depth);
        if (c == '\'' || c == '"')
            return parseString();
        if (c == '-' || c == '+' || (c >= '0' && c <= '9'))
            return parseInteger();
        if (std::isalpha(static_cast<unsigned char>(c)))
            return parseName();
        error("unexpected " + describeHere());
    }

    PyValue parseDict(int depth)
    {
        ++m_pos; // '{'
        PyValue v;
        v.type = PyValue::Type::Dict;
        while (!consume('}')) {
            skipSpace();
            const std::size_t keyPos = m_pos;
            PyValue key = parseValue(depth + 1);
            if (key.type != PyValue::Type::Str) {
                m_pos = keyPos;
                error("dict key is not a string");
            }
            if (!consume(':'))
                error("expected ':' after key '" + key.str + "', found " + describeHere());
            PyValue value = parseValue(depth + 1);
            for (const auto &kv : v.dict)
                if (kv.first == key.str)
                    error("key '" + key.str + "' appears twice");
            v.dict.emplace_back(std::move(key.str), std::move(value));
            if (consume(','))
                continue;
            if (!consume('}'))
                error("expected ',' or '}', found " + describeHere());
            break;
        }
        return v;
    }

    // Python semantics: "(3)" is the integer 3, "(3,)" and "()" are tuples.
    PyValue parseSequence(int depth)
    {
        const char open = m_text[m_pos++];
        const char close = open == '(' ? ')' : ']';
        PyValue v;
        v.type = open == '(' ? PyValue::Type::Tuple : PyValue::Type::List;
        bool sawComma = false;
        while (!consume(close)) {
            v.items.push_back(parseValue(depth + 1));
            if (consume(',')) {
                sawComma = true;
                continue;
            }
            if (!consume(close))
                error(std::string("expected ',' or '") + close + "', found " + describeHere());
            break;
        }
        if (open == '(' && v.items.size() == 1 && !sawComma) {
            PyValue inner = std::move(v.items.front());
            return inner;
        }
        return v;
    }

    PyValue parseString()
    {
        const char quote = m_text[m_pos++];
        PyValue v;
        v.type = PyValue::Type::Str;
        while (true) {
            if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
                error("unterminated string");
            const char c = m_text[m_pos++];
            if (c == quote)
                break;
            if (c == '\\') { // escapes do not occur in dtype strings; keep the escaped character
                if (m_pos >= m_text.size())
                    error("unterminated string");
                v.str += m_text[m_pos++];
                continue;
            }
            v.str += c;
        }
        return v;
    }

    PyValue parseInteger()
    {
        PyValue v;
        v.type = PyValue::Type::Int;
        bool negative = false;
        if (m_text[m_pos] == '-' || m_text[m_pos] == '+')
            negative = m_text[m_pos++] == '-';
        skipSpace();
        const std::size_t start = m_pos;
        std::int64_t n = 0;
        while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
            if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, m_text[m_pos] - '0', &n))
                error("integer too large");
            ++m_pos;
        }
        if (m_pos == start)
            error("expected digits, found " + describeHere());
        // Python 2 NumPy wrote long integers as "3L" in version 1.0 headers.
        if (m_pos < m_text.size() && (m_text[m_pos] == 'L' || m_text[m_pos] == 'l'))
            ++m_pos;
        if (m_pos < m_text.size() && (m_text[m_pos] == '.' || m_text[m_pos] == 'e' || m_text[m_pos] == 'E'))
            error("only integers are expected in a .npy header");
        v.integer = negative ? -n : n;
        return v;
    }

    PyValue parseName()
    {
        const std::size_t start = m_pos;
        auto isNameChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        while (m_pos < m_text.size() && isNameChar(m_text[m_pos]))
            ++m_pos;
        const std::string_view name = m_text.substr(start, m_pos - start);
        PyValue v;
        if (name == "True" || name == "False") {
            v.type = PyValue::Type::Bool;
            v.boolean = name == "True";
        } else if (name == "None") {
            v.type = PyValue::Type::None;
        } else {
            m_pos = start;
            error("unknown name '" + std::string(name.substr(0, 32)) + "'");
        }
        return v;
    }
};

std::string describeLiteral(const PyValue &v)
{
    switch (v.type) {
    case PyValue::Type::Str: return "'" + v.str.substr(0, 40) + "'";
    case PyValue::Type::Int: return std::to_string(v.integer);
    case PyValue::Type::Bool: return v.boolean ? "True" : "False";
    case PyValue::Type::None: return "None";
    case PyValue::Type::Tuple:
    case PyValue::Type::List: {
        std::string s = v.type == PyValue::Type::Tuple ? "(" : "[";
        for (std::size_t i = 0; i < v.items.size() && i < 8; ++i)
            s += (i ? ", " : "") + describeLiteral(v.items[i]);
        if (v.items.size() > 8)
            s += ", ...";
        if (v.type == PyValue::Type::Tuple && v.items.size() == 1)
            s += ",";
        return s + (v.type == PyValue::Type::Tuple ? ")" : "]");
    }
    case PyValue::Type::Dict: return "a dict";
    }
    return "?";
}

// ------------------------------------------------------------------ header

struct NpyHeader {
    int version = 1;
    std::uint64_t dataOffset = 0; // preamble + header length: where the data starts
    Dtype dtype = Dtype::F4;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::uint64_t dataBytes = 0; // rows * cols * dtype size
};

std::uint64_t preambleLength(int version)
{
    return version == 1 ? 10 : 12; // magic, 2 version bytes, u16 or u32 header length
}

Dtype parseDescr(const PyValue &descr, const std::string &path)
{
    const std::string subject = "'descr'";
    if (descr.type == PyValue::Type::List)
        fail(ErrorCode::UnsupportedDtype, path, subject, "a structured dtype is not a float matrix");
    if (descr.type != PyValue::Type::Str)
        fail(ErrorCode::MalformedHeader, path, subject, "is " + describeLiteral(descr) + ", not a dtype string");
    const std::string &s = descr.str;
    // '=' is native order, which is little-endian on every machine Lookalike runs on.
    if (s == "<f4" || s == "=f4")
        return Dtype::F4;
    if (s == "<f8" || s == "=f8")
        return Dtype::F8;
    if (s == "<f2" || s == "=f2")
        return Dtype::F2;
    if (s == ">f4" || s == ">f8" || s == ">f2")
        fail(ErrorCode::UnsupportedDtype, path, subject,
             "big-endian dtype '" + s + "' is not supported (save it with a.astype('<" + s.substr(1) + "'))");
    fail(ErrorCode::UnsupportedDtype, path, subject,
         "dtype '" + s.substr(0, 40) + "' is not supported (expected '<f4', '<f8' or '<f2')");
}

NpyHeader readHeader(int fd, std::uint64_t fileSize, const std::string &path)
{
    unsigned char pre[12] = {};
    if (fileSize < 10)
        fail(ErrorCode::TruncatedFile, path, {},
             "file is " + std::to_string(fileSize) + " bytes, too short for a .npy header");
    readExactly(fd, 0, pre, 10, path);
    if (std::memcmp(pre, kMagic, kMagicLength) != 0)
        fail(ErrorCode::MalformedHeader, path, {}, "not a .npy file (it does not start with \\x93NUMPY)");
    NpyHeader h;
    h.version = pre[6];
    if ((h.version != 1 && h.version != 2 && h.version != 3) || pre[7] != 0)
        fail(ErrorCode::Unsupported, path, {},
             "format version " + std::to_string(pre[6]) + "." + std::to_string(pre[7])
                 + " is not supported (1.0, 2.0 and 3.0 are)");
    std::uint64_t headerLength = 0;
    if (h.version == 1) {
        headerLength = static_cast<std::uint64_t>(pre[8]) | static_cast<std::uint64_t>(pre[9]) << 8;
    } else {
        if (fileSize < 12)
            fail(ErrorCode::TruncatedFile, path, {},
                 "file is " + std::to_string(fileSize) + " bytes, too short for a version " + std::to_string(h.version)
                     + " header");
        readExactly(fd, 10, pre + 10, 2, path);
        for (int i = 3; i >= 0; --i)
            headerLength = headerLength << 8 | pre[8 + i];
    }
    const std::uint64_t preamble = preambleLength(h.version);
    if (headerLength > fileSize - preamble)
        fail(ErrorCode::HeaderOutOfBounds, path, {},
             "header length " + std::to_string(headerLength) + " is larger than the rest of the file ("
                 + std::to_string(fileSize - preamble) + " bytes): truncated or not a .npy file");
    if (headerLength > kMaxHeaderBytes)
        fail(ErrorCode::HeaderOutOfBounds, path, {},
             "header length " + std::to_string(headerLength) + " exceeds the 1 MB limit");
    h.dataOffset = preamble + headerLength;

    std::string text(static_cast<std::size_t>(headerLength), '\0');
    readExactly(fd, preamble, text.data(), text.size(), path);
    const PyValue dict = PyLiteralParser(text, path).parseDocument();
    if (dict.type != PyValue::Type::Dict)
        fail(ErrorCode::MalformedHeader, path, "header", "is " + describeLiteral(dict) + ", not a dict");

    const PyValue *descr = nullptr;
    const PyValue *fortran = nullptr;
    const PyValue *shape = nullptr;
    for (const auto &[key, value] : dict.dict) {
        if (key == "descr")
            descr = &value;
        else if (key == "fortran_order")
            fortran = &value;
        else if (key == "shape")
            shape = &value;
        else // NumPy refuses these too: a header it would not load is not a .npy file
            fail(ErrorCode::MalformedHeader, path, "header", "unexpected key '" + key.substr(0, 40) + "'");
    }
    const std::pair<const char *, const PyValue *> required[]
        = {{"descr", descr}, {"fortran_order", fortran}, {"shape", shape}};
    for (const auto &[name, value] : required)
        if (!value)
            fail(ErrorCode::MalformedHeader, path, "header", std::string("key '") + name + "' is missing");

    h.dtype = parseDescr(*descr, path);
    if (fortran->type != PyValue::Type::Bool)
        fail(ErrorCode::MalformedHeader, path, "'fortran_order'",
             "is " + describeLiteral(*fortran) + ", not True or False");
    if (fortran->boolean)
        fail(ErrorCode::Unsupported, path, "'fortran_order'",
             "Fortran (column-major) order is not supported (save np.ascontiguousarray(a) instead)");

    if (shape->type != PyValue::Type::Tuple)
        fail(ErrorCode::MalformedHeader, path, "'shape'", "is " + describeLiteral(*shape) + ", not a tuple");
    for (const PyValue &dim : shape->items)
        if (dim.type != PyValue::Type::Int || dim.integer < 0)
            fail(ErrorCode::MalformedHeader, path, "'shape'",
                 describeLiteral(*shape) + " must hold non-negative integers");
    if (shape->items.size() == 1)
        fail(ErrorCode::WrongShape, path, "'shape'",
             describeLiteral(*shape) + " is 1-D; a 2-D matrix (rows, cols) is needed (save a.reshape(1, -1) for one "
                 "vector, a.reshape(-1, 1) for scalars)");
    if (shape->items.size() != 2)
        fail(ErrorCode::WrongShape, path, "'shape'",
             describeLiteral(*shape) + " is " + std::to_string(shape->items.size())
                 + "-D; a 2-D matrix (rows, cols) is needed");
    h.rows = shape->items[0].integer;
    h.cols = shape->items[1].integer;
    std::uint64_t elements = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(h.rows), static_cast<std::uint64_t>(h.cols), &elements)
        || __builtin_mul_overflow(elements, dtypeSize(h.dtype), &h.dataBytes)
        || h.dataBytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        fail(ErrorCode::SizeMismatch, path, "'shape'", describeLiteral(*shape) + " needs more than 2^63 bytes");
    return h;
}

// IEEE round-to-nearest like NumPy's astype(float32), without the undefined behaviour of
// casting a double beyond float's range: from FLT_MAX + half an ulp on, the result is infinite.
float doubleToFloat(double v)
{
    constexpr double overflow = 0x1.ffffffp127;
    if (std::abs(v) >= overflow)
        return std::copysign(std::numeric_limits<float>::infinity(), static_cast<float>(v > 0 ? 1 : -1));
    if (std::abs(v) > std::numeric_limits<float>::max())
        return std::copysign(std::numeric_limits<float>::max(), static_cast<float>(v > 0 ? 1 : -1));
    return static_cast<float>(v);
}

std::string shapeString(std::int64_t rows, std::int64_t cols)
{
    return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

// Data shorter than the shape is always an error; longer only where `allowTrailing`.
void checkDataSize(const NpyHeader &h, std::uint64_t fileSize, const std::string &path, bool allowTrailing)
{
    const std::uint64_t available = fileSize - h.dataOffset;
    if (available < h.dataBytes)
        fail(ErrorCode::TruncatedFile, path, {},
             "data is " + std::to_string(available) + " bytes but shape " + shapeString(h.rows, h.cols) + " of '"
                 + dtypeName(h.dtype) + "' needs " + std::to_string(h.dataBytes) + " (truncated file?)");
    if (available > h.dataBytes && !allowTrailing)
        fail(ErrorCode::SizeMismatch, path, {},
             std::to_string(available - h.dataBytes) + " bytes after the data of shape " + shapeString(h.rows, h.cols)
                 + " (an interrupted write?)");
}

// The header text for `rows` x `cols` float32, padded to exactly `totalLength` bytes
// (preamble included). Empty if it does not fit.
std::string headerBytes(int version, std::int64_t rows, std::int64_t cols, std::uint64_t totalLength)
{
    const std::string dict
        = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeString(rows, cols) + ", }";
    const std::uint64_t preamble = preambleLength(version);
    if (preamble + dict.size() + 1 > totalLength)
        return {};
    const std::uint64_t headerLength = totalLength - preamble;
    std::string out(kMagic, kMagicLength);
    out += static_cast<char>(version);
    out += '\0';
    for (std::uint64_t i = 0; i < (version == 1 ? 2u : 4u); ++i)
        out += static_cast<char>((headerLength >> (8 * i)) & 0xFF);
    out += dict;
    out.append(static_cast<std::size_t>(totalLength - 1 - out.size()), ' ');
    out += '\n';
    return out;
}

// Total header length for new files: a multiple of 64 with room for a 20-digit row count.
std::uint64_t newHeaderLength(std::int64_t cols)
{
    const std::string widest = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::string(kRowCountRoom, '9')
        + ", " + std::to_string(cols) + "), }";
    const std::uint64_t minimum = preambleLength(1) + widest.size() + 1;
    return (minimum + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
}

void writeFileAtomically(const std::filesystem::path &path, const std::string &header, const float *data,
                         std::uint64_t dataBytes)
{
    const std::string target = path.string();
    const std::filesystem::path tmp = temporaryPathFor(path);
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0)
        fail(ErrorCode::FileUnreadable, target, {}, std::string("cannot create file: ") + std::strerror(errno));
    try {
        writeAll(fd.get(), 0, header.data(), header.size(), target);
        writeAll(fd.get(), header.size(), data, static_cast<std::size_t>(dataBytes), target);
        syncData(fd.get(), target); // the data must be on disk before the name points at it
        fd.reset();
        std::error_code ec;
        std::filesystem::rename(tmp, path, ec);
        if (ec)
            fail(ErrorCode::FileUnreadable, target, {}, "cannot write file: " + ec.message());
    } catch (...) {
        fd.reset();
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw;
    }
    syncParentDirectory(path);
}

} // namespace

// ------------------------------------------------------------------ reading

std::pair<std::int64_t, std::int64_t> npyMatrixShape(const std::filesystem::path &path)
{
    const std::string p = path.string();
    std::uint64_t size = 0;
    const Fd fd = openRegularFile(p, O_RDONLY, size);
    const NpyHeader h = readHeader(fd.get(), size, p);
    checkDataSize(h, size, p, false);
    return {h.rows, h.cols};
}

FloatMatrix readNpyMatrix(const std::filesystem::path &path)
{
    const std::string p = path.string();
    std::uint64_t size = 0;
    const Fd fd = openRegularFile(p, O_RDONLY, size);
    const NpyHeader h = readHeader(fd.get(), size, p);
    checkDataSize(h, size, p, false);

    FloatMatrix m(h.rows, h.cols);
    const std::size_t n = m.data.size();
    if (h.dtype == Dtype::F4) {
        readExactly(fd.get(), h.dataOffset, m.data.data(), n * 4, p);
        return m;
    }
    // Convert in chunks so a large float64 file does not need twice its size in memory.
    const std::size_t itemSize = dtypeSize(h.dtype);
    std::vector<unsigned char> chunk(kChunkBytes);
    const std::size_t perChunk = kChunkBytes / itemSize;
    for (std::size_t done = 0; done < n;) {
        const std::size_t count = std::min(perChunk, n - done);
        readExactly(fd.get(), h.dataOffset + done * itemSize, chunk.data(), count * itemSize, p);
        for (std::size_t k = 0; k < count; ++k) {
            if (h.dtype == Dtype::F8) {
                double v;
                std::memcpy(&v, chunk.data() + 8 * k, 8);
                m.data[done + k] = doubleToFloat(v);
            } else {
                std::uint16_t v;
                std::memcpy(&v, chunk.data() + 2 * k, 2);
                m.data[done + k] = halfToFloat(v);
            }
        }
        done += count;
    }
    return m;
}

FloatMatrix readNpyRows(const std::filesystem::path &path, const std::vector<std::int64_t> &rows)
{
    const std::string p = path.string();
    std::uint64_t size = 0;
    const Fd fd = openRegularFile(p, O_RDONLY, size);
    const NpyHeader h = readHeader(fd.get(), size, p);
    checkDataSize(h, size, p, false);
    FloatMatrix m(static_cast<std::int64_t>(rows.size()), h.cols);
    const std::size_t itemSize = dtypeSize(h.dtype);
    const std::size_t cols = static_cast<std::size_t>(h.cols);
    std::vector<unsigned char> buffer(cols * itemSize);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i] < 0 || rows[i] >= h.rows)
            fail(ErrorCode::InvalidArgument, p, {},
                 "row " + std::to_string(rows[i]) + " is out of range (the file has " + std::to_string(h.rows) + " rows)");
        readExactly(fd.get(), h.dataOffset + static_cast<std::uint64_t>(rows[i]) * cols * itemSize, buffer.data(),
                    buffer.size(), p);
        float *out = m.data.data() + i * cols;
        for (std::size_t k = 0; k < cols; ++k) {
            if (h.dtype == Dtype::F4) {
                std::memcpy(out + k, buffer.data() + 4 * k, 4);
            } else if (h.dtype == Dtype::F8) {
                double v;
                std::memcpy(&v, buffer.data() + 8 * k, 8);
                out[k] = doubleToFloat(v);
            } else {
                std::uint16_t v;
                std::memcpy(&v, buffer.data() + 2 * k, 2);
                out[k] = halfToFloat(v);
            }
        }
    }
    return m;
}

void writeNpyMatrix(const std::filesystem::path &path, const FloatMatrix &matrix)
{
    LOOKALIKE_CHECK(matrix.rows >= 0 && matrix.cols >= 0
                        && matrix.data.size() == static_cast<std::size_t>(matrix.rows * matrix.cols),
                    "matrix size does not match its shape");
    const std::string header = headerBytes(1, matrix.rows, matrix.cols, newHeaderLength(matrix.cols));
    writeFileAtomically(path, header, matrix.data.data(), matrix.data.size() * sizeof(float));
}

// ------------------------------------------------------------------ reading rows on demand

struct NpyRowReader::Impl {
    std::filesystem::path path;
    Fd fd;
    NpyHeader header;
};

NpyRowReader::NpyRowReader(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
NpyRowReader::NpyRowReader(NpyRowReader &&) noexcept = default;
NpyRowReader &NpyRowReader::operator=(NpyRowReader &&) noexcept = default;
NpyRowReader::~NpyRowReader() = default;

NpyRowReader NpyRowReader::open(const std::filesystem::path &path)
{
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    const std::string p = path.string();
    std::uint64_t size = 0;
    impl->fd = openRegularFile(p, O_RDONLY, size);
    impl->header = readHeader(impl->fd.get(), size, p);
    checkDataSize(impl->header, size, p, false);
    if (impl->header.dtype != Dtype::F4) // the side files are written as '<f4'; others are read whole
        fail(ErrorCode::UnsupportedDtype, p, "'descr'",
             std::string("rows are read on demand only from '<f4' files, this one is '")
                 + dtypeName(impl->header.dtype) + "'");
    return NpyRowReader(std::move(impl));
}

std::int64_t NpyRowReader::rows() const
{
    return d->header.rows;
}

std::int64_t NpyRowReader::cols() const
{
    return d->header.cols;
}

const std::filesystem::path &NpyRowReader::path() const
{
    return d->path;
}

void NpyRowReader::read(std::int64_t first, std::int64_t count, float *out) const
{
    LOOKALIKE_CHECK(first >= 0 && count >= 0 && first + count <= d->header.rows && (count == 0 || out),
                    "row range outside the file");
    const auto rowBytes = static_cast<std::uint64_t>(d->header.cols) * sizeof(float);
    readExactly(d->fd.get(), d->header.dataOffset + static_cast<std::uint64_t>(first) * rowBytes, out,
                static_cast<std::size_t>(static_cast<std::uint64_t>(count) * rowBytes), d->path.string());
}

// ------------------------------------------------------------------ appending

struct NpyAppender::Impl {
    std::string path;
    Fd fd;
    int version = 1;
    std::uint64_t dataOffset = 0;
    std::int64_t cols = 0;
    std::int64_t rows = 0;

    std::uint64_t rowBytes() const { return static_cast<std::uint64_t>(cols) * sizeof(float); }
    std::uint64_t endOfRows() const { return dataOffset + static_cast<std::uint64_t>(rows) * rowBytes(); }

    void writeHeader()
    {
        const std::string header = headerBytes(version, rows, cols, dataOffset);
        LOOKALIKE_CHECK(!header.empty(), "the row count no longer fits the header");
        writeAll(fd.get(), 0, header.data(), header.size(), path);
    }
};

NpyAppender::NpyAppender(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
NpyAppender::NpyAppender(NpyAppender &&) noexcept = default;
NpyAppender &NpyAppender::operator=(NpyAppender &&) noexcept = default;
NpyAppender::~NpyAppender() = default;

NpyAppender NpyAppender::open(const std::filesystem::path &path, std::int64_t cols, std::int64_t keepRows)
{
    const std::string p = path.string();
    if (cols <= 0)
        fail(ErrorCode::InvalidArgument, p, {}, "cannot append rows of " + std::to_string(cols) + " columns");
    if (keepRows < 0)
        fail(ErrorCode::InvalidArgument, p, {}, "cannot keep " + std::to_string(keepRows) + " rows");

    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (keepRows > 0)
            fail(ErrorCode::FileNotFound, p, {},
                 "file is missing but " + std::to_string(keepRows) + " rows were expected in it");
        // Created atomically, so a half-written header never exists under the final name.
        writeFileAtomically(path, headerBytes(1, 0, cols, newHeaderLength(cols)), nullptr, 0);
    }

    auto impl = std::make_unique<Impl>();
    impl->path = p;
    std::uint64_t size = 0;
    impl->fd = openRegularFile(p, O_RDWR, size);
    // Two writers would interleave rows and fight over the header; the lock ends with the fd.
    if (::flock(impl->fd.get(), LOCK_EX | LOCK_NB) != 0)
        fail(ErrorCode::FileUnreadable, p, {},
             errno == EWOULDBLOCK ? std::string("is already open for appending by another writer")
                                  : std::string("cannot lock: ") + std::strerror(errno));

    const NpyHeader h = readHeader(impl->fd.get(), size, p);
    if (h.dtype != Dtype::F4)
        fail(ErrorCode::UnsupportedDtype, p, "'descr'",
             std::string("rows can only be appended to '<f4' files, this one is '") + dtypeName(h.dtype) + "'");
    if (h.cols != cols)
        fail(ErrorCode::WrongShape, p, "'shape'",
             "file has " + std::to_string(h.cols) + " columns, expected " + std::to_string(cols));
    checkDataSize(h, size, p, true);
    if (h.rows < keepRows)
        fail(ErrorCode::SizeMismatch, p, {},
             "file holds " + std::to_string(h.rows) + " committed rows, fewer than the " + std::to_string(keepRows)
                 + " expected");
    if (headerBytes(h.version, std::numeric_limits<std::int64_t>::max(), cols, h.dataOffset).empty())
        fail(ErrorCode::Unsupported, p, "header",
             "has no room to grow the row count in place (rewrite the file with writeNpyMatrix first)");

    impl->version = h.version;
    impl->dataOffset = h.dataOffset;
    impl->cols = cols;
    impl->rows = keepRows;
    // Drop rows past keepRows: appended after the last commit, or committed after the
    // caller's last record of progress. Header first: a crash between the two steps leaves
    // trailing bytes, which the next open() removes, never a header claiming missing rows.
    if (h.rows != keepRows) {
        impl->writeHeader();
        syncData(impl->fd.get(), p);
    }
    if (size != impl->endOfRows()) {
        if (::ftruncate(impl->fd.get(), static_cast<off_t>(impl->endOfRows())) != 0)
            fail(ErrorCode::FileUnreadable, p, {}, std::string("cannot truncate: ") + std::strerror(errno));
        syncData(impl->fd.get(), p);
    }
    return NpyAppender(std::move(impl));
}

void NpyAppender::append(const float *rows, std::int64_t count)
{
    LOOKALIKE_CHECK(count >= 0 && (count == 0 || rows), "bad row buffer");
    const std::uint64_t bytes = static_cast<std::uint64_t>(count) * d->rowBytes();
    writeAll(d->fd.get(), d->endOfRows(), rows, static_cast<std::size_t>(bytes), d->path);
    d->rows += count;
}

void NpyAppender::commit()
{
    // A failed append may have left a partial row past the end: cut it so the file is exact.
    if (::ftruncate(d->fd.get(), static_cast<off_t>(d->endOfRows())) != 0)
        fail(ErrorCode::FileUnreadable, d->path, {}, std::string("cannot truncate: ") + std::strerror(errno));
    // Data first, then the header that claims it: a crash in between leaves a header with the
    // old count, which open() repairs. The header sits in the first disk sector, so its
    // rewrite is not torn.
    syncData(d->fd.get(), d->path);
    d->writeHeader();
    syncData(d->fd.get(), d->path);
}

std::int64_t NpyAppender::rows() const
{
    return d->rows;
}

std::int64_t NpyAppender::cols() const
{
    return d->cols;
}

} // namespace lookalike
