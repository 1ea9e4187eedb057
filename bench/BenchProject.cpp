// The benchmarks' generated evaluation project.
#include "BenchProject.h"

#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

namespace lookalike::bench {

namespace fs = std::filesystem;

namespace {

constexpr int kImages = 48; // distinct images, shared round-robin by the items

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void writeCatalog(const fs::path &dir, int count)
{
    fs::create_directories(dir / "images");
    for (int i = 0; i < kImages; ++i) {
        std::ofstream ppm(dir / "images" / ("img-" + std::to_string(i) + ".ppm"), std::ios::binary);
        ppm << "P6\n64 64\n255\n";
        for (int p = 0; p < 64 * 64; ++p)
            ppm << static_cast<char>((i * 37 + p / 64) % 256) << static_cast<char>((i * 91) % 256)
                << static_cast<char>((p % 64) * 4);
    }
    std::ofstream csv(dir / "catalog.csv");
    csv << "id,image,title,category\n";
    for (int i = 0; i < count; ++i)
        csv << "item-" << i << ",images/img-" << (i % kImages) << ".ppm,product " << i << ",cat-" << (i % 12) << "\n";
    std::ofstream ids(dir / "ids.txt");
    for (int i = 0; i < count; ++i)
        ids << "item-" << i << "\n";
}

} // namespace

BenchProject makeBenchProject(const fs::path &dir, int queries)
{
    fs::remove_all(dir);
    const auto t0 = std::chrono::steady_clock::now();
    const int items = queries * 2; // the queries and as many other items
    writeCatalog(dir, items);
    BenchProject b;
    b.folder = dir / "project";
    b.project = std::make_unique<Project>(Project::create(b.folder));
    Project &project = *b.project;
    project.importCatalog(dir / "catalog.csv", {});
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    for (const char *name : {"baseline", "finetuned"}) {
        FloatMatrix m(items, 16);
        for (float &v : m.data)
            v = normal(rng);
        const fs::path npy = dir / (std::string(name) + ".npy");
        writeNpyMatrix(npy, m);
        const ModelVersion v = registerModelVersion(project, precomputedVersion(name, npy, dir / "ids.txt"));
        importPrecomputedEmbeddings(project, v, npy, dir / "ids.txt");
        buildNeighbourIndex(project, v, {}, false);
        b.versions.push_back(v);
    }
    for (int i = 0; i < queries; ++i)
        b.queries.push_back(project.requireItem("item-" + std::to_string(i)).id);
    project.addQueries(b.queries, "bench");
    for (const ModelVersion &v : b.versions)
        freezeResultLists(project, v, 10, false, false);
    std::printf("setup: %d items, %d queries x %zu models x 10 candidates in %.1f s\n", items, queries,
        b.versions.size(), secondsSince(t0));

    const auto t1 = std::chrono::steady_clock::now();
    std::vector<GradeToImport> bulk;
    for (int i = 0; i < queries; i += 2)
        for (const ModelVersion &v : b.versions)
            for (const ResultEntry &e : frozenResultList(project, v, b.queries[static_cast<std::size_t>(i)]))
                if (e.rank <= 5)
                    bulk.push_back(
                        {b.queries[static_cast<std::size_t>(i)], e.candidateItemId, static_cast<int>(rng() % 4)});
    JudgmentStore(project).importGrades(bulk, "seed");
    std::printf("bulk import: %zu grades in %.1f s\n", bulk.size(), secondsSince(t1));
    return b;
}

} // namespace lookalike::bench
