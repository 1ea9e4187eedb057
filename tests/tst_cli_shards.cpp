// Sharded embedding end to end through the `lookalike` executable: `index --shard I/N` on two
// copies of a project (imported in different orders, as on two machines), `merge-shards`,
// then `index` gives the frozen lists of an unsharded run; bad shard sets are refused with the
// project unchanged; an `index` that fails at the last moment leaves the index and lists as
// they were; `--shard auto` takes the shard from Slurm's or Kubernetes' job-array variable; shards
// embedded in different precisions are refused.
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <map>

using testsupport::runLookalike;
using namespace lookalike;
namespace fs = std::filesystem;

namespace {

QString tiny()
{
    return testsupport::tinyCheckpointDir();
}


// The catalog's manifest with its rows in reverse order: another machine's import history,
// so that its local item ids differ from the first copy's.
QString reversedManifest(const QString &manifest)
{
    QList<QByteArray> lines = testsupport::readFileBytes(manifest).split('\n');
    while (!lines.isEmpty() && lines.back().isEmpty())
        lines.removeLast();
    QByteArray out = lines.takeFirst() + '\n';
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        out += *it + '\n';
    // Beside the original: image paths in the manifest are relative to it.
    const QString path = QFileInfo(manifest).absolutePath() + QStringLiteral("/reversed.csv");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(out) != out.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

QString newProject(const testsupport::TestCatalog &catalog, const QString &manifest, bool withQueries)
{
    const QString folder = testsupport::scratchDir(QStringLiteral("clishard")) + QStringLiteral("/project");
    const auto init = runLookalike({QStringLiteral("init"), folder, QStringLiteral("--catalog"), manifest});
    if (init.exitCode != 0)
        qFatal("init failed: %s", init.err.constData());
    Q_UNUSED(catalog);
    if (withQueries) {
        const auto q = runLookalike({QStringLiteral("queries"), folder, QStringLiteral("--sample"), QStringLiteral("6"),
                                     QStringLiteral("--seed"), QStringLiteral("3")});
        if (q.exitCode != 0)
            qFatal("queries failed: %s", q.err.constData());
    }
    return folder;
}

testsupport::CliResult indexShard(const QString &project, const QString &spec, const QString &out,
                                  const QString &model = tiny(), const QString &batch = QStringLiteral("4"))
{
    return runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), model, QStringLiteral("--name"),
                         QStringLiteral("tiny"), QStringLiteral("--shard"), spec, QStringLiteral("--out"), out,
                         QStringLiteral("--batch-size"), batch, QStringLiteral("--quiet")});
}

testsupport::CliResult merge(const QString &project, const QStringList &shards)
{
    return runLookalike(QStringList{QStringLiteral("merge-shards"), project, QStringLiteral("--model"), tiny(),
                                    QStringLiteral("--name"), QStringLiteral("tiny"), QStringLiteral("--quiet")}
                        + shards);
}

testsupport::CliResult index(const QString &project, const QStringList &extra = {})
{
    return runLookalike(QStringList{QStringLiteral("index"), project, QStringLiteral("--model"), tiny(),
                                    QStringLiteral("--name"), QStringLiteral("tiny"), QStringLiteral("--depth"),
                                    QStringLiteral("5"), QStringLiteral("--quiet")}
                        + extra);
}

struct Entry {
    std::string candidate;
    float score;
};

// query key -> (candidate key, score) by rank
std::map<std::string, std::vector<Entry>> listsByKey(const QString &folder)
{
    Project project = Project::open(folder.toStdString());
    const ModelVersion version = requireModelVersion(project, "tiny");
    std::map<std::string, std::vector<Entry>> out;
    for (std::int64_t q : project.queryItemIds())
        for (const ResultEntry &e : frozenResultList(project, version, q))
            out[project.item(q).key].push_back({project.item(e.candidateItemId).key, e.score});
    return out;
}

QString otherWeights()
{
    const QString other = testsupport::scratchDir(QStringLiteral("other-model"));
    for (const char *name :
         {"config.json", "preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model"})
        QFile::copy(tiny() + QLatin1Char('/') + QLatin1String(name), other + QLatin1Char('/') + QLatin1String(name));
    QByteArray weights = testsupport::readFileBytes(tiny() + QStringLiteral("/model.safetensors"));
    weights[weights.size() - 1] = static_cast<char>(weights[weights.size() - 1] ^ 1); // one bit of one weight
    QFile::copy(testsupport::writeScratchFile(QStringLiteral("w.safetensors"), weights),
                other + QStringLiteral("/model.safetensors"));
    return other;
}

