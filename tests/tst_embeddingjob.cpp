// Embedding a catalog: complete runs, interrupted and resumed runs (equal to uninterrupted
// ones, also after a crash left uncommitted rows), failures and retries, the three model
// kinds, self-exclusion and duplicates, and frozen result lists surviving a re-index.
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/model/SiglipPipeline.h"
#include "core/model/TorchScriptEncoder.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "core/util/VectorMath.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QFile>
#include <QTest>

#include <cmath>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    testsupport::TestCatalog catalog;
    std::optional<Project> project;
    ModelVersion version;
    std::unique_ptr<ImageEncoder> encoder;
};

ModelVersion siglipCandidate(const std::string &name)
{
    ModelVersion v;
    v.name = name;
    v.kind = ModelKind::Siglip;
    v.source = testsupport::tinyCheckpointPath();
    v.fingerprint = sha256OfFile(v.source / "model.safetensors");
    v.dimension = 64;
    v.config = "{}";
    return v;
}

Fixture makeFixture(const testsupport::TestCatalogOptions &catalogOptions = {})
{
    Fixture f;
    f.catalog = testsupport::makeTestCatalog(catalogOptions);
    f.project.emplace(
        Project::create((testsupport::scratchDir(QStringLiteral("job")) + QStringLiteral("/p")).toStdString()));
    f.project->importCatalog(f.catalog.manifest.toStdString(), {});
    f.version = registerModelVersion(*f.project, siglipCandidate("tiny"));
    f.encoder = openImageEncoder(f.version, 0, 8);
    return f;
}

EmbeddingOptions options(int batch)
{
    EmbeddingOptions o;
    o.batchSize = batch;
    o.workers = 2;
    return o;
}

} // namespace

class TestEmbeddingJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void embedsEveryItemLikeThePipeline();
    void naflexVersionEmbedsLikeThePipeline();
    void interruptedRunResumesToTheSameResult();
    void crashLeftoversAreDiscarded();
    void limitStopsAtWholeBatches();
    void brokenImagesFailAndCanBeRetried();
    void torchScriptVersion();
    void precomputedVersion();
    void fingerprintProtectsTheName();
    void queryNeverInItsOwnListAndTwinsOnRequest();
    void frozenListsSurviveReindexing();
    void approximateIndexReportsRecall();
};

void TestEmbeddingJob::embedsEveryItemLikeThePipeline()
{
    Fixture f = makeFixture();
    const auto summary = embedCatalog(*f.project, f.version, *f.encoder, options(8));
    QCOMPARE(summary.embeddedThisRun, 30);
    QCOMPARE(summary.embeddedTotal, 30);
    QCOMPARE(summary.pending, 0);
    QVERIFY(!summary.interrupted);
    const auto ids = embeddedItemIds(*f.project, f.version);
    QCOMPARE(ids.size(), std::size_t(30));
    QVERIFY(std::is_sorted(ids.begin(), ids.end())); // catalog order
    const FloatMatrix raw = readNpyMatrix(rawEmbeddingsFile(*f.project, f.version));
    const FloatMatrix normalized = readNpyMatrix(normalizedEmbeddingsFile(*f.project, f.version));
    QCOMPARE(raw.rows, 30);
    QCOMPARE(raw.cols, 64);
    for (std::int64_t r = 0; r < normalized.rows; ++r) {
        double ss = 0;
        for (float v : normalized.row(r))
            ss += double(v) * v;
        QVERIFY(std::abs(std::sqrt(ss) - 1.0) < 1e-5);
    }
    // Row 5 is the same embedding SiglipPipeline gives for that item's image file.
    const Item item = f.project->item(ids[5]);
    const auto pipeline = SiglipPipeline::load(testsupport::tinyCheckpointPath());
    const FloatMatrix expected = pipeline.embedImageFiles({item.image});
    QVERIFY(testsupport::maxAbsDiff({raw.row(5).begin(), raw.row(5).end()}, expected.data) < 1e-5);
}

