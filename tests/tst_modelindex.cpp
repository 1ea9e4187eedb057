// ModelIndex on its own: a version's index over its embeddings. Its neighbours equal a brute-force
// exact ranking (cosine in double, ties by item id, the item itself left out), by item and by
// vector; duplicates are left out when asked; a version without an index, or with an index newer
// than its embeddings, says why; freezing stores exactly those lists at the asked depth.
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"

#include <QTest>

#include <algorithm>
#include <random>

using namespace lookalike;

class TestModelIndex : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void neighboursAreTheExactRanking();
    void duplicatesAreLeftOutWhenAsked();
    void missingOrStaleIndexSaysWhy();
    void freezeStoresTheIndexsLists();
};

namespace {

// Every other embedded item by cosine (double), ties by item id.
std::vector<std::pair<std::int64_t, double>> bruteForce(const FloatMatrix &rows, const std::vector<std::int64_t> &items,
                                                        std::span<const float> q, std::int64_t except)
{
    std::vector<std::pair<std::int64_t, double>> out;
    for (std::int64_t r = 0; r < rows.rows; ++r) {
        if (items[static_cast<std::size_t>(r)] == except)
            continue;
        double s = 0;
        for (std::int64_t c = 0; c < rows.cols; ++c)
            s += double(q[static_cast<std::size_t>(c)]) * rows.row(r)[static_cast<std::size_t>(c)];
        out.emplace_back(items[static_cast<std::size_t>(r)], s);
    }
    std::sort(out.begin(), out.end(), [](const auto &x, const auto &y) {
        return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    return out;
}

} // namespace

void TestModelIndex::neighboursAreTheExactRanking()
{
    auto f = testsupport::makeTwoModelProject();
    const ModelVersion &v = f.versions[0];
    const ModelIndex index = ModelIndex::load(*f.project, v);
    QCOMPARE(index.kind(), IndexKind::Exact);
    const FloatMatrix rows = readNpyMatrix(normalizedEmbeddingsFile(*f.project, v));
    const std::vector<std::int64_t> items = embeddedItemIds(*f.project, v);
    QCOMPARE(index.size(), rows.rows);
    QVERIFY(index.contains(items.front()));
    QVERIFY(!index.contains(-5));
    const auto lists = index.neighboursOfItems(f.queries, 7, false);
    QCOMPARE(lists.size(), f.queries.size());
    for (std::int64_t query : f.queries) {
        const std::int64_t row = std::find(items.begin(), items.end(), query) - items.begin();
        const auto expected = bruteForce(rows, items, rows.row(row), query);
        const std::vector<Hit> &got = lists.at(query);
        QCOMPARE(got.size(), std::size_t(7));
        for (std::size_t i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i].itemId, expected[i].first);
            QVERIFY(std::abs(got[i].score - expected[i].second) < 1e-6);
        }
        // The same vector searched as a vector finds the item itself first.
        const std::vector<Hit> byVector = index.neighboursOfVector(rows.row(row), 3);
        QCOMPARE(byVector.front().itemId, query);
        QCOMPARE(byVector[1].itemId, got[0].itemId);
    }
}

