// Reading /proc/stat and this process's rusage for FreeCores.
#include "core/util/FreeCores.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace lookalike {

int freeCoresFor(int cores, double othersBusy)
{
    cores = std::max(1, cores);
    if (!std::isfinite(othersBusy) || othersBusy < 0)
        othersBusy = 0;
    const int taken = static_cast<int>(std::floor(othersBusy + 0.5));
    return std::clamp(cores - taken, 1, cores);
}

FreeCores::FreeCores(int cores)
    : m_cores(std::max(1, cores))
    , m_last(sample())
    , m_free(m_cores)
{
}

FreeCores::Sample FreeCores::sample()
{
    Sample s;
    s.at = std::chrono::steady_clock::now();
    std::ifstream stat("/proc/stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind("cpu ", 0) != 0)
        return s;
    // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    std::istringstream fields(line.substr(4));
    double total = 0, idle = 0, v = 0;
    for (int i = 0; fields >> v; ++i) {
        if (i >= 8)
            break; // guest time is already counted in user
        total += v;
        if (i == 3 || i == 4)
            idle += v;
    }
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    rusage usage{};
    if (tick <= 0 || getrusage(RUSAGE_SELF, &usage) != 0)
        return s;
    s.busySeconds = (total - idle) / tick;
    s.ownSeconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    s.valid = true;
    return s;
}

int FreeCores::now(std::chrono::milliseconds minInterval)
{
    const std::lock_guard lock(m_mutex);
    if (std::chrono::steady_clock::now() - m_last.at < minInterval)
        return m_free;
    const Sample s = sample();
    if (!s.valid || !m_last.valid) {
        m_last = s;
        return m_free = m_cores;
    }
    const double elapsed = std::chrono::duration<double>(s.at - m_last.at).count();
    const double others = ((s.busySeconds - m_last.busySeconds) - (s.ownSeconds - m_last.ownSeconds)) / elapsed;
    m_last = s;
    return m_free = freeCoresFor(m_cores, others);
}

} // namespace lookalike