bool hasVersion(const QString &folder)
{
    Project project = Project::open(folder.toStdString());
    return findModelVersion(project, "tiny").has_value();
}

} // namespace

class TestCliShards : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void shardsGiveTheListsOfAnUnshardedRun();
    void badShardSetsAreRefusedAndTheProjectIsUnchanged();
    void failedIndexLeavesTheProjectUnchanged();
    void autoShardComesFromTheClusterJobArray();
};

void TestCliShards::shardsGiveTheListsOfAnUnshardedRun()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString machineA = newProject(catalog, catalog.manifest, true);
    const QString machineB = newProject(catalog, reversedManifest(catalog.manifest), false);
    const QString unsharded = newProject(catalog, catalog.manifest, true);
    const QString shards = testsupport::scratchDir(QStringLiteral("clishard-out"));
    const QString s0 = shards + QStringLiteral("/tiny-0-of-2"), s1 = shards + QStringLiteral("/tiny-1-of-2");

    const auto first = indexShard(machineA, QStringLiteral("0/2"), s0);
    CHECK_OK(first);
    QVERIFY2(first.out.contains("shard 0/2:") && first.out.contains("of 30 catalog items"), first.out.constData());
    CHECK_OK(indexShard(machineB, QStringLiteral("1/2"), s1, tiny(), QStringLiteral("8")));
    QVERIFY(QFile::exists(s0 + QStringLiteral("/shard.json")) && QFile::exists(s1 + QStringLiteral("/normalized.npy")));
    {
        Project a = Project::open(machineA.toStdString()); // a shard run writes nothing into the project
        QVERIFY(modelVersions(a).empty());
    }

    const auto merged = merge(machineA, {s1, s0});
    CHECK_OK(merged);
    QVERIFY2(merged.out.contains("merged 2 shards") && merged.out.contains("30 embedded, 0 failed"), merged.out.constData());
    const auto indexed = index(machineA);
    CHECK_OK(indexed);
    QVERIFY2(indexed.out.contains("embedded 0 images") && indexed.out.contains("6 frozen at depth 5"),
             indexed.out.constData());
    CHECK_OK(index(unsharded));

    const auto sharded = listsByKey(machineA), whole = listsByKey(unsharded);
    QCOMPARE(sharded.size(), std::size_t(6));
    QCOMPARE(sharded.size(), whole.size());
    for (const auto &[query, list] : whole) {
        const auto &other = sharded.at(query);
        QCOMPARE(other.size(), list.size());
        for (std::size_t r = 0; r < list.size(); ++r) {
            QVERIFY(other[r].candidate == list[r].candidate);
            // Batches of other sizes may round the last bits differently in the model.
            QVERIFY(std::abs(other[r].score - list[r].score) < 1e-5f);
        }
    }
}