void TestEmbeddingJob::naflexVersionEmbedsLikeThePipeline()
{
    // A SigLIP 2 NaFlex checkpoint (transformers 5 layout): every catalog image keeps its aspect
    // ratio, batches mix patch grids, and each row equals the image embedded alone.
    testsupport::TestCatalogOptions catalogOptions;
    Fixture f = makeFixture(catalogOptions);
    ModelVersion candidate = siglipCandidate("naflex");
    candidate.source = (testsupport::dataDir() + QStringLiteral("/siglip2_ref/s2naf_a")).toStdString();
    candidate.fingerprint = sha256OfFile(candidate.source / "model.safetensors");
    const ModelVersion version = registerModelVersion(*f.project, candidate);
    const std::unique_ptr<ImageEncoder> encoder = openImageEncoder(version, 0, 8);
    QVERIFY(encoder->configJson().find("Siglip2ImageProcessor") != std::string::npos);
    const auto summary = embedCatalog(*f.project, version, *encoder, options(8));
    QCOMPARE(summary.embeddedTotal, 30);
    const auto ids = embeddedItemIds(*f.project, version);
    const FloatMatrix raw = readNpyMatrix(rawEmbeddingsFile(*f.project, version));
    const auto pipeline = SiglipPipeline::load(candidate.source);
    for (std::size_t i = 0; i < ids.size(); i += 7) {
        const FloatMatrix alone = pipeline.embedImageFiles({f.project->item(ids[i]).image});
        const auto r = static_cast<std::int64_t>(i);
        QVERIFY(testsupport::maxAbsDiff({raw.row(r).begin(), raw.row(r).end()}, alone.data) < 1e-5);
    }
}

void TestEmbeddingJob::interruptedRunResumesToTheSameResult()
{
    Fixture whole = makeFixture();
    embedCatalog(*whole.project, whole.version, *whole.encoder, options(4));
    const FloatMatrix expected = readNpyMatrix(normalizedEmbeddingsFile(*whole.project, whole.version));
    const FloatMatrix expectedRaw = readNpyMatrix(rawEmbeddingsFile(*whole.project, whole.version));

    Fixture parts = makeFixture();
    std::atomic<bool> cancel{false};
    EmbeddingOptions o = options(4);
    o.cancel = &cancel;
    int batches = 0;
    o.onProgress = [&](const EmbeddingProgress &p) {
        QVERIFY(p.done <= p.total);
        if (++batches == 2)
            cancel = true; // like Ctrl-C during the third batch
    };
    const auto first = embedCatalog(*parts.project, parts.version, *parts.encoder, o);
    QVERIFY(first.interrupted);
    QCOMPARE(first.embeddedTotal, 8);
    QCOMPARE(first.pending, 22);
    const auto second = embedCatalog(*parts.project, parts.version, *parts.encoder, options(4));
    QCOMPARE(second.embeddedThisRun, 22);
    QCOMPARE(embeddedItemIds(*parts.project, parts.version), embeddedItemIds(*whole.project, whole.version));
    QCOMPARE(readNpyMatrix(normalizedEmbeddingsFile(*parts.project, parts.version)).data, expected.data);
    QCOMPARE(readNpyMatrix(rawEmbeddingsFile(*parts.project, parts.version)).data, expectedRaw.data);
}

void TestEmbeddingJob::crashLeftoversAreDiscarded()
{
    Fixture whole = makeFixture();
    embedCatalog(*whole.project, whole.version, *whole.encoder, options(4));
    const FloatMatrix expected = readNpyMatrix(normalizedEmbeddingsFile(*whole.project, whole.version));

    Fixture f = makeFixture();
    EmbeddingOptions o = options(4);
    o.limit = 8;
    embedCatalog(*f.project, f.version, *f.encoder, o);
    // A process killed after writing a batch to the side files but before recording it in the
    // database leaves rows nobody owns.
    for (const fs::path &file :
        {rawEmbeddingsFile(*f.project, f.version), normalizedEmbeddingsFile(*f.project, f.version)}) {
        NpyAppender leftover = NpyAppender::open(file, 64, 8);
        std::vector<float> junk(4 * 64, 42.0f);
        leftover.append(junk.data(), 4);
        leftover.commit();
    }
    QCOMPARE(readNpyMatrix(normalizedEmbeddingsFile(*f.project, f.version)).rows, 12);
    embedCatalog(*f.project, f.version, *f.encoder, options(4));
    QCOMPARE(readNpyMatrix(normalizedEmbeddingsFile(*f.project, f.version)).data, expected.data);
}

