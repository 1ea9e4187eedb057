// A memory-mapped, validated .safetensors file (https://github.com/huggingface/safetensors).
// Everything in the header is checked when the file is opened: header length within the
// file, well-formed JSON, known dtypes, offsets inside the data area, no overlaps, byte
// size = product(shape) x dtype size. After open() no read can leave the mapping.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lookalike {

enum class SafetensorsDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8E4M3, F8E5M2 };

const char *safetensorsDtypeName(SafetensorsDtype dtype);
std::size_t safetensorsDtypeSize(SafetensorsDtype dtype);

struct SafetensorsTensorInfo {
    SafetensorsDtype dtype = SafetensorsDtype::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; // byte offsets into the data area
    std::uint64_t end = 0;

    std::int64_t elementCount() const;
};

class SafetensorsFile {
public:
    // Maps and validates the file; throws lookalike::Error naming the file (and tensor).
    static SafetensorsFile open(const std::filesystem::path &path);

    SafetensorsFile(SafetensorsFile &&) noexcept;
    SafetensorsFile &operator=(SafetensorsFile &&) noexcept;
    ~SafetensorsFile();

    const std::string &path() const;
    std::vector<std::string> tensorNames() const; // sorted
    bool contains(const std::string &name) const;
    const SafetensorsTensorInfo &info(const std::string &name) const; // throws MissingTensor
    const std::map<std::string, std::string> &metadata() const;

    // Throws MissingTensor or WrongShape (naming file and tensor) unless `name` has `shape`.
    void requireShape(const std::string &name, const std::vector<std::int64_t> &shape) const;

    // Raw little-endian bytes of a tensor, inside the mapping.
    std::span<const std::byte> bytes(const std::string &name) const;

    // Copies a floating-point tensor into `out` (elementCount() floats), upcasting
    // F16/BF16 and narrowing F64. Integer dtypes throw UnsupportedDtype.
    void readFloat32(const std::string &name, std::span<float> out) const;
    std::vector<float> readFloat32(const std::string &name) const;

private:
    struct Impl;
    explicit SafetensorsFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// Writes a .safetensors file (tensors sorted by name, data 8-byte aligned, like the
// reference implementation). Float32 input; stored as F32, F16 or BF16 (round to nearest even).
class SafetensorsWriter {
public:
    void add(const std::string &name, std::vector<std::int64_t> shape, std::span<const float> values,
             SafetensorsDtype storeAs = SafetensorsDtype::F32);
    void setMetadata(const std::string &key, const std::string &value);
    void write(const std::filesystem::path &path) const; // throws FileUnreadable on I/O failure

private:
    struct Entry {
        std::vector<std::int64_t> shape;
        SafetensorsDtype dtype;
        std::vector<std::byte> bytes;
    };
    std::map<std::string, Entry> m_entries;
    std::map<std::string, std::string> m_metadata;
};

// Half-precision conversions (IEEE binary16 and bfloat16), exposed for tests.
float halfToFloat(std::uint16_t h);
float bfloat16ToFloat(std::uint16_t b);
std::uint16_t floatToHalf(float f);
std::uint16_t floatToBfloat16(float f);

} // namespace lookalike
