// Validating safetensors reader (POSIX mmap) and writer. The header JSON is parsed with
// Qt's QJsonDocument; every number is checked before it is used as an offset.
#include "core/checkpoint/SafetensorsFile.h"

#include "core/Error.h"
#include "core/util/RegularFile.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace lookalike {

namespace {

// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr std::uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;

struct DtypeEntry {
    const char *name;
    SafetensorsDtype dtype;
    std::size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {"F64", SafetensorsDtype::F64, 8},   {"F32", SafetensorsDtype::F32, 4},
    {"F16", SafetensorsDtype::F16, 2},   {"BF16", SafetensorsDtype::BF16, 2},
    {"I64", SafetensorsDtype::I64, 8},   {"I32", SafetensorsDtype::I32, 4},
    {"I16", SafetensorsDtype::I16, 2},   {"I8", SafetensorsDtype::I8, 1},
    {"U8", SafetensorsDtype::U8, 1},     {"BOOL", SafetensorsDtype::Bool, 1},
    {"F8_E4M3", SafetensorsDtype::F8E4M3, 1}, {"F8_E5M2", SafetensorsDtype::F8E5M2, 1},
};

std::string tensorSubject(const std::string &name)
{
    return "tensor '" + name + "'";
}

std::string shapeString(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

} // namespace

const char *safetensorsDtypeName(SafetensorsDtype dtype)
{
    for (const auto &e : kDtypes)
        if (e.dtype == dtype)
            return e.name;
    return "?";
}

std::size_t safetensorsDtypeSize(SafetensorsDtype dtype)
{
    for (const auto &e : kDtypes)
        if (e.dtype == dtype)
            return e.size;
    return 0;
}

std::int64_t SafetensorsTensorInfo::elementCount() const
{
    std::int64_t n = 1;
    for (auto s : shape)
        n *= s; // overflow excluded by validation at open()
    return n;
}

// ---------------------------------------------------------------- half floats

float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1Fu;
    std::uint32_t mant = h & 0x3FFu;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FFu) << 13;
        }
    } else if (exp == 0x1F) {
        bits = sign | 0x7F800000u | mant << 13; // inf / nan
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    return std::bit_cast<float>(bits);
}

float bfloat16ToFloat(std::uint16_t b)
{
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

std::uint16_t floatToBfloat16(float f)
{
    std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return static_cast<std::uint16_t>((u >> 16) | 0x40u); // quiet NaN
    u += 0x7FFFu + ((u >> 16) & 1u);                           // round to nearest even
    return static_cast<std::uint16_t>(u >> 16);
}

std::uint16_t floatToHalf(float f)
{
    const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
    const std::uint32_t absu = u & 0x7FFFFFFFu;
    if (absu > 0x7F800000u)
        return sign | 0x7E00u; // NaN
    if (absu >= 0x477FF000u)   // rounds to >= 65520: infinity
        return sign | 0x7C00u;
    if (absu < 0x38800000u) { // below the smallest normal half: subnormal or zero
        // Add 0.5 (as a float) so the FPU does the round-to-nearest-even shift for us.
        const float shifted = std::bit_cast<float>(absu) + 0.5f;
        return sign | static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(shifted) - 0x3F000000u);
    }
    std::uint32_t mant_odd = (absu >> 13) & 1u;
    std::uint32_t v = absu + (static_cast<std::uint32_t>(15 - 127) << 23) + 0xFFFu + mant_odd;
    return sign | static_cast<std::uint16_t>(v >> 13);
}

// ---------------------------------------------------------------- reader

struct SafetensorsFile::Impl {
    std::string path;
    const std::byte *map = nullptr;
    std::size_t mapSize = 0;
    const std::byte *data = nullptr; // start of the data area
    std::uint64_t dataSize = 0;
    std::map<std::string, SafetensorsTensorInfo> tensors;
    std::map<std::string, std::string> metadata;

    ~Impl()
    {
        if (map)
            ::munmap(const_cast<std::byte *>(map), mapSize);
    }

    [[noreturn]] void fail(ErrorCode code, const std::string &subject, const std::string &problem) const
    {
        throw Error(code, path, subject, problem);
    }

    void parseHeader(const char *json, std::size_t length);
    SafetensorsTensorInfo parseEntry(const std::string &name, const QJsonValue &value) const;
    void checkOverlaps() const;
};

