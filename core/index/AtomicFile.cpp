// writeFileAtomically (see AtomicFile.h).
#include "core/index/AtomicFile.h"

#include "core/Error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lookalike {

void writeFileAtomically(const std::filesystem::path &path, const std::string &what,
                         const std::function<void(std::FILE *)> &write)
{
    static std::atomic<unsigned> counter{0};
    const std::string p = path.string();
    const std::string tmp = p + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    std::FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        throw Error(ErrorCode::FileUnreadable, p, std::string("cannot create file: ") + std::strerror(errno));
    bool ok = false;
    std::string why;
    try {
        write(f);
        ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
        if (!ok)
            why = std::strerror(errno);
    } catch (const std::exception &e) {
        why = e.what();
    }
    if (std::fclose(f) != 0 && ok) {
        ok = false;
        why = std::strerror(errno);
    }
    if (ok && std::rename(tmp.c_str(), p.c_str()) != 0) {
        ok = false;
        why = std::strerror(errno);
    }
    if (!ok) {
        std::remove(tmp.c_str());
        throw Error(ErrorCode::FileUnreadable, p, "cannot write " + what + ": " + why);
    }
    const std::string dir = path.has_parent_path() ? path.parent_path().string() : std::string(".");
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) { // make the rename itself durable
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

} // namespace lookalike
