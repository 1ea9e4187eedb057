// Shards of a catalog's embeddings without a model: the partition, the checks merge-shards
// makes (each refused merge leaves the project unchanged), a good merge giving the files and
// rows of an unsharded run, and `index` failing late leaving the old index and lists intact.
// Shard folders are written here by hand, in the documented format (EmbeddingShards.h).
#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/EmbeddingShards.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"
#include "core/util/VectorMath.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QTest>

#include <functional>
#include <map>
#include <set>

using namespace lookalike;
using testsupport::errorOf;
namespace fs = std::filesystem;

namespace {

constexpr int kDim = 4;
const std::string kFingerprint(64, 'a');

// A deterministic, non-normalised vector per key (distinct enough for distinct neighbours).
std::vector<float> vectorOf(const std::string &key)
{
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : key)
        h = (h ^ c) * 1099511628211ull;
    std::vector<float> v(kDim);
    for (int i = 0; i < kDim; ++i) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        v[static_cast<std::size_t>(i)] = static_cast<float>((h >> 33) % 1000) / 100.0f - 5.0f;
    }
    return v;
}

struct ShardData {
    int index = 0;
    int count = 3;
    std::vector<std::string> keys;
    std::vector<std::string> failed;
    std::string fingerprint = kFingerprint;
    int dimension = kDim;
    std::int64_t npyRows = -1; // -1: as many as keys
    bool complete = true;      // write shard.json
};

void writeShard(const fs::path &folder, const ShardData &d)
{
    fs::create_directories(folder);
    FloatMatrix raw(d.npyRows >= 0 ? d.npyRows : static_cast<std::int64_t>(d.keys.size()), d.dimension);
    for (std::int64_t r = 0; r < raw.rows; ++r) {
        const auto v = vectorOf(d.keys.at(static_cast<std::size_t>(r % std::max<std::int64_t>(1, static_cast<std::int64_t>(d.keys.size())))));
        for (int c = 0; c < d.dimension; ++c)
            raw.at(r, c) = v[static_cast<std::size_t>(c % kDim)];
    }
    writeNpyMatrix(folder / "raw.npy", raw);
    writeNpyMatrix(folder / "normalized.npy", l2NormalizedRows(raw));
    if (!d.complete)
        return;
    QJsonArray items, failed;
    for (const auto &k : d.keys)
        items.append(QString::fromStdString(k));
    for (const auto &k : d.failed)
        failed.append(QJsonObject{{QStringLiteral("key"), QString::fromStdString(k)},
                                  {QStringLiteral("reason"), QStringLiteral("cannot decode")}});
    const QJsonObject root{
        {QStringLiteral("format"), QStringLiteral("lookalike-shard")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("shard"), d.index},
        {QStringLiteral("shards"), d.count},
        {QStringLiteral("model"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("v")}, {QStringLiteral("kind"), QStringLiteral("siglip")},
                     {QStringLiteral("fingerprint"), QString::fromStdString(d.fingerprint)},
                     {QStringLiteral("config"), QStringLiteral("{}")}, {QStringLiteral("dimension"), d.dimension}}},
        {QStringLiteral("items"), items},
        {QStringLiteral("failed"), failed}};
    QFile f(QString::fromStdString((folder / "shard.json").string()));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(root).toJson());
}

struct Fixture {
    testsupport::TestCatalog catalog;
    std::optional<Project> project;
    ModelVersion version;
    fs::path shardsDir;
    std::vector<ShardData> shards; // a correct set of 3
};

Fixture makeFixture()
{
    Fixture f;
    f.catalog = testsupport::makeTestCatalog({});
    const QString dir = testsupport::scratchDir(QStringLiteral("shards"));
    f.project.emplace(Project::create((dir + QStringLiteral("/p")).toStdString()));
    f.project->importCatalog(f.catalog.manifest.toStdString(), {});
    ModelVersion v;
    v.name = "v";
    v.kind = ModelKind::Siglip;
    v.source = testsupport::tinyCheckpointPath();
    v.fingerprint = kFingerprint;
    v.dimension = kDim;
    v.config = "{}";
    f.version = registerModelVersion(*f.project, v);
    f.shardsDir = (dir + QStringLiteral("/shards")).toStdString();
    f.shards.resize(3);
    for (int i = 0; i < 3; ++i)
        f.shards[static_cast<std::size_t>(i)].index = i;
    for (const std::string &key : f.catalog.ids)
        f.shards[static_cast<std::size_t>(shardOfKey(key, 3))].keys.push_back(key);
    return f;
}

