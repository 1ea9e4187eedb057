// Live metric updates at scale: a project of 10,000 queries x 2 model versions x 10 frozen
// candidates (precomputed embeddings, so no model runs), partly judged; then the time of one
// rater's grade (committed write) and of the metric update after it (EvaluationEngine::
// refreshQuery: only the graded query is recomputed), against a full recomputation.
//
//   bench_live [--queries N] [--grades G] [--keep DIR]
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

using namespace lookalike;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// `count` items whose images are one shared 1x1 PPM (the catalog import checks images exist).
void writeCatalog(const fs::path &dir, int count)
{
    fs::create_directories(dir);
    {
        std::ofstream ppm(dir / "pixel.ppm", std::ios::binary);
        ppm << "P6\n1 1\n255\n" << '\x80' << '\x80' << '\x80';
    }
    std::ofstream csv(dir / "catalog.csv");
    csv << "id,image,title,category\n";
    for (int i = 0; i < count; ++i)
        csv << "item-" << i << ",pixel.ppm,product " << i << ",cat-" << (i % 12) << "\n";
    std::ofstream ids(dir / "ids.txt");
    for (int i = 0; i < count; ++i)
        ids << "item-" << i << "\n";
}

} // namespace

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
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("lookalike-bench-live-" + std::to_string(::getpid())) : keep;
    fs::remove_all(dir);
    const int items = queries * 2; // the queries and as many other items
    try {
        auto t0 = Clock::now();
        writeCatalog(dir, items);
        Project project = Project::create(dir / "project");
        project.importCatalog(dir / "catalog.csv", {});
        std::mt19937 rng(1);
        std::normal_distribution<float> normal;
        std::vector<ModelVersion> versions;
        for (const char *name : {"baseline", "finetuned"}) {
            FloatMatrix m(items, 16);
            for (float &v : m.data)
                v = normal(rng);
            const fs::path npy = dir / (std::string(name) + ".npy");
            writeNpyMatrix(npy, m);
            ModelVersion v;
            v.name = name;
            v.kind = ModelKind::Precomputed;
            v.source = npy;
            v.fingerprint = sha256OfFile(npy);
            v.dimension = 16;
            v = registerModelVersion(project, v);
            importPrecomputedEmbeddings(project, v, npy, dir / "ids.txt");
            buildNeighbourIndex(project, v, {}, false);
            versions.push_back(v);
        }
        std::vector<std::int64_t> queryIds;
        for (int i = 0; i < queries; ++i)
            queryIds.push_back(project.requireItem("item-" + std::to_string(i)).id);
        project.addQueries(queryIds, "bench");
        for (const ModelVersion &v : versions)
            freezeResultLists(project, v, 10, false, false);
        std::printf("setup: %d items, %d queries x %zu models x 10 candidates in %.1f s\n", items, queries,
                    versions.size(), msSince(t0) / 1000.0);

        // Judge the top 5 of both lists for half of the queries, in one bulk import (as a
        // project midway through a campaign), so the means are over 5,000 queries.
        t0 = Clock::now();
        std::vector<GradeToImport> bulk;
        for (int i = 0; i < queries; i += 2)
            for (const ModelVersion &v : versions)
                for (const ResultEntry &e : frozenResultList(project, v, queryIds[static_cast<std::size_t>(i)]))
                    if (e.rank <= 5)
                        bulk.push_back({queryIds[static_cast<std::size_t>(i)], e.candidateItemId, static_cast<int>(rng() % 4)});
        JudgmentStore store(project);
        store.importGrades(bulk, "seed");
        std::printf("bulk import: %zu grades in %.1f s\n", bulk.size(), msSince(t0) / 1000.0);

        t0 = Clock::now();
        EvaluationEngine engine(project);
        const double load = msSince(t0);
        std::printf("full evaluation (load lists and grades, compute everything): %.0f ms; %zu queries in the mean\n", load,
                    engine.metrics(versions[0].id).perQuery.size());

        std::vector<double> write, update;
        for (int g = 0; g < grades; ++g) {
            const std::int64_t q = queryIds[rng() % queryIds.size()];
            const auto list = frozenResultList(project, versions[rng() % 2], q);
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
        std::printf("  write (own committed transaction)   p50 %.2f ms  p99 %.2f ms\n", percentile(write, 0.5), percentile(write, 0.99));
        std::printf("  metric update (refreshQuery)        p50 %.2f ms  p99 %.2f ms\n", percentile(update, 0.5), percentile(update, 0.99));
        std::printf("  full recomputation (refreshAll)     %.0f ms\n", full);
        std::printf("nDCG@5 %s %.4f, %s %.4f\n", versions[0].name.c_str(), engine.metrics(versions[0].id).mean.ndcg5,
                    versions[1].name.c_str(), engine.metrics(versions[1].id).mean.ndcg5);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_live: %s\n", e.what());
        return 1;
    }
    if (keep.empty())
        fs::remove_all(dir);
    return 0;
}