SafetensorsTensorInfo SafetensorsFile::Impl::parseEntry(const std::string &name, const QJsonValue &value) const
{
    const std::string subject = tensorSubject(name);
    if (!value.isObject())
        fail(ErrorCode::MalformedHeader, subject, "header entry is not a JSON object");
    const QJsonObject o = value.toObject();
    SafetensorsTensorInfo info;

    const QJsonValue dtype = o.value(QStringLiteral("dtype"));
    if (!dtype.isString())
        fail(ErrorCode::MalformedHeader, subject, "missing or non-string \"dtype\"");
    const std::string dtypeName = dtype.toString().toStdString();
    const auto known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                    [&](const DtypeEntry &e) { return dtypeName == e.name; });
    if (known == std::end(kDtypes))
        fail(ErrorCode::UnknownDtype, subject, "unknown dtype \"" + dtypeName.substr(0, 32) + "\"");
    info.dtype = known->dtype;

    const QJsonValue shape = o.value(QStringLiteral("shape"));
    if (!shape.isArray())
        fail(ErrorCode::MalformedHeader, subject, "missing or non-array \"shape\"");
    std::uint64_t elements = 1;
    bool overflow = false;
    for (const QJsonValue &dim : shape.toArray()) {
        const qint64 n = dim.toInteger(-1);
        if (!dim.isDouble() || n < 0)
            fail(ErrorCode::MalformedHeader, subject, "shape entries must be non-negative integers");
        info.shape.push_back(n);
        overflow |= __builtin_mul_overflow(elements, static_cast<std::uint64_t>(n), &elements);
    }

    const QJsonValue offsets = o.value(QStringLiteral("data_offsets"));
    const QJsonArray off = offsets.toArray();
    if (!offsets.isArray() || off.size() != 2)
        fail(ErrorCode::MalformedHeader, subject, "\"data_offsets\" must be an array of two integers");
    const qint64 begin = off.at(0).toInteger(-1);
    const qint64 end = off.at(1).toInteger(-1);
    if (!off.at(0).isDouble() || !off.at(1).isDouble() || begin < 0 || end < 0)
        fail(ErrorCode::MalformedHeader, subject, "\"data_offsets\" must be non-negative integers");
    if (begin > end)
        fail(ErrorCode::OffsetOutOfRange, subject,
             "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] end before they begin");
    if (static_cast<std::uint64_t>(end) > dataSize)
        fail(ErrorCode::OffsetOutOfRange, subject,
             "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] reach past the "
                 + std::to_string(dataSize) + "-byte data area");
    info.begin = static_cast<std::uint64_t>(begin);
    info.end = static_cast<std::uint64_t>(end);

    std::uint64_t bytes = 0;
    overflow |= __builtin_mul_overflow(elements, static_cast<std::uint64_t>(known->size), &bytes);
    if (overflow || bytes != info.end - info.begin)
        fail(ErrorCode::SizeMismatch, subject,
             "shape " + shapeString(info.shape) + " of " + known->name + " needs "
                 + (overflow ? std::string("more than 2^64") : std::to_string(bytes)) + " bytes but data_offsets span "
                 + std::to_string(info.end - info.begin));
    return info;
}

void SafetensorsFile::Impl::parseHeader(const char *json, std::size_t length)
{
    QJsonParseError err{};
    const QJsonDocument doc
        = QJsonDocument::fromJson(QByteArray::fromRawData(json, static_cast<qsizetype>(length)), &err);
    if (err.error != QJsonParseError::NoError)
        fail(ErrorCode::MalformedHeader, {},
             "header is not valid JSON (" + err.errorString().toStdString() + " at byte " + std::to_string(err.offset)
                 + ")");
    if (!doc.isObject())
        fail(ErrorCode::MalformedHeader, {}, "header is not a JSON object");
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string name = it.key().toStdString();
        if (name == "__metadata__") {
            if (!it.value().isObject())
                fail(ErrorCode::MalformedHeader, "__metadata__", "must be a JSON object of strings");
            const QJsonObject meta = it.value().toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m) {
                if (!m.value().isString())
                    fail(ErrorCode::MalformedHeader, "__metadata__", "value of '" + m.key().toStdString() + "' is not a string");
                metadata[m.key().toStdString()] = m.value().toString().toStdString();
            }
            continue;
        }
        tensors.emplace(name, parseEntry(name, it.value()));
    }
    checkOverlaps();
}

