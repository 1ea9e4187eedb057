// Writing a file all or nothing: the index files and their codes are written to a temporary
// file beside the target, flushed to disk, then renamed over it, so a crash or a full disk
// never leaves a half-written index where a good one was.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

namespace lookalike {

// `write` fills the temporary file (throwing std::exception with the reason on failure); it is
// then fsynced and renamed over `path`, and the folder fsynced. On any failure the temporary
// is removed and Error(FileUnreadable) names `path`: "cannot write <what>: <reason>".
void writeFileAtomically(const std::filesystem::path &path, const std::string &what,
                         const std::function<void(std::FILE *)> &write);

} // namespace lookalike
