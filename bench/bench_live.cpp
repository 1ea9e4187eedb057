// Live metric updates at scale: a project of 10,000 queries x 2 model versions x 10 frozen
// candidates (bench/BenchProject.h: precomputed embeddings, half the queries judged), then the
// time of one rater's grade (committed write) and of the metric update after it
// (EvaluationEngine::refreshQuery: only the graded query is recomputed), against a full
// recomputation. Then `import-qrels` of a vendor's qrels with 1,000,000 lines whose document
// ids are not in the catalog (every line is checked and reported, none imported).
//
//   bench_live [--queries N] [--grades G] [--keep DIR]
#include "BenchProject.h"

#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/TrecInterchange.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <unistd.h>

using namespace lookalike;
namespace fs = std::filesystem;
using bench::Clock;
using bench::msSince;
using bench::percentile;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int queries = 10000, grades = 200;
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--queries") && a + 1 < argc)
            queries = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--grades") && a + 1 < argc)
            grades = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(stderr, "usage: bench_live [--queries N] [--grades G] [--keep DIR]\n");
            return 2;
        }
    }
    const fs::path dir
        = keep.empty() ? fs::temp_directory_path() / ("lookalike-bench-live-" + std::to_string(::getpid())) : keep;
    try {
        bench::BenchProject b = bench::makeBenchProject(dir, queries);
        Project &project = *b.project;
        auto t0 = Clock::now();
        EvaluationEngine engine(project);
        std::printf("full evaluation (load lists and grades, compute everything): %.0f ms; %zu queries in the mean\n",
            msSince(t0), engine.metrics(b.versions[0].id).perQuery.size());

        JudgmentStore store(project);
        std::mt19937 rng(2);
        std::vector<double> write, update;
        for (int g = 0; g < grades; ++g) {
            const std::int64_t q = b.queries[rng() % b.queries.size()];
            const auto list = frozenResultList(project, b.versions[rng() % 2], q);
            const std::int64_t candidate = list[rng() % list.size()].candidateItemId;
            auto t = Clock::now();
            store.grade(q, candidate, "rater", static_cast<int>(rng() % 4));
            write.push_back(msSince(t));
            t = Clock::now();
            engine.refreshQuery(q);
            update.push_back(msSince(t));
        }
        t0 = Clock::now();
        engine.refreshAll();
        const double full = msSince(t0);
        std::printf("per grade, %d grades:\n", grades);
        std::printf("  write (own committed transaction)   p50 %.2f ms  p99 %.2f ms\n", percentile(write, 0.5),
            percentile(write, 0.99));
        std::printf("  metric update (refreshQuery)        p50 %.2f ms  p99 %.2f ms\n", percentile(update, 0.5),
            percentile(update, 0.99));
        std::printf("  full recomputation (refreshAll)     %.0f ms\n", full);

        TrecQrels vendor;
        for (int i = 0; i < 1000000; ++i)
            vendor[project.item(b.queries[static_cast<std::size_t>(i) % b.queries.size()]).key]
                  ["unknown-" + std::to_string(i)] = 1;
        t0 = Clock::now();
        const QrelsImportReport imported = importQrels(project, vendor, "vendor", "vendor-qrels.txt", false);
        std::printf("import-qrels, %lld lines with unknown document ids: %.2f s (%zu ids reported)\n",
            static_cast<long long>(imported.lines), msSince(t0) / 1000, imported.unknownCandidateIds.size());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_live: %s\n", e.what());
        return 1;
    }
    if (keep.empty())
        fs::remove_all(dir);
    return 0;
}