void TestCliShards::badShardSetsAreRefusedAndTheProjectIsUnchanged()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject(catalog, catalog.manifest, true);
    const QString shards = testsupport::scratchDir(QStringLiteral("clishard-bad"));
    const QString s0 = shards + QStringLiteral("/s0"), s1 = shards + QStringLiteral("/s1"),
                  foreign = shards + QStringLiteral("/s1-other-model");
    CHECK_OK(indexShard(project, QStringLiteral("0/2"), s0));
    CHECK_OK(indexShard(project, QStringLiteral("1/2"), s1));
    CHECK_OK(indexShard(project, QStringLiteral("1/2"), foreign, otherWeights()));
    const QString s1fp32 = shards + QStringLiteral("/s1-fp32"), s0bf16 = shards + QStringLiteral("/s0-bf16");
    for (const auto &[spec, folder, precision] : {std::tuple{QStringLiteral("1/2"), s1fp32, QStringLiteral("fp32")},
                                                  std::tuple{QStringLiteral("0/2"), s0bf16, QStringLiteral("bf16")}})
        CHECK_OK(runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(), QStringLiteral("--name"),
                               QStringLiteral("tiny"), QStringLiteral("--shard"), spec, QStringLiteral("--out"), folder,
                               QStringLiteral("--precision"), precision, QStringLiteral("--quiet")}));

    struct Case {
        const char *name;
        QStringList shards;
        QString message;
    };
    const std::vector<Case> cases{
        {"other model fingerprint", {s0, foreign}, QStringLiteral("s1-other-model/shard.json: model fingerprint")},
        {"missing shard", {s0}, QStringLiteral("missing shard 1/2")},
        {"duplicate shard", {s0, s0}, QStringLiteral("s0/shard.json: shard 0/2 given twice")},
        {"no such folder", {s0, shards + QStringLiteral("/nope")}, QStringLiteral("no such shard folder")},
        {"mixed precisions", {s0bf16, s1fp32}, QStringLiteral("s1-fp32/shard.json: embedded in fp32, model version 'tiny' in bf16")},
    };
    for (const Case &c : cases) {
        const auto r = merge(project, c.shards);
        QVERIFY2(r.exitCode == 1, c.name);
        QVERIFY2(r.err.contains(c.message.toUtf8()), (std::string(c.name) + ": " + r.err.toStdString()).c_str());
        QVERIFY2(r.err.contains("unchanged"), c.name);
        QVERIFY2(!hasVersion(project), c.name); // not even registered
    }

    const auto exists = indexShard(project, QStringLiteral("0/2"), s0);
    QCOMPARE(exists.exitCode, 1);
    QVERIFY2(exists.err.contains("already exists"), exists.err.constData());
    const auto badSpec = indexShard(project, QStringLiteral("2/2"), shards + QStringLiteral("/x"));
    QCOMPARE(badSpec.exitCode, 1);
    QVERIFY2(badSpec.err.contains("0 <= I < N"), badSpec.err.constData());

    CHECK_OK(merge(project, {s0, s1})); // the good set still merges afterwards
    QVERIFY(hasVersion(project));
}

void TestCliShards::failedIndexLeavesTheProjectUnchanged()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject(catalog, catalog.manifest, true);
    CHECK_OK(index(project));
    const auto before = listsByKey(project);
    std::string file;
    {
        Project p = Project::open(project.toStdString());
        file = recordedIndexFile(p, requireModelVersion(p, "tiny")).value();
    }

    qputenv("LOOKALIKE_TEST_FAIL_BEFORE_COMMIT", "1");
    const auto failed = index(project, {QStringLiteral("--refreeze"), QStringLiteral("--index"), QStringLiteral("hnsw"),
                                        QStringLiteral("--depth"), QStringLiteral("3")});
    qunsetenv("LOOKALIKE_TEST_FAIL_BEFORE_COMMIT");
    QCOMPARE(failed.exitCode, 1);
    QVERIFY2(failed.err.contains("the index and the result lists are unchanged"), failed.err.constData());

    const auto after = listsByKey(project);
    QCOMPARE(after.size(), before.size());
    for (const auto &[query, list] : before) {
        QCOMPARE(after.at(query).size(), list.size()); // still depth 5, not 3
        for (std::size_t r = 0; r < list.size(); ++r)
            QVERIFY(after.at(query)[r].candidate == list[r].candidate);
    }
    Project p = Project::open(project.toStdString());
    const ModelVersion version = requireModelVersion(p, "tiny");
    QVERIFY(recordedIndexFile(p, version).value() == file);
    QVERIFY(fs::exists(modelDirectory(p, version) / file));
    QCOMPARE(ModelIndex::load(p, version).kind(), IndexKind::Exact);
    int faissFiles = 0;
    for (const auto &e : fs::directory_iterator(modelDirectory(p, version)))
        faissFiles += e.path().extension() == ".faiss" ? 1 : 0;
    QCOMPARE(faissFiles, 1); // the new file was removed

    // A corrupt checkpoint fails before anything is written, and says so.
    const QString corrupt = testsupport::scratchDir(QStringLiteral("corrupt-model"));
    for (const char *name :
         {"config.json", "preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model"})
        QFile::copy(tiny() + QLatin1Char('/') + QLatin1String(name), corrupt + QLatin1Char('/') + QLatin1String(name));
    QFile::copy(testsupport::writeScratchFile(QStringLiteral("cut.safetensors"),
                                              testsupport::readFileBytes(tiny() + QStringLiteral("/model.safetensors")).left(100)),
                corrupt + QStringLiteral("/model.safetensors"));
    const auto bad = runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), corrupt,
                                   QStringLiteral("--name"), QStringLiteral("broken"), QStringLiteral("--quiet")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("model.safetensors") && bad.err.contains("(the project is unchanged)"), bad.err.constData());
    QCOMPARE(modelVersions(p).size(), std::size_t(1));
}