std::int64_t count(const Project &project, const QString &sql)
{
    Sql q(project.database(), project.databaseFile().string(), sql);
    q.exec();
    return q.next() ? q.int64(0) : -1;
}

std::map<std::int64_t, std::vector<ResultEntry>> allLists(const Project &project, const ModelVersion &version)
{
    std::map<std::int64_t, std::vector<ResultEntry>> out;
    for (std::int64_t q : project.queryItemIds())
        out[q] = frozenResultList(project, version, q);
    return out;
}

bool sameLists(const std::map<std::int64_t, std::vector<ResultEntry>> &a,
               const std::map<std::int64_t, std::vector<ResultEntry>> &b)
{
    if (a.size() != b.size())
        return false;
    for (const auto &[q, list] : a) {
        const auto &other = b.at(q);
        if (list.size() != other.size())
            return false;
        for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i].candidateItemId != other[i].candidateItemId || list[i].score != other[i].score)
                return false;
    }
    return true;
}

std::set<std::string> indexFiles(const fs::path &dir)
{
    std::set<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        if (e.path().extension() == ".faiss" || e.path().filename().string().find(".tmp.") != std::string::npos)
            names.insert(e.path().filename().string());
    return names;
}

using Spoil = std::function<void(std::vector<ShardData> &)>;

} // namespace

Q_DECLARE_METATYPE(Spoil)

class TestEmbeddingShards : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesShardSpecs_data();
    void parsesShardSpecs();
    void partitionIsStableAndCoversEveryKeyOnce();
    void mergeRecordsRowsLikeAnUnshardedRun();
    void mergeRefuses_data();
    void mergeRefuses();
    void mergeRefusesAVersionWithEmbeddings();
    void failedIndexLeavesTheProjectAsItWas();
};

void TestEmbeddingShards::parsesShardSpecs_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("index"); // -1: refused
    QTest::addColumn<int>("count");
    QTest::newRow("first of two") << QStringLiteral("0/2") << 0 << 2;
    QTest::newRow("last of four") << QStringLiteral("3/4") << 3 << 4;
    QTest::newRow("one shard") << QStringLiteral("0/1") << 0 << 1;
    QTest::newRow("index equal to count") << QStringLiteral("2/2") << -1 << 0;
    QTest::newRow("zero shards") << QStringLiteral("0/0") << -1 << 0;
    QTest::newRow("negative") << QStringLiteral("-1/2") << -1 << 0;
    QTest::newRow("no slash") << QStringLiteral("1") << -1 << 0;
    QTest::newRow("words") << QStringLiteral("a/b") << -1 << 0;
    QTest::newRow("trailing junk") << QStringLiteral("1/2x") << -1 << 0;
}

void TestEmbeddingShards::parsesShardSpecs()
{
    QFETCH(QString, text);
    QFETCH(int, index);
    QFETCH(int, count);
    const auto error = errorOf([&] {
        const ShardSpec spec = parseShardSpec(text.toStdString());
        QCOMPARE(spec.index, index);
        QCOMPARE(spec.count, count);
    });
    QCOMPARE(error.has_value(), index < 0);
    if (error)
        QVERIFY2(std::string(error->what()).find("I/N") != std::string::npos, error->what());
}

void TestEmbeddingShards::partitionIsStableAndCoversEveryKeyOnce()
{
    // FNV-1a-64 of "" is its offset basis, 0xcbf29ce484222325 = 14695981039346656037; of "a",
    // 0xaf63dc4c8601ec8c. Pinned: a change would split catalogs differently on old and new builds.
    QCOMPARE(shardOfKey("", 7), static_cast<int>(14695981039346656037ull % 7));
    QCOMPARE(shardOfKey("a", 1000), static_cast<int>(0xaf63dc4c8601ec8cull % 1000));
    std::vector<int> sizes(4);
    for (int i = 0; i < 4000; ++i) {
        const std::string key = "sku-" + std::to_string(i);
        const int s = shardOfKey(key, 4);
        QVERIFY(s >= 0 && s < 4);
        QCOMPARE(shardOfKey(key, 4), s); // deterministic
        ++sizes[static_cast<std::size_t>(s)];
    }
    for (int size : sizes) // even: sequential keys spread like random ones
        QVERIFY2(size > 850 && size < 1150, std::to_string(size).c_str());
    QCOMPARE(shardOfKey("sku-1", 1), 0);
}