void TestEmbeddingJob::limitStopsAtWholeBatches()
{
    Fixture f = makeFixture();
    EmbeddingOptions o = options(8);
    o.limit = 10; // rounded up to two batches of 8
    const auto s = embedCatalog(*f.project, f.version, *f.encoder, o);
    QCOMPARE(s.embeddedThisRun, 16);
    QCOMPARE(s.pending, 14);
    QVERIFY(!s.interrupted);
}

void TestEmbeddingJob::brokenImagesFailAndCanBeRetried()
{
    Fixture f = makeFixture();
    const Item broken = *f.project->findItem("green-2");
    const QByteArray good = testsupport::readFileBytes(QString::fromStdString(broken.image.string()));
    {
        QFile img(QString::fromStdString(broken.image.string()));
        QVERIFY(img.open(QIODevice::WriteOnly | QIODevice::Truncate));
        img.write("P6\n40 30\n255\ntruncated");
    }
    const auto s = embedCatalog(*f.project, f.version, *f.encoder, options(8));
    QCOMPARE(s.embeddedThisRun, 29);
    QCOMPARE(s.failuresThisRun.size(), std::size_t(1));
    QCOMPARE(s.failuresThisRun[0].itemId, broken.id);
    QVERIFY2(QString::fromStdString(s.failuresThisRun[0].reason).contains(QStringLiteral("green-2.ppm")),
        s.failuresThisRun[0].reason.c_str());
    // A plain re-run does not retry it; --retry-failed does, once the image is fixed.
    QCOMPARE(embedCatalog(*f.project, f.version, *f.encoder, options(8)).embeddedThisRun, 0);
    {
        QFile img(QString::fromStdString(broken.image.string()));
        QVERIFY(img.open(QIODevice::WriteOnly | QIODevice::Truncate));
        img.write(good);
    }
    EmbeddingOptions retry = options(8);
    retry.retryFailed = true;
    const auto again = embedCatalog(*f.project, f.version, *f.encoder, retry);
    QCOMPARE(again.embeddedThisRun, 1);
    QCOMPARE(again.failedTotal, 0);
    QCOMPARE(embeddedItemIds(*f.project, f.version).size(), std::size_t(30));
}

void TestEmbeddingJob::torchScriptVersion()
{
    Fixture f = makeFixture();
    const fs::path module = (testsupport::scratchDir(QStringLiteral("ts")) + QStringLiteral("/cnn.pt")).toStdString();
    writeTinyTorchScriptEncoder(module, 12, 24, 5);
    ModelVersion v;
    v.name = "cnn-baseline";
    v.kind = detectModelKind(module);
    QCOMPARE(v.kind, ModelKind::TorchScript);
    v.source = module;
    v.fingerprint = sha256OfFile(module);
    auto encoder = openImageEncoder(v, 0, 8);
    v.dimension = encoder->dimension();
    QCOMPARE(v.dimension, 12);
    v = registerModelVersion(*f.project, v);
    QCOMPARE(embedCatalog(*f.project, v, *encoder, options(8)).embeddedTotal, 30);
    buildNeighbourIndex(*f.project, v, {}, false);
    const auto lists = ModelIndex::load(*f.project, v).neighboursOfItems({f.project->findItem("red-0")->id}, 5, false);
    QCOMPARE(lists.begin()->second.size(), std::size_t(5));
}

