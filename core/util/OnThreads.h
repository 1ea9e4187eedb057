// Runs one piece of work on several threads at once, the calling thread being one of them,
// and brings the first exception any of them threw back to the caller once all have stopped.
// The work takes its own share (an atomic counter, say) and should stop early when `failed`
// turns true: another thread has thrown and its result will not be used.
// Used by SiglipModel's lanes and the judging planner's first evaluation.
#pragma once

#include <atomic>
#include <functional>

namespace lookalike {

void onThreads(int threads, const std::function<void(const std::atomic<bool> &failed)> &work);

} // namespace lookalike