void TestCliShards::autoShardComesFromTheClusterJobArray()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject(catalog, catalog.manifest, true);
    QProcessEnvironment base = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"})
        base.remove(QLatin1String(name));
    const auto autoShard = [&](const std::vector<std::pair<QString, QString>> &vars, const QString &shards = QStringLiteral("2")) {
        QProcessEnvironment env = base;
        for (const auto &[name, value] : vars)
            env.insert(name, value);
        return runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(), QStringLiteral("--name"),
                             QStringLiteral("tiny"), QStringLiteral("--shard"), QStringLiteral("auto"),
                             QStringLiteral("--shards"), shards, QStringLiteral("--quiet")},
                            env);
    };

    // A Slurm array task (--array=1-2: the index counts from SLURM_ARRAY_TASK_MIN) and a
    // Kubernetes Indexed Job pod: each says where its shard came from.
    const auto slurm = autoShard({{QStringLiteral("SLURM_ARRAY_TASK_ID"), QStringLiteral("2")},
                                  {QStringLiteral("SLURM_ARRAY_TASK_MIN"), QStringLiteral("1")},
                                  {QStringLiteral("SLURM_ARRAY_TASK_COUNT"), QStringLiteral("2")}});
    CHECK_OK(slurm);
    QVERIFY2(slurm.out.contains("shard 1/2 (from SLURM_ARRAY_TASK_ID=2 - SLURM_ARRAY_TASK_MIN=1)"), slurm.out.constData());
    const auto k8s = autoShard({{QStringLiteral("JOB_COMPLETION_INDEX"), QStringLiteral("0")}});
    CHECK_OK(k8s);
    QVERIFY2(k8s.out.contains("shard 0/2 (from JOB_COMPLETION_INDEX=0)"), k8s.out.constData());
    const QString folder = project + QStringLiteral("/shards/tiny-");
    const auto merged = merge(project, {folder + QStringLiteral("0-of-2"), folder + QStringLiteral("1-of-2")});
    CHECK_OK(merged);
    QVERIFY2(merged.out.contains("30 embedded, 0 failed"), merged.out.constData());

    struct Case {
        const char *name;
        std::vector<std::pair<QString, QString>> vars;
        QString message;
    };
    const std::vector<Case> cases{
        {"no job array", {}, QStringLiteral("neither is set")},
        {"index too high", {{QStringLiteral("JOB_COMPLETION_INDEX"), QStringLiteral("2")}},
         QStringLiteral("shard 2 from JOB_COMPLETION_INDEX=2 is outside 0..1")},
        {"array of another size", {{QStringLiteral("SLURM_ARRAY_TASK_ID"), QStringLiteral("0")},
                                   {QStringLiteral("SLURM_ARRAY_TASK_COUNT"), QStringLiteral("3")}},
         QStringLiteral("the Slurm array has 3 tasks")},
        {"not a number", {{QStringLiteral("SLURM_ARRAY_TASK_ID"), QStringLiteral("x1")}},
         QStringLiteral("SLURM_ARRAY_TASK_ID='x1' is not a task index")},
    };
    for (const Case &c : cases) {
        const auto r = autoShard(c.vars);
        QVERIFY2(r.exitCode != 0, c.name);
        QVERIFY2(r.err.contains(c.message.toUtf8()), (std::string(c.name) + ": " + r.err.toStdString()).c_str());
    }
    const auto withoutCount = runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(),
                                            QStringLiteral("--name"), QStringLiteral("tiny"), QStringLiteral("--shard"),
                                            QStringLiteral("auto")},
                                           base);
    QCOMPARE(withoutCount.exitCode, 2);
    QVERIFY2(withoutCount.err.contains("--shard auto needs --shards N"), withoutCount.err.constData());
}

QTEST_GUILESS_MAIN(TestCliShards)
#include "tst_cli_shards.moc"