void TestEmbeddingJob::precomputedVersion()
{
    Fixture f = makeFixture();
    // Vectors computed elsewhere for 4 catalog items and one unknown id.
    FloatMatrix m(5, 3);
    const float values[5][3] = {{1, 0, 0}, {0.9f, 0.1f, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
    for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 3; ++c)
            m.at(r, c) = values[r][c];
    const QString dir = testsupport::scratchDir(QStringLiteral("pre"));
    const fs::path npy = (dir + QStringLiteral("/vectors.npy")).toStdString();
    writeNpyMatrix(npy, m);
    const QString ids
        = testsupport::writeScratchFile(QStringLiteral("ids.txt"), "red-0\nred-1\nblue-0\ngreen-0\nnot-in-catalog\n");
    ModelVersion v;
    v.name = "external";
    v.kind = detectModelKind(npy);
    QCOMPARE(v.kind, ModelKind::Precomputed);
    v.source = npy;
    v.fingerprint = sha256OfFile(npy);
    v.dimension = static_cast<int>(npyMatrixShape(npy).second);
    v = registerModelVersion(*f.project, v);
    const auto report = importPrecomputedEmbeddings(*f.project, v, npy, ids.toStdString());
    QCOMPARE(report.imported, 4);
    QCOMPARE(report.unknownIds, 1);
    QCOMPARE(report.unknownExamples.front(), std::string("not-in-catalog"));
    QCOMPARE(report.catalogItemsWithout, 26);
    QVERIFY(importPrecomputedEmbeddings(*f.project, v, npy, ids.toStdString()).alreadyImported);
    buildNeighbourIndex(*f.project, v, {}, false);
    const auto lists = ModelIndex::load(*f.project, v).neighboursOfItems({f.project->findItem("red-0")->id}, 3, false);
    const auto &hits = lists.begin()->second;
    QCOMPARE(hits.front().itemId, f.project->findItem("red-1")->id); // (0.9, 0.1, 0) is nearest to (1, 0, 0)
    QVERIFY(std::abs(hits.front().score - 0.9939f) < 1e-3);

    // Count mismatch and duplicate ids are refused, naming the file.
    ModelVersion v2 = v;
    v2.name = "external-2";
    v2 = registerModelVersion(*f.project, v2);
    const QString shortIds = testsupport::writeScratchFile(QStringLiteral("short.txt"), "red-0\nred-1\n");
    QVERIFY_THROWS_EXCEPTION(Error, importPrecomputedEmbeddings(*f.project, v2, npy, shortIds.toStdString()));
    const QString dupIds = testsupport::writeScratchFile(QStringLiteral("dup.txt"), "red-0\nred-1\nred-0\nx\ny\n");
    try {
        importPrecomputedEmbeddings(*f.project, v2, npy, dupIds.toStdString());
        QFAIL("duplicate ids accepted");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("dup.txt: line 3")), e.what());
    }
}

void TestEmbeddingJob::fingerprintProtectsTheName()
{
    Fixture f = makeFixture();
    ModelVersion other = siglipCandidate("tiny");
    QCOMPARE(registerModelVersion(*f.project, other).id, f.version.id); // same weights: the same version
    other.fingerprint = std::string(64, 'a');
    try {
        registerModelVersion(*f.project, other);
        QFAIL("a name was reused for other weights");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("fingerprint")), e.what());
    }
    ModelVersion bad = siglipCandidate("a/b");
    QVERIFY_THROWS_EXCEPTION(Error, registerModelVersion(*f.project, bad));
}

void TestEmbeddingJob::queryNeverInItsOwnListAndTwinsOnRequest()
{
    testsupport::TestCatalogOptions withTwins;
    withTwins.withTwins = true;
    Fixture f = makeFixture(withTwins);
    embedCatalog(*f.project, f.version, *f.encoder, options(8));
    buildNeighbourIndex(*f.project, f.version, {}, false);
    const ModelIndex index = ModelIndex::load(*f.project, f.version);
    const std::int64_t a = f.project->findItem("twin-a")->id, b = f.project->findItem("twin-b")->id;

    std::vector<std::int64_t> all;
    for (const auto &[id, category] : f.project->itemCategories())
        all.push_back(id);
    const auto lists = index.neighboursOfItems(all, 10, false);
    QCOMPARE(lists.size(), all.size());
    for (const auto &[query, hits] : lists) {
        QCOMPARE(hits.size(), std::size_t(10));
        for (const Hit &h : hits)
            QVERIFY(h.itemId != query);
        for (std::size_t i = 1; i < hits.size(); ++i)
            QVERIFY(hits[i - 1].score > hits[i].score
                || (hits[i - 1].score == hits[i].score && hits[i - 1].itemId < hits[i].itemId));
    }
    QCOMPARE(lists.at(a).front().itemId, b); // identical image: the top neighbour, score 1
    QVERIFY(std::abs(lists.at(a).front().score - 1.0f) < 1e-5);
    const auto without = index.neighboursOfItems({a}, 10, true);
    QCOMPARE(without.at(a).size(), std::size_t(10));
    for (const Hit &h : without.at(a))
        QVERIFY(h.itemId != b && h.itemId != a);
}

