// CatalogSearch, the search behind the Search tab and a dropped image: a text through the
// SigLIP text tower and an image through the version's encoder give the exact top k of the
// version's index (the same as searching the index with the embedding by hand), an image of a
// catalog item finds that item first, and what cannot be searched says why. For SigLIP 1 and for
// SigLIP 2 FixRes and NaFlex checkpoints (transformers 5 layout).
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/model/SiglipPipeline.h"
#include "core/project/CatalogSearch.h"
#include "core/project/IndexVersion.h"
#include "core/project/Project.h"
#include "core/util/VectorMath.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QFile>
#include <QTest>

using namespace lookalike;

class TestCatalogSearch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void textAndImageFindTheExactNeighbours_data();
    void textAndImageFindTheExactNeighbours();
    void whatCannotBeSearchedSaysWhy();

private:
    testsupport::TestCatalog m_catalog;
    std::string m_folder;
};

void TestCatalogSearch::initTestCase()
{
    m_catalog = testsupport::makeTestCatalog();
    m_folder = (testsupport::scratchDir(QStringLiteral("search")) + QStringLiteral("/p")).toStdString();
    Project p = Project::create(m_folder);
    p.importCatalog(m_catalog.manifest.toStdString(), {});
    IndexVersionRequest tiny;
    tiny.name = "tiny";
    tiny.kind = ModelKind::Siglip;
    tiny.source = testsupport::tinyCheckpointPath();
    tiny.embedding.batchSize = 8;
    QVERIFY(indexVersion(p, tiny).indexed);
    for (const char *name : {"s2fix_a", "s2naf_a"}) {
        IndexVersionRequest two = tiny;
        two.name = name;
        two.source = testsupport::dataDir().toStdString() + "/siglip2_ref/" + name;
        QVERIFY(indexVersion(p, two).indexed);
    }

    // A version from embeddings computed elsewhere: it has no encoder to search with.
    FloatMatrix vectors(static_cast<std::int64_t>(m_catalog.ids.size()), 8);
    for (std::size_t i = 0; i < vectors.data.size(); ++i)
        vectors.data[i] = static_cast<float>((i * 7919) % 13) - 6.0f;
    const std::string npy = m_folder + "-pre.npy", ids = m_folder + "-pre.ids";
    writeNpyMatrix(npy, vectors);
    QFile idsFile(QString::fromStdString(ids));
    QVERIFY(idsFile.open(QIODevice::WriteOnly));
    for (const auto &id : m_catalog.ids)
        idsFile.write(QByteArray::fromStdString(id) + '\n');
    idsFile.close();
    IndexVersionRequest pre;
    pre.name = "pre";
    pre.kind = ModelKind::Precomputed;
    pre.source = npy;
    pre.ids = ids;
    QVERIFY(indexVersion(p, pre).indexed);
}

void TestCatalogSearch::textAndImageFindTheExactNeighbours_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("source");
    QTest::newRow("SigLIP 1") << QStringLiteral("tiny") << testsupport::tinyCheckpointDir();
    for (const char *name : {"s2fix_a", "s2naf_a"})
        QTest::newRow(name) << QString::fromLatin1(name) << testsupport::dataDir() + QStringLiteral("/siglip2_ref/") + QLatin1String(name);
}

void TestCatalogSearch::textAndImageFindTheExactNeighbours()
{
    QFETCH(QString, version);
    QFETCH(QString, source);
    CatalogSearch search(m_folder, version.toStdString());
    QCOMPARE(search.version().name, version.toStdString());
    const auto pipeline = SiglipPipeline::load(source.toStdString());
    const Project p = Project::open(m_folder);
    const ModelIndex index = ModelIndex::load(p, search.version());

    const std::vector<Hit> byText = search.byText("red item", 6);
    const FloatMatrix text = l2NormalizedRows(pipeline.embedTexts({"red item"}));
    const std::vector<Hit> expected = index.neighboursOfVector(text.row(0), 6);
    QCOMPARE(byText.size(), std::size_t(6));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(byText[i].itemId, expected[i].itemId);
        QCOMPARE(byText[i].score, expected[i].score);
    }

    // A catalog item's own image: that item first, at cosine 1.
    const Item item = *p.findItem(m_catalog.ids[4]);
    const std::vector<Hit> byImage = search.byImage(item.image, 3);
    QCOMPARE(byImage.size(), std::size_t(3));
    QCOMPARE(byImage.front().itemId, item.id);
    QVERIFY(std::abs(byImage.front().score - 1.0f) < 1e-5);
}

void TestCatalogSearch::whatCannotBeSearchedSaysWhy()
{
    auto codeOf = [](const std::function<void()> &f) {
        try {
            f();
        } catch (const Error &e) {
            return e.code();
        }
        return ErrorCode::Internal;
    };
    QCOMPARE(codeOf([&] { CatalogSearch(m_folder, "no-such-version"); }), ErrorCode::NotFound);
    CatalogSearch search(m_folder, "tiny");
    QCOMPARE(codeOf([&] { search.byText("", 5); }), ErrorCode::InvalidArgument);
    QCOMPARE(codeOf([&] { search.byImage("/no/such/image.png", 5); }), ErrorCode::FileNotFound);
    CatalogSearch precomputed(m_folder, "pre");
    QCOMPARE(codeOf([&] { precomputed.byText("red", 5); }), ErrorCode::Unsupported);
    const Project p = Project::open(m_folder);
    QCOMPARE(codeOf([&] { precomputed.byImage(p.findItem(m_catalog.ids[0])->image, 5); }), ErrorCode::Unsupported);
}

QTEST_MAIN(TestCatalogSearch)
#include "tst_catalogsearch.moc"
