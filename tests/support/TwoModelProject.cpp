// The two-model evaluation project of the tests.
#include "support/TwoModelProject.h"

#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <random>

namespace testsupport {

using namespace lookalike;
namespace fs = std::filesystem;

TwoModelProject makeTwoModelProject(unsigned seed)
{
    TwoModelProject f;
    const auto catalog = makeTestCatalog({});
    f.folder = scratchDir(QStringLiteral("eval")) + QStringLiteral("/p");
    f.project.emplace(Project::create(f.folder.toStdString()));
    f.project->importCatalog(catalog.manifest.toStdString(), {});
    useTestJudgmentBackend(*f.project); // PostgreSQL when the test is registered for it
    QString ids;
    for (const std::string &id : catalog.ids)
        ids += QString::fromStdString(id) + QLatin1Char('\n');
    const QString idsFile = writeScratchFile(QStringLiteral("eval-ids.txt"), ids.toUtf8());
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    for (const char *name : {"model-a", "model-b"}) {
        FloatMatrix m(static_cast<std::int64_t>(catalog.ids.size()), 8);
        for (float &v : m.data)
            v = normal(rng);
        const fs::path npy = (scratchDir(QStringLiteral("npy")) + QStringLiteral("/v.npy")).toStdString();
        writeNpyMatrix(npy, m);
        const ModelVersion v = registerModelVersion(*f.project, precomputedVersion(name, npy, idsFile.toStdString()));
        importPrecomputedEmbeddings(*f.project, v, npy, idsFile.toStdString());
        buildNeighbourIndex(*f.project, v, {}, false);
        f.versions.push_back(v);
    }
    for (const char *q : {"red-0", "red-1", "red-2", "green-0", "green-1", "blue-0", "blue-1", "blue-2"})
        f.queries.push_back(f.project->findItem(q)->id);
    f.project->addQueries(f.queries, "test");
    for (const ModelVersion &v : f.versions)
        freezeResultLists(*f.project, v, 10, false, false);
    return f;
}

} // namespace testsupport
