// indexVersion and addQueriesAndFreeze, the core functions behind `index`, `queries`, the
// GUI's "add as query" and the demo: the version's configuration comes from its encoder, the
// first index records the project's result depth and every later freeze uses it, a run
// stopped at --limit builds nothing, a late failure keeps the embeddings and changes no list,
// and new queries are frozen only for versions that have an index.
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/AddQueries.h"
#include "core/project/IndexVersion.h"
#include "core/project/EmbeddingStore.h"
#include "core/project/Project.h"
#include "core/util/VectorMath.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

#include <limits>
#include <random>

using namespace lookalike;

namespace {

struct Fixture {
    testsupport::TestCatalog catalog;
    std::optional<Project> project;
    QString folder;
};

Fixture makeFixture()
{
    Fixture f;
    f.catalog = testsupport::makeTestCatalog();
    f.folder = testsupport::scratchDir(QStringLiteral("workflow"));
    f.project.emplace(Project::create((f.folder + QStringLiteral("/p")).toStdString()));
    f.project->importCatalog(f.catalog.manifest.toStdString(), {});
    return f;
}

// Random 8-d embeddings of every catalog item, written as a .npy and an ids file.
IndexVersionRequest precomputed(const Fixture &f, const std::string &name, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    FloatMatrix m(static_cast<std::int64_t>(f.catalog.ids.size()), 8);
    for (float &v : m.data)
        v = g(rng);
    const std::string base = (f.folder + QStringLiteral("/")).toStdString() + name;
    writeNpyMatrix(base + ".npy", m);
    {
        std::FILE *ids = std::fopen((base + ".ids").c_str(), "w");
        for (const auto &id : f.catalog.ids)
            std::fprintf(ids, "%s\n", id.c_str());
        std::fclose(ids);
    }
    IndexVersionRequest r;
    r.name = name;
    r.kind = ModelKind::Precomputed;
    r.source = base + ".npy";
    r.ids = base + ".ids";
    return r;
}

IndexVersionRequest tinySiglip(const std::string &name)
{
    IndexVersionRequest r;
    r.name = name;
    r.kind = ModelKind::Siglip;
    r.source = testsupport::tinyCheckpointPath();
    r.embedding.batchSize = 8;
    return r;
}

std::vector<std::int64_t> firstItems(const Project &project, std::size_t n)
{
    std::vector<std::int64_t> ids;
    for (const auto &[id, category] : project.itemCategories())
        if (ids.size() < n)
            ids.push_back(id);
    return ids;
}

} // namespace

class TestIndexVersion : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firstIndexRecordsTheDepthLaterFreezesUseIt();
    void configurationComesFromTheEncoder();
    void bf16VersionRecordsItsPrecision();
    void stoppedAtTheLimitBuildsNothing();
    void lateFailureKeepsEmbeddingsAndLists();
    void nanEmbeddingNamesTheModelAndTheItem();
    void newQueriesAreFrozenOnlyWhereThereIsAnIndex();
    void sampleSkipsQueriesAlreadyInTheSet();
};

void TestIndexVersion::firstIndexRecordsTheDepthLaterFreezesUseIt()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    p.addQueries(firstItems(p, 4), "test");
    QVERIFY(!p.hasResultDepth());
    IndexVersionRequest a = precomputed(f, "a", 1);
    a.depth = 7;
    const IndexVersionReport first = indexVersion(p, a);
    QVERIFY(first.complete && first.indexed && !first.indexFailure);
    QCOMPARE(first.depth, 7);
    QCOMPARE(p.resultDepth(), 7); // recorded
    QCOMPARE(first.indexed->frozen.frozen, 4);

    const IndexVersionReport second = indexVersion(p, precomputed(f, "b", 2)); // no depth asked
    QCOMPARE(second.depth, 7);
    for (const ModelVersion &v : {first.version, second.version})
        for (const std::int64_t q : p.queryItemIds())
            QCOMPARE(frozenResultList(p, v, q).size(), std::size_t(7));

    IndexVersionRequest c = precomputed(f, "c", 3);
    c.depth = 5; // an explicit depth for one version does not change the project's
    QCOMPARE(indexVersion(p, c).depth, 5);
    QCOMPARE(p.resultDepth(), 7);
}

void TestIndexVersion::configurationComesFromTheEncoder()
{
    Fixture f = makeFixture();
    QStringList told;
    IndexVersionRequest r = tinySiglip("tiny");
    r.beforeFingerprint = [&](const std::filesystem::path &file) { told << QString::fromStdString(file.string()); };
    const IndexVersionReport report = indexVersion(*f.project, r);
    QVERIFY(report.complete);
    QCOMPARE(report.version.dimension, 64);
    QCOMPARE(told.size(), 1);
    QVERIFY(told.front().endsWith(QStringLiteral("model.safetensors")));
    const QJsonObject config = QJsonDocument::fromJson(QByteArray::fromStdString(report.version.config)).object();
    QVERIFY(config.value(QStringLiteral("model")).isObject());
    QVERIFY(config.value(QStringLiteral("preprocessing")).isObject());
    // The same request again is the same version (the configuration string compares equal).
    QCOMPARE(indexVersion(*f.project, r).version.id, report.version.id);
}

