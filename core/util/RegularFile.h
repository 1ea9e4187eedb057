// Reading only regular files, and only up to a stated size. A FIFO blocks open() for ever, a
// device such as /dev/zero never ends (an image linked to it once grew a process to 16.9 GB),
// a folder is not a file. Every reader of a user-supplied path calls requireRegularFile()
// before it opens anything: stat() does not block on a FIFO, open() does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace lookalike {

// The most each kind of file is read up to (README, "Formats", lists them).
struct FileLimit {
    const char *what;      // "a catalog manifest", for the message
    std::uint64_t maxBytes;
};
inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
inline constexpr FileLimit kJsonSettingsLimit{"a JSON settings file", 64 * kMiB};
inline constexpr FileLimit kTokenizerLimit{"a tokenizer file", 1 * kGiB};
inline constexpr FileLimit kImageLimit{"an image", 256 * kMiB};
inline constexpr FileLimit kManifestLimit{"a catalog manifest", 16 * kGiB};
inline constexpr FileLimit kTrecFileLimit{"a TREC file", 16 * kGiB};
inline constexpr FileLimit kIdListLimit{"a list of ids", 4 * kGiB};
inline constexpr FileLimit kWeightsLimit{"a weights file", 1024 * kGiB}; // memory-mapped or hashed, never held whole
inline constexpr FileLimit kEmbeddingsLimit{"an embeddings file", 1024 * kGiB};

// The file's size, if `path` (after symbolic links) is a regular file of at most
// limit.maxBytes. Otherwise throws Error naming the file: FileNotFound, or FileUnreadable with
// what it is instead ("a FIFO (named pipe)", "a character device", "a folder", ...) or how large.
std::uint64_t requireRegularFile(const std::filesystem::path &path, const FileLimit &limit);

// "a FIFO (named pipe)", "a folder", ... for a path that exists and is not a regular file;
// empty for a regular file or a path that cannot be inspected.
std::string nonRegularKind(const std::filesystem::path &path);

// The whole file, after requireRegularFile(path, limit). Throws FileUnreadable naming the file
// for a read error.
std::string readRegularFile(const std::filesystem::path &path, const FileLimit &limit);

} // namespace lookalike