void TestModelIndex::duplicatesAreLeftOutWhenAsked()
{
    // Random embeddings, except that items 0 and 3 share one (a relisting).
    auto f = testsupport::makeTwoModelProject();
    const std::vector<std::int64_t> allItems = embeddedItemIds(*f.project, f.versions[0]);
    FloatMatrix m(static_cast<std::int64_t>(allItems.size()), 4);
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    for (float &x : m.data)
        x = normal(rng);
    std::copy(m.row(0).begin(), m.row(0).end(), m.data.begin() + 3 * 4);
    QString ids;
    for (std::int64_t id : allItems)
        ids += QString::fromStdString(f.project->item(id).key) + QLatin1Char('\n');
    const std::string npy = (testsupport::scratchDir(QStringLiteral("dup")) + QStringLiteral("/d.npy")).toStdString();
    writeNpyMatrix(npy, m);
    const std::string idsFile = testsupport::writeScratchFile(QStringLiteral("dup-ids.txt"), ids.toUtf8()).toStdString();
    const ModelVersion v = registerModelVersion(*f.project, precomputedVersion("dups", npy, idsFile));
    importPrecomputedEmbeddings(*f.project, v, npy, idsFile);
    buildNeighbourIndex(*f.project, v, {}, false);
    const ModelIndex index = ModelIndex::load(*f.project, v);
    const std::int64_t a = allItems[0], twin = allItems[3];
    const auto with = index.neighboursOfItems({a}, 3, false).at(a);
    QCOMPARE(with.front().itemId, twin); // cosine 1
    const auto without = index.neighboursOfItems({a}, 3, true).at(a);
    QCOMPARE(without.size(), std::size_t(3));
    for (const Hit &h : without)
        QVERIFY(h.itemId != twin && h.itemId != a);
    QCOMPARE(without.front().itemId, with[1].itemId);
}

void TestModelIndex::missingOrStaleIndexSaysWhy()
{
    auto f = testsupport::makeTwoModelProject();
    const std::string npy = (testsupport::scratchDir(QStringLiteral("noidx")) + QStringLiteral("/n.npy")).toStdString();
    writeNpyMatrix(npy, FloatMatrix(1, 8));
    const std::string idsFile = testsupport::writeScratchFile(QStringLiteral("noidx-ids.txt"), "red-0\n").toStdString();
    const ModelVersion v = registerModelVersion(*f.project, precomputedVersion("no-index", npy, idsFile));
    try {
        (void)ModelIndex::load(*f.project, v);
        QFAIL("a version without an index loaded");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("no neighbour index yet") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("no-index") != std::string::npos, e.what());
    }
    QVERIFY(!recordedIndexKind(*f.project, v));
    QCOMPARE(recordedIndexKind(*f.project, f.versions[0]).value_or(""), std::string("exact"));
    // An index over more rows than the version has embedded.
    const ModelVersion &a = f.versions[0];
    const auto file = modelDirectory(*f.project, a) / *recordedIndexFile(*f.project, a);
    try {
        (void)ModelIndex::open(*f.project, a, file, embeddingCounts(*f.project, a).embedded + 1);
        QFAIL("an index newer than the embeddings opened");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("newer than the embeddings") != std::string::npos, e.what());
    }
}

void TestModelIndex::freezeStoresTheIndexsLists()
{
    auto f = testsupport::makeTwoModelProject(); // frozen at depth 10 by the fixture
    const ModelVersion &v = f.versions[1];
    const ModelIndex index = ModelIndex::load(*f.project, v);
    const auto live = index.neighboursOfItems(f.queries, 4, false);
    const FreezeReport again = freezeResultLists(*f.project, v, 4, false, false);
    QCOMPARE(again.frozen, 0); // frozen lists are never recomputed unless asked
    QCOMPARE(again.alreadyFrozen, static_cast<std::int64_t>(f.queries.size()));
    QCOMPARE(frozenResultList(*f.project, v, f.queries[0]).size(), std::size_t(10));
    const FreezeReport re = freezeResultLists(*f.project, v, 4, true, false);
    QCOMPARE(re.frozen, static_cast<std::int64_t>(f.queries.size()));
    for (std::int64_t query : f.queries) {
        const auto stored = frozenResultList(*f.project, v, query);
        QCOMPARE(stored.size(), std::size_t(4));
        for (std::size_t i = 0; i < stored.size(); ++i) {
            QCOMPARE(stored[i].candidateItemId, live.at(query)[i].itemId);
            QCOMPARE(stored[i].rank, static_cast<int>(i) + 1);
        }
    }
}

QTEST_MAIN(TestModelIndex)
#include "tst_modelindex.moc"