void TestEmbeddingJob::frozenListsSurviveReindexing()
{
    Fixture f = makeFixture();
    embedCatalog(*f.project, f.version, *f.encoder, options(8));
    buildNeighbourIndex(*f.project, f.version, {}, false);
    const std::int64_t q = f.project->findItem("blue-1")->id;
    f.project->addQueries({q}, "test");
    QCOMPARE(freezeResultLists(*f.project, f.version, 5, false, false).frozen, 1);
    const auto frozen = frozenResultList(*f.project, f.version, q);
    QCOMPARE(frozen.size(), std::size_t(5));
    QCOMPARE(frozen.front().rank, 1);

    // New catalog items that are near the query arrive and the version is re-indexed.
    QByteArray csv = testsupport::readFileBytes(f.catalog.manifest);
    for (int i = 0; i < 5; ++i) {
        testsupport::writePpm(
            f.catalog.folder + QStringLiteral("/images/new-%1.ppm").arg(i), 40, 30, 40, 40, 210, 900 + i);
        csv += QStringLiteral("new-%1,images/new-%1.ppm,new blue,blue,s\n").arg(i).toUtf8();
    }
    QFile m(f.catalog.manifest);
    QVERIFY(m.open(QIODevice::WriteOnly | QIODevice::Truncate));
    m.write(csv);
    m.close();
    f.project->importCatalog(f.catalog.manifest.toStdString(), {});
    QCOMPARE(embedCatalog(*f.project, f.version, *f.encoder, options(8)).embeddedThisRun, 5);
    IndexOptions hnsw;
    hnsw.kind = IndexKind::Hnsw;
    buildNeighbourIndex(*f.project, f.version, hnsw, false);
    QCOMPARE(freezeResultLists(*f.project, f.version, 5, false, false).alreadyFrozen, 1);

    const auto after = frozenResultList(*f.project, f.version, q);
    QCOMPARE(after.size(), frozen.size());
    for (std::size_t i = 0; i < frozen.size(); ++i) {
        QCOMPARE(after[i].candidateItemId, frozen[i].candidateItemId);
        QCOMPARE(after[i].score, frozen[i].score);
    }
    // Re-freezing is explicit, and then sees the new index.
    QCOMPARE(freezeResultLists(*f.project, f.version, 5, true, false).frozen, 1);
    const auto refrozen = frozenResultList(*f.project, f.version, q);
    QCOMPARE(refrozen.size(), std::size_t(5));
    const auto live = ModelIndex::load(*f.project, f.version).neighboursOfItems({q}, 5, false).at(q);
    for (std::size_t i = 0; i < live.size(); ++i)
        QCOMPARE(refrozen[i].candidateItemId, live[i].itemId);
}

void TestEmbeddingJob::approximateIndexReportsRecall()
{
    Fixture f = makeFixture();
    embedCatalog(*f.project, f.version, *f.encoder, options(8));
    IndexOptions hnsw;
    hnsw.kind = IndexKind::Hnsw;
    const auto report = buildNeighbourIndex(*f.project, f.version, hnsw, true);
    QVERIFY(report.recallAt10.has_value());
    QVERIFY(*report.recallAt10 >= 0.0 && *report.recallAt10 <= 1.0);
    QVERIFY(*report.recallAt10 > 0.8); // 30 points: HNSW is near exact
    QCOMPARE(ModelIndex::load(*f.project, f.version).kind(), IndexKind::Hnsw);
    QVERIFY(!buildNeighbourIndex(*f.project, f.version, {}, true).recallAt10.has_value()); // exact needs none
}

QTEST_MAIN(TestEmbeddingJob)
#include "tst_embeddingjob.moc"