void TestEmbeddingShards::mergeRecordsRowsLikeAnUnshardedRun()
{
    Fixture f = makeFixture();
    // One failed image in shard 1: recorded as a failure, like an unsharded run does.
    const std::string failedKey = f.shards[1].keys.back();
    f.shards[1].keys.pop_back();
    f.shards[1].failed.push_back(failedKey);
    std::vector<fs::path> folders;
    for (const ShardData &d : f.shards) {
        folders.push_back(f.shardsDir / ("s" + std::to_string(d.index)));
        writeShard(folders.back(), d);
    }
    std::reverse(folders.begin(), folders.end()); // any order on the command line
    const ShardMergeReport report = mergeShards(*f.project, f.version, folders);
    QCOMPARE(report.shards, 3);
    QCOMPARE(report.embedded, 29);
    QCOMPARE(report.failed, 1);

    // Rows in item id order, vectors those of the item's key.
    const std::vector<std::int64_t> ids = embeddedItemIds(*f.project, f.version);
    QCOMPARE(ids.size(), std::size_t(29));
    QVERIFY(std::is_sorted(ids.begin(), ids.end()));
    const FloatMatrix raw = readNpyMatrix(rawEmbeddingsFile(*f.project, f.version));
    const FloatMatrix normalized = readNpyMatrix(normalizedEmbeddingsFile(*f.project, f.version));
    QCOMPARE(raw.rows, 29);
    for (std::size_t r = 0; r < ids.size(); ++r) {
        const std::string key = f.project->item(ids[r]).key;
        QVERIFY(key != failedKey);
        const auto v = vectorOf(key);
        for (int c = 0; c < kDim; ++c)
            QCOMPARE(raw.at(static_cast<std::int64_t>(r), c), v[static_cast<std::size_t>(c)]);
        QCOMPARE(normalized.at(static_cast<std::int64_t>(r), 0), l2NormalizedRows(raw).at(static_cast<std::int64_t>(r), 0));
    }
    QCOMPARE(count(*f.project, QStringLiteral("SELECT COUNT(*) FROM embedding_failures")), 1);

    // What `lookalike index` then does: nothing left to embed, an index over the 29.
    const IndexBuildReport built = buildNeighbourIndex(*f.project, f.version, {}, false);
    QCOMPARE(built.rows, 29);
}

void TestEmbeddingShards::mergeRefuses_data()
{
    QTest::addColumn<Spoil>("spoil");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing shard") << Spoil([](auto &s) { s.erase(s.begin() + 1); }) << QStringLiteral("missing shard 1/3");
    QTest::newRow("shard given twice") << Spoil([](auto &s) { s[2] = s[0]; }) << QStringLiteral("shard 0/3 given twice");
    QTest::newRow("other model fingerprint")
        << Spoil([](auto &s) { s[1].fingerprint = std::string(64, 'b'); }) << QStringLiteral("model fingerprint bbbb");
    QTest::newRow("other shard count") << Spoil([](auto &s) { s[2].count = 4; }) << QStringLiteral("of 4 shards");
    QTest::newRow("other dimension") << Spoil([](auto &s) { s[0].dimension = 8; })
                                     << QStringLiteral("8-dimensional embeddings");
    QTest::newRow("item in two shards") << Spoil([](auto &s) { s[1].keys.push_back(s[0].keys.front()); })
                                        << QStringLiteral("' is in shards 0/3 and 1/3");
    QTest::newRow("item twice in one shard") << Spoil([](auto &s) { s[0].keys.push_back(s[0].keys.front()); })
                                             << QStringLiteral("(twice in this one)");
    QTest::newRow("item in the wrong shard")
        << Spoil([](auto &s) {
               s[1].keys.push_back(s[0].keys.back());
               s[0].keys.pop_back();
           })
        << QStringLiteral("belongs to shard 0/3, not 1/3");
    QTest::newRow("unknown item") << Spoil([](auto &s) {
        const std::string key = "not-in-catalog";
        s[static_cast<std::size_t>(shardOfKey(key, 3))].keys.push_back(key);
    }) << QStringLiteral("'not-in-catalog' is not in this project's catalog");
    QTest::newRow("item in no shard") << Spoil([](auto &s) { s[2].keys.pop_back(); }) << QStringLiteral("is in no shard");
    QTest::newRow("incomplete shard") << Spoil([](auto &s) { s[1].complete = false; })
                                      << QStringLiteral("not a complete shard");
    QTest::newRow("npy rows differ from the manifest") << Spoil([](auto &s) { s[0].npyRows = 2; })
                                                       << QStringLiteral("holds 2 x 4 but shard.json lists");
}