// A version embedded with bf16 products says so in its config, is reopened in bf16 (a new
// image is embedded as its catalog was), stays within cosine 0.999 of the fp32 embeddings, and
// is never continued in fp32 under its name.
void TestIndexVersion::bf16VersionRecordsItsPrecision()
{
    Fixture f = makeFixture();
    IndexVersionRequest fp32 = tinySiglip("tiny-fp32");
    IndexVersionRequest bf16 = tinySiglip("tiny-bf16");
    bf16.precision = Precision::Bf16;
    const ModelVersion a = indexVersion(*f.project, fp32).version;
    const IndexVersionReport report = indexVersion(*f.project, bf16);
    QVERIFY(report.complete);
    const ModelVersion b = report.version;
    QCOMPARE(versionPrecision(a), Precision::Fp32);
    QCOMPARE(versionPrecision(b), Precision::Bf16);
    QVERIFY(!QString::fromStdString(a.config).contains(QStringLiteral("precision"))); // fp32 configs as before
    QVERIFY(QString::fromStdString(openImageEncoder(b, 1, 4)->configJson()).contains(QStringLiteral("\"precision\":\"bf16\"")));

    const FloatMatrix ea = readNpyMatrix(rawEmbeddingsFile(*f.project, a));
    const FloatMatrix eb = readNpyMatrix(rawEmbeddingsFile(*f.project, b));
    QCOMPARE(ea.rows, eb.rows);
    for (std::int64_t r = 0; r < ea.rows; ++r)
        QVERIFY2(cosine(ea.row(r), eb.row(r)) >= 0.999, qPrintable(QStringLiteral("row %1").arg(r)));
    QVERIFY(ea.data != eb.data); // the bf16 products ran

    IndexVersionRequest again = tinySiglip("tiny-bf16"); // fp32 under the bf16 version's name
    try {
        indexVersion(*f.project, again);
        QFAIL("a bf16 version was continued in fp32");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("different configuration")), e.what());
    }
    bf16.embedding.retryFailed = true;
    QCOMPARE(indexVersion(*f.project, bf16).version.id, b.id); // the same precision continues it

    // auto (the CLI's default): an existing version keeps its own precision, on any CPU.
    for (const ModelVersion &existing : {a, b}) {
        IndexVersionRequest automatic = tinySiglip(existing.name);
        automatic.precision = std::nullopt;
        automatic.embedding.retryFailed = true;
        QCOMPARE(indexVersion(*f.project, automatic).version.id, existing.id);
        QCOMPARE(resolvePrecision(*f.project, existing.name, ModelKind::Siglip, std::nullopt), versionPrecision(existing));
    }
    // A new one: bf16 where the CPU has it; anything but SigLIP: fp32; an explicit choice stands.
    QCOMPARE(resolvePrecision(*f.project, "new", ModelKind::Siglip, std::nullopt), automaticPrecision());
    QCOMPARE(resolvePrecision(*f.project, "new", ModelKind::TorchScript, std::nullopt), Precision::Fp32);
    QCOMPARE(resolvePrecision(*f.project, "tiny-bf16", ModelKind::Siglip, Precision::Fp32), Precision::Fp32);
    IndexVersionRequest fresh = tinySiglip("tiny-auto");
    fresh.precision = std::nullopt;
    std::string schedule;
    fresh.onRegistered = [&](const ModelVersion &, const std::string &s) { schedule = s; };
    QCOMPARE(versionPrecision(indexVersion(*f.project, fresh).version), automaticPrecision());
    // What was chosen without being asked is said: precision and lanes.
    QVERIFY2(schedule.find(precisionName(automaticPrecision())) == 0 && schedule.find("lanes of one thread") != std::string::npos,
             schedule.c_str());
    QVERIFY_THROWS_EXCEPTION(Error, parsePrecisionChoice("fp16"));
    QVERIFY(!parsePrecisionChoice("auto").has_value());
}

