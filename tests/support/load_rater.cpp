// One rater of the load test (tests/tst_load.cpp, bench): grades COUNT (query, candidate)
// pairs of PROJECT as RATER, one grade() call each, and prints "ack <event id> <latency µs>
// <ms since the epoch>" only after grade() has returned, so every printed id is an acknowledged
// judgment. "ready <ms>" comes first (the project is open), "done <retries>" last: a grade refused
// with DatabaseLocked (nothing written) is retried and counted.
//   load_rater PROJECT RATER COUNT SEED
#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>

#include <cstdio>
#include <vector>

using namespace lookalike;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 5) {
        std::fprintf(stderr, "usage: load_rater PROJECT RATER COUNT SEED\n");
        return 2;
    }
    try {
        Project project = Project::open(argv[1]);
        JudgmentStore store(project);
        const std::string rater = argv[2];
        const long count = std::atol(argv[3]);
        const long seed = std::atol(argv[4]);
        std::vector<std::int64_t> items;
        for (const auto &[id, category] : project.itemCategories())
            items.push_back(id);
        const auto n = static_cast<long>(items.size());
        long retries = 0;
        std::printf("ready %lld\n", static_cast<long long>(QDateTime::currentMSecsSinceEpoch()));
        for (long i = 0; i < count; ++i) {
            const std::int64_t query = items[static_cast<std::size_t>((seed * 7 + i) % n)];
            const std::int64_t candidate = items[static_cast<std::size_t>((seed * 13 + i * 5 + i / n) % n)];
            for (;;) {
                QElapsedTimer timer;
                timer.start();
                try {
                    const JudgmentEvent e = store.grade(query, candidate, rater, static_cast<int>(i % 4));
                    std::printf("ack %lld %lld %lld\n", static_cast<long long>(e.id),
                                static_cast<long long>(timer.nsecsElapsed() / 1000),
                                static_cast<long long>(QDateTime::currentMSecsSinceEpoch()));
                    std::fflush(stdout);
                    break;
                } catch (const Error &e) {
                    if (e.code() != ErrorCode::DatabaseLocked)
                        throw;
                    ++retries;
                }
            }
        }
        std::printf("done %ld\n", retries);
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "load_rater: %s\n", e.what());
        return 1;
    }
}