void TestEmbeddingShards::mergeRefuses()
{
    QFETCH(Spoil, spoil);
    QFETCH(QString, message);
    Fixture f = makeFixture();
    spoil(f.shards);
    std::vector<fs::path> folders;
    for (std::size_t i = 0; i < f.shards.size(); ++i) {
        folders.push_back(f.shardsDir / ("s" + std::to_string(i)));
        writeShard(folders.back(), f.shards[i]);
    }
    const auto error = errorOf([&] { mergeShards(*f.project, f.version, folders); });
    QVERIFY(error);
    QVERIFY2(QString::fromUtf8(error->what()).contains(message), error->what());
    QVERIFY2(QString::fromUtf8(error->what()).contains(QStringLiteral("/s")), error->what()); // names the shard
    QCOMPARE(count(*f.project, QStringLiteral("SELECT COUNT(*) FROM embedding_rows")), 0);
    QCOMPARE(count(*f.project, QStringLiteral("SELECT COUNT(*) FROM embedding_failures")), 0);
    QVERIFY(!fs::exists(rawEmbeddingsFile(*f.project, f.version)));
}

void TestEmbeddingShards::mergeRefusesAVersionWithEmbeddings()
{
    Fixture f = makeFixture();
    std::vector<fs::path> folders;
    for (const ShardData &d : f.shards) {
        folders.push_back(f.shardsDir / ("s" + std::to_string(d.index)));
        writeShard(folders.back(), d);
    }
    mergeShards(*f.project, f.version, folders);
    const auto again = errorOf([&] { mergeShards(*f.project, f.version, folders); });
    QVERIFY(again && std::string(again->what()).find("already has 30") != std::string::npos);
    QCOMPARE(count(*f.project, QStringLiteral("SELECT COUNT(*) FROM embedding_rows")), 30);
}

void TestEmbeddingShards::failedIndexLeavesTheProjectAsItWas()
{
    Fixture f = makeFixture();
    std::vector<fs::path> folders;
    for (const ShardData &d : f.shards) {
        folders.push_back(f.shardsDir / ("s" + std::to_string(d.index)));
        writeShard(folders.back(), d);
    }
    mergeShards(*f.project, f.version, folders);
    f.project->addQueries({1, 5, 12, 20}, "test");
    const auto first = buildIndexAndFreeze(*f.project, f.version, {}, false, 5, false, false);
    QCOMPARE(first.frozen.frozen, 4);
    const std::string file = recordedIndexFile(*f.project, f.version).value();
    const fs::path dir = modelDirectory(*f.project, f.version);
    const std::set<std::string> files = indexFiles(dir);
    QVERIFY(files == std::set<std::string>{file});
    f.project->addQueries({25}, "test"); // a query without a list: the next build would freeze it
    const auto lists = allLists(*f.project, f.version);

    // A failure after the new index file is written and the new lists computed, at the commit.
    IndexOptions hnsw;
    hnsw.kind = IndexKind::Hnsw;
    const auto late = errorOf([&] {
        buildIndexAndFreeze(*f.project, f.version, hnsw, false, 3, true, false,
                            [] { throw Error(ErrorCode::Internal, {}, "disk full (simulated)"); });
    });
    QVERIFY(late && std::string(late->what()).find("simulated") != std::string::npos);
    QVERIFY(recordedIndexFile(*f.project, f.version).value() == file);
    QVERIFY(indexFiles(dir) == files); // the new file is gone, the old one is still there
    QVERIFY(sameLists(allLists(*f.project, f.version), lists));
    QVERIFY(frozenResultList(*f.project, f.version, 25).empty());
    QCOMPARE(ModelIndex::load(*f.project, f.version).kind(), IndexKind::Exact);

    // A failure in the build itself (a bad option).
    IndexOptions bad;
    bad.kind = IndexKind::Hnsw;
    bad.hnswM = 1;
    QVERIFY(errorOf([&] { buildIndexAndFreeze(*f.project, f.version, bad, false, 5, true, false); }));
    QVERIFY(recordedIndexFile(*f.project, f.version).value() == file);
    QVERIFY(indexFiles(dir) == files);
    QVERIFY(sameLists(allLists(*f.project, f.version), lists));

    // A good rebuild replaces the file, records the new one and deletes the old.
    const auto second = buildIndexAndFreeze(*f.project, f.version, hnsw, false, 5, false, false);
    QCOMPARE(second.frozen.frozen, 1);
    QCOMPARE(second.frozen.alreadyFrozen, 4);
    const std::string newFile = recordedIndexFile(*f.project, f.version).value();
    QVERIFY(newFile != file);
    QVERIFY(indexFiles(dir) == std::set<std::string>{newFile});
    QCOMPARE(ModelIndex::load(*f.project, f.version).kind(), IndexKind::Hnsw);
}

QTEST_GUILESS_MAIN(TestEmbeddingShards)
#include "tst_embeddingshards.moc"
