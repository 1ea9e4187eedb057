// stat()-based checks before a file is opened (see RegularFile.h).
#include "core/util/RegularFile.h"

#include "core/Error.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lookalike {

namespace {

const char *kindOf(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

std::string bytesText(std::uint64_t n)
{
    if (n >= kGiB)
        return std::to_string(n / kGiB) + " GiB";
    if (n >= kMiB)
        return std::to_string(n / kMiB) + " MiB";
    return std::to_string(n) + " bytes";
}

} // namespace

std::string nonRegularKind(const std::filesystem::path &path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode))
        return {};
    return kindOf(st.st_mode);
}

std::uint64_t requireRegularFile(const std::filesystem::path &path, const FileLimit &limit)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int e = errno;
        throw Error(e == ENOENT ? ErrorCode::FileNotFound : ErrorCode::FileUnreadable, path.string(),
                    e == ENOENT ? std::string("file not found") : std::string("cannot read: ") + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        throw Error(ErrorCode::FileUnreadable, path.string(),
                    std::string("is ") + kindOf(st.st_mode) + ", not a regular file; only regular files are read");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > limit.maxBytes)
        throw Error(ErrorCode::FileUnreadable, path.string(),
                    "is " + bytesText(size) + "; " + limit.what + " is read up to " + bytesText(limit.maxBytes));
    return size;
}

std::string readRegularFile(const std::filesystem::path &path, const FileLimit &limit)
{
    requireRegularFile(path, limit);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::FileUnreadable, path.string(), "cannot open file");
    std::string data;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        data.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (data.size() > limit.maxBytes) // it grew after the check
            throw Error(ErrorCode::FileUnreadable, path.string(),
                        std::string("grew past the limit while it was read; ") + limit.what + " is read up to "
                            + bytesText(limit.maxBytes));
    }
    if (in.bad())
        throw Error(ErrorCode::FileUnreadable, path.string(), "read error");
    return data;
}

} // namespace lookalike
