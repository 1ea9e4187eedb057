// How many cores other processes have left free lately, for choosing how many threads one
// forward pass gets (#14). Intra-op threads meet at a barrier after every product; when another
// process holds a core, the thread waiting for it stalls the others (a busy neighbour cut
// batch-1 throughput to a fifth). One thread fewer then runs faster than two.
//
// The measure: every core's busy time from /proc/stat minus this process's own CPU time
// (getrusage), over the interval since the previous look. Plain C++, no LibTorch.
#pragma once

#include <chrono>
#include <mutex>

namespace lookalike {

// The decision alone, for tests: `othersBusy` cores' worth of time used by other processes over
// the interval (0 .. cores). A neighbour using at least half a core takes one core away.
// Never below 1.
int freeCoresFor(int cores, double othersBusy);

class FreeCores {
public:
    explicit FreeCores(int cores); // cores: the most threads ever returned (>= 1)

    // The cores to use now. Looks again when at least `minInterval` has passed since the last
    // look, else returns the previous answer. Every core when /proc/stat cannot be read.
    int now(std::chrono::milliseconds minInterval = std::chrono::milliseconds(200));

private:
    struct Sample {
        double busySeconds = 0; // every core, every process
        double ownSeconds = 0;  // this process, user + system
        std::chrono::steady_clock::time_point at;
        bool valid = false;
    };
    static Sample sample();

    const int m_cores;
    std::mutex m_mutex;
    Sample m_last;
    int m_free;
};

} // namespace lookalike