void SafetensorsFile::Impl::checkOverlaps() const
{
    std::vector<std::pair<const std::string *, const SafetensorsTensorInfo *>> byOffset;
    for (const auto &[name, info] : tensors)
        if (info.end > info.begin) // empty tensors occupy no bytes
            byOffset.emplace_back(&name, &info);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const auto &a, const auto &b) { return a.second->begin < b.second->begin; });
    for (std::size_t i = 1; i < byOffset.size(); ++i) {
        const auto &prev = byOffset[i - 1];
        const auto &cur = byOffset[i];
        if (cur.second->begin < prev.second->end)
            fail(ErrorCode::OverlappingTensors, tensorSubject(*cur.first),
                 "bytes [" + std::to_string(cur.second->begin) + ", " + std::to_string(cur.second->end)
                     + ") overlap tensor '" + *prev.first + "' [" + std::to_string(prev.second->begin) + ", "
                     + std::to_string(prev.second->end) + ")");
    }
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
SafetensorsFile::SafetensorsFile(SafetensorsFile &&) noexcept = default;
SafetensorsFile &SafetensorsFile::operator=(SafetensorsFile &&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path &path)
{
    auto impl = std::make_unique<Impl>();
    impl->path = path.string();

    if (const std::string kind = nonRegularKind(path); !kind.empty()) // before open(): a FIFO blocks it
        impl->fail(ErrorCode::FileUnreadable, {}, "is " + kind + ", not a regular file; only regular files are read");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        impl->fail(e == ENOENT ? ErrorCode::FileNotFound : ErrorCode::FileUnreadable, {}, std::strerror(e));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        impl->fail(ErrorCode::FileUnreadable, {}, "not a regular file");
    }
    const auto fileSize = static_cast<std::uint64_t>(st.st_size);
    if (fileSize < 8) {
        ::close(fd);
        impl->fail(ErrorCode::TruncatedFile, {},
                   "file is " + std::to_string(fileSize) + " bytes, too short for the 8-byte header length");
    }
    void *m = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mapErrno = errno;
    ::close(fd);
    if (m == MAP_FAILED)
        impl->fail(ErrorCode::FileUnreadable, {}, std::string("cannot map file: ") + std::strerror(mapErrno));
    impl->map = static_cast<const std::byte *>(m);
    impl->mapSize = fileSize;

    std::uint64_t headerLength = 0;
    std::memcpy(&headerLength, impl->map, 8);
    if (headerLength > fileSize - 8)
        impl->fail(ErrorCode::HeaderOutOfBounds, {},
                   "header length " + std::to_string(headerLength) + " is larger than the rest of the file ("
                       + std::to_string(fileSize - 8) + " bytes): truncated or not a safetensors file");
    if (headerLength > kMaxHeaderBytes)
        impl->fail(ErrorCode::HeaderOutOfBounds, {},
                   "header length " + std::to_string(headerLength) + " exceeds the 100 MB limit");
    impl->data = impl->map + 8 + headerLength;
    impl->dataSize = fileSize - 8 - headerLength;
    impl->parseHeader(reinterpret_cast<const char *>(impl->map + 8), headerLength);
    return SafetensorsFile(std::move(impl));
}

const std::string &SafetensorsFile::path() const
{
    return d->path;
}

std::vector<std::string> SafetensorsFile::tensorNames() const
{
    std::vector<std::string> names;
    for (const auto &kv : d->tensors)
        names.push_back(kv.first);
    return names;
}

bool SafetensorsFile::contains(const std::string &name) const
{
    return d->tensors.count(name) != 0;
}

const SafetensorsTensorInfo &SafetensorsFile::info(const std::string &name) const
{
    const auto it = d->tensors.find(name);
    if (it == d->tensors.end())
        d->fail(ErrorCode::MissingTensor, tensorSubject(name), "tensor is missing from the checkpoint");
    return it->second;
}

const std::map<std::string, std::string> &SafetensorsFile::metadata() const
{
    return d->metadata;
}

void SafetensorsFile::requireShape(const std::string &name, const std::vector<std::int64_t> &shape) const
{
    const auto &i = info(name);
    if (i.shape != shape)
        d->fail(ErrorCode::WrongShape, tensorSubject(name),
                "shape is " + shapeString(i.shape) + " but the config needs " + shapeString(shape));
}

std::span<const std::byte> SafetensorsFile::bytes(const std::string &name) const
{
    const auto &i = info(name);
    return {d->data + i.begin, static_cast<std::size_t>(i.end - i.begin)};
}