void TestIndexVersion::stoppedAtTheLimitBuildsNothing()
{
    Fixture f = makeFixture();
    f.project->addQueries(firstItems(*f.project, 3), "test");
    IndexVersionRequest r = tinySiglip("tiny");
    r.embedding.limit = 8;
    const IndexVersionReport stopped = indexVersion(*f.project, r);
    QVERIFY(!stopped.complete);
    QVERIFY(!stopped.indexed);
    QCOMPARE(stopped.embedded->embeddedThisRun, 8);
    QVERIFY(!recordedIndexFile(*f.project, stopped.version));
    QVERIFY(!f.project->hasResultDepth());
    r.embedding.limit = -1;
    const IndexVersionReport rest = indexVersion(*f.project, r); // continues
    QVERIFY(rest.complete && rest.indexed);
    QCOMPARE(rest.embedded->embeddedThisRun, 22);
    QCOMPARE(rest.indexed->frozen.frozen, 3);
}

void TestIndexVersion::lateFailureKeepsEmbeddingsAndLists()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    p.addQueries(firstItems(p, 3), "test");
    const IndexVersionRequest a = precomputed(f, "a", 1);
    const IndexVersionReport first = indexVersion(p, a);
    const auto before = frozenResultList(p, first.version, p.queryItemIds().front());

    IndexVersionRequest again = a;
    again.refreeze = true;
    again.beforeCommit = [] { throw Error(ErrorCode::Internal, {}, "disk full, say"); };
    const IndexVersionReport failed = indexVersion(p, again);
    QVERIFY(failed.complete);
    QVERIFY(failed.indexFailure && failed.indexFailure->find("disk full") != std::string::npos);
    const auto after = frozenResultList(p, first.version, p.queryItemIds().front());
    QCOMPARE(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i)
        QCOMPARE(after[i].candidateItemId, before[i].candidateItemId);
    QCOMPARE(embeddedItemIds(p, first.version).size(), f.catalog.ids.size());
}

void TestIndexVersion::nanEmbeddingNamesTheModelAndTheItem()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    IndexVersionRequest r = precomputed(f, "broken", 3);
    FloatMatrix m = readNpyMatrix(r.source);
    m.row(3)[5] = std::numeric_limits<float>::quiet_NaN();
    writeNpyMatrix(r.source, m);
    const IndexVersionReport report = indexVersion(p, r);
    QVERIFY(!report.indexed);
    QVERIFY(report.indexFailure);
    const QString message = QString::fromStdString(*report.indexFailure);
    QVERIFY2(message.contains(QStringLiteral("model version 'broken'")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("'") + QString::fromStdString(f.catalog.ids[3]) + QStringLiteral("'")),
             qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("NaN")), qPrintable(message));
    QCOMPARE(embeddedItemIds(p, report.version).size(), f.catalog.ids.size()); // the embeddings are kept
}

void TestIndexVersion::newQueriesAreFrozenOnlyWhereThereIsAnIndex()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    IndexVersionRequest a = precomputed(f, "a", 1);
    a.depth = 4;
    const ModelVersion indexed = indexVersion(p, a).version;
    IndexVersionRequest stopped = tinySiglip("tiny");
    stopped.embedding.limit = 8; // registered, no index yet
    const ModelVersion pending = indexVersion(p, stopped).version;

    const auto items = firstItems(p, 5);
    const AddQueriesReport added = addQueriesAndFreeze(p, items, "test");
    QCOMPARE(added.added, 5);
    QCOMPARE(added.depth, 4); // the project's
    QCOMPARE(added.frozen.size(), std::size_t(1));
    QCOMPARE(added.frozen.front().version.id, indexed.id);
    QCOMPARE(added.frozen.front().report.frozen, 5);
    for (const std::int64_t q : items) {
        QCOMPARE(frozenResultList(p, indexed, q).size(), std::size_t(4));
        QVERIFY(frozenResultList(p, pending, q).empty());
    }
    QCOMPARE(addQueriesAndFreeze(p, items, "again").added, 0); // already queries
    QCOMPARE(addQueriesAndFreeze(p, firstItems(p, 6), "one more", 2).frozen.front().report.frozen, 1);
}

void TestIndexVersion::sampleSkipsQueriesAlreadyInTheSet()
{
    Fixture f = makeFixture();
    Project &p = *f.project;
    const QuerySample first = sampleNewQueries(p, 10, 7, true);
    QCOMPARE(first.items.size(), std::size_t(10));
    QCOMPARE(first.source, std::string("sample n=10 seed=7 by=category"));
    QCOMPARE(sampleNewQueries(p, 10, 7, true).items, first.items); // seeded
    p.addQueries(first.items, first.source);
    const QuerySample second = sampleNewQueries(p, 30, 7, false);
    QCOMPARE(second.items.size(), std::size_t(20)); // only 20 items are left
    for (const std::int64_t id : second.items)
        QVERIFY(std::find(first.items.begin(), first.items.end(), id) == first.items.end());
}

QTEST_MAIN(TestIndexVersion)
#include "tst_indexversion.moc"
