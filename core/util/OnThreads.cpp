// onThreads (see OnThreads.h).
#include "core/util/OnThreads.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace lookalike {

void onThreads(int threads, const std::function<void(const std::atomic<bool> &failed)> &work)
{
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto run = [&] {
        try {
            work(failed);
        } catch (...) {
            const std::lock_guard lock(errorMutex);
            if (!error)
                error = std::current_exception();
            failed = true;
        }
    };
    std::vector<std::thread> others;
    for (int t = 1; t < threads; ++t)
        others.emplace_back(run);
    run();
    for (std::thread &t : others)
        t.join();
    if (error)
        std::rethrow_exception(error);
}

} // namespace lookalike