void SafetensorsFile::readFloat32(const std::string &name, std::span<float> out) const
{
    const auto &i = info(name);
    const auto n = static_cast<std::size_t>(i.elementCount());
    if (out.size() != n)
        throwInternalError(__func__, __FILE__, __LINE__,
                           "buffer of " + std::to_string(out.size()) + " floats for " + std::to_string(n) + " elements");
    const std::byte *src = d->data + i.begin;
    switch (i.dtype) {
    case SafetensorsDtype::F32:
        if (n != 0) // an empty tensor's `out` may be null, which memcpy must not be given (found by fuzzing)
            std::memcpy(out.data(), src, n * 4);
        return;
    case SafetensorsDtype::F64:
        for (std::size_t k = 0; k < n; ++k) {
            double v;
            std::memcpy(&v, src + 8 * k, 8);
            out[k] = static_cast<float>(v);
        }
        return;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16: {
        const bool bf = i.dtype == SafetensorsDtype::BF16;
        for (std::size_t k = 0; k < n; ++k) {
            std::uint16_t v;
            std::memcpy(&v, src + 2 * k, 2);
            out[k] = bf ? bfloat16ToFloat(v) : halfToFloat(v);
        }
        return;
    }
    default:
        d->fail(ErrorCode::UnsupportedDtype, tensorSubject(name),
                std::string("dtype ") + safetensorsDtypeName(i.dtype) + " cannot be read as float weights");
    }
}

std::vector<float> SafetensorsFile::readFloat32(const std::string &name) const
{
    std::vector<float> out(static_cast<std::size_t>(info(name).elementCount()));
    readFloat32(name, out);
    return out;
}

// ---------------------------------------------------------------- writer

void SafetensorsWriter::add(const std::string &name, std::vector<std::int64_t> shape, std::span<const float> values,
                            SafetensorsDtype storeAs)
{
    std::int64_t n = 1;
    for (auto s : shape)
        n *= s;
    LOOKALIKE_CHECK(static_cast<std::size_t>(n) == values.size(), "tensor " + name + ": shape and value count differ");
    Entry e{std::move(shape), storeAs, {}};
    switch (storeAs) {
    case SafetensorsDtype::F32:
        e.bytes.resize(values.size() * 4);
        std::memcpy(e.bytes.data(), values.data(), e.bytes.size());
        break;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16:
        e.bytes.resize(values.size() * 2);
        for (std::size_t k = 0; k < values.size(); ++k) {
            const std::uint16_t v
                = storeAs == SafetensorsDtype::F16 ? floatToHalf(values[k]) : floatToBfloat16(values[k]);
            std::memcpy(e.bytes.data() + 2 * k, &v, 2);
        }
        break;
    default:
        throw Error(ErrorCode::UnsupportedDtype, {}, name,
                    std::string("cannot write dtype ") + safetensorsDtypeName(storeAs));
    }
    m_entries[name] = std::move(e);
}

void SafetensorsWriter::setMetadata(const std::string &key, const std::string &value)
{
    m_metadata[key] = value;
}

void SafetensorsWriter::write(const std::filesystem::path &path) const
{
    QJsonObject header;
    if (!m_metadata.empty()) {
        QJsonObject meta;
        for (const auto &[k, v] : m_metadata)
            meta.insert(QString::fromStdString(k), QString::fromStdString(v));
        header.insert(QStringLiteral("__metadata__"), meta);
    }
    std::uint64_t offset = 0;
    for (const auto &[name, e] : m_entries) {
        QJsonArray shape;
        for (auto s : e.shape)
            shape.append(static_cast<qint64>(s));
        QJsonObject t;
        t.insert(QStringLiteral("dtype"), QLatin1String(safetensorsDtypeName(e.dtype)));
        t.insert(QStringLiteral("shape"), shape);
        t.insert(QStringLiteral("data_offsets"),
                 QJsonArray{static_cast<qint64>(offset), static_cast<qint64>(offset + e.bytes.size())});
        header.insert(QString::fromStdString(name), t);
        offset += e.bytes.size();
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while ((json.size() + 8) % 8 != 0)
        json.append(' '); // pad so the data area starts 8-byte aligned
    const std::uint64_t headerLength = static_cast<std::uint64_t>(json.size());

    const std::filesystem::path tmp = path.string() + ".partial";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(&headerLength), 8);
        out.write(json.constData(), json.size());
        for (const auto &kv : m_entries)
            out.write(reinterpret_cast<const char *>(kv.second.bytes.data()),
                      static_cast<std::streamsize>(kv.second.bytes.size()));
        out.flush();
        if (!out)
            throw Error(ErrorCode::FileUnreadable, path.string(), "cannot write file");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec); // atomic: a reader never sees half a file
    if (ec)
        throw Error(ErrorCode::FileUnreadable, path.string(), "cannot write file: " + ec.message());
}

} // namespace lookalike
