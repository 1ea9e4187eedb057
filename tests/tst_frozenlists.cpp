// FrozenLists, the one owner of the frozen result lists: what is written is read back in rank
// order by every reader (one list, its candidates, all entries, lengths, pairs), lists of items
// outside the query set are left out where the metrics must not see them, refreezing replaces a
// list and changes the stamp, and the search kind is kept per list.
#include "core/project/FrozenLists.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QTest>

using namespace lookalike;

class TestFrozenLists : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writtenListsReadBackInRankOrder();
    void refreezingReplacesAListAndChangesTheStamp();

private:
    struct Fixture {
        std::optional<Project> project;
        std::vector<std::int64_t> items;
        ModelVersion a, b;
    };
    static Fixture make();
};

TestFrozenLists::Fixture TestFrozenLists::make()
{
    Fixture f;
    const auto catalog = testsupport::makeTestCatalog();
    f.project.emplace(Project::create((testsupport::scratchDir(QStringLiteral("frozen")) + QStringLiteral("/p")).toStdString()));
    f.project->importCatalog(catalog.manifest.toStdString(), {});
    for (const auto &[id, category] : f.project->itemCategories())
        f.items.push_back(id);
    for (const char *name : {"a", "b"}) {
        ModelVersion v;
        v.name = name;
        v.kind = ModelKind::Precomputed;
        v.source = "/nonexistent.npy";
        v.fingerprint = std::string(64, name[0] == 'a' ? '1' : '2');
        v.dimension = 4;
        v.config = "{}";
        (name[0] == 'a' ? f.a : f.b) = registerModelVersion(*f.project, v);
    }
    return f;
}

void TestFrozenLists::writtenListsReadBackInRankOrder()
{
    Fixture f = make();
    Project &p = *f.project;
    const auto &it = f.items;
    p.addQueries({it[0], it[1]}, "test"); // it[2] gets a list but is not a query
    const std::vector<FrozenList> listsA{{it[0], {{it[5], 0.9f}, {it[3], 0.8f}, {it[4], 0.8f}}},
                                        {it[1], {{it[6], 0.7f}}},
                                        {it[2], {{it[7], 0.5f}}}};
    const std::vector<FrozenList> listsB{{it[0], {{it[4], 0.95f}, {it[8], 0.1f}}}};
    p.inTransaction([&] {
        writeFrozenLists(p, f.a.id, listsA, 3, "exact");
        writeFrozenLists(p, f.b.id, listsB, 3, "hnsw");
    });

    const auto one = frozenResultList(p, f.a, it[0]);
    QCOMPARE(one.size(), std::size_t(3));
    QCOMPARE(one[0].rank, 1);
    QCOMPARE(one[0].candidateItemId, it[5]);
    QCOMPARE(one[2].candidateItemId, it[4]);
    QCOMPARE(one[2].score, 0.8f);
    QCOMPARE(frozenCandidates(p, f.b.id, it[0]), (std::vector<std::int64_t>{it[4], it[8]}));
    FrozenCandidatesReader reader(p);
    QCOMPARE(reader(f.a.id, it[1]), std::vector<std::int64_t>{it[6]});
    QCOMPARE(reader(f.a.id, it[0]), (std::vector<std::int64_t>{it[5], it[3], it[4]})); // reused statement
    QVERIFY(reader(f.b.id, it[1]).empty());

    QCOMPARE(frozenQueries(p, f.a.id), (std::set<std::int64_t>{it[0], it[1], it[2]}));
    const auto lengths = frozenListLengths(p); // the query set only
    QCOMPARE(lengths.at(f.a.id), (std::vector<std::pair<std::int64_t, int>>{{it[0], 3}, {it[1], 1}}));
    QCOMPARE(lengths.at(f.b.id), (std::vector<std::pair<std::int64_t, int>>{{it[0], 2}}));

    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> all;
    forEachFrozenEntry(p, [&](std::int64_t m, std::int64_t q, std::int64_t c) { all.emplace_back(m, q, c); });
    QCOMPARE(all.size(), std::size_t(6)); // not it[2]'s
    QCOMPARE(all.front(), std::make_tuple(f.a.id, it[0], it[5]));
    QCOMPARE(all.back(), std::make_tuple(f.b.id, it[0], it[8]));
    std::vector<std::int64_t> ofB;
    forEachFrozenEntry(p, f.b.id, [&](std::int64_t, std::int64_t c) { ofB.push_back(c); });
    QCOMPARE(ofB, (std::vector<std::int64_t>{it[4], it[8]}));

    const auto pairs = frozenPairs(p);
    QCOMPARE(pairs.size(), std::size_t(5)); // (0,4) is in both lists: once
    QVERIFY(pairs.count({it[0], it[4]}) && !pairs.count({it[2], it[7]}));
    QCOMPARE(modelsWithFrozenLists(p).size(), std::size_t(2));
    QCOMPARE(frozenListsBySearch(p, f.a), (std::map<std::string, std::int64_t>{{"exact", 3}}));
    QCOMPARE(frozenListsBySearch(p, f.b), (std::map<std::string, std::int64_t>{{"hnsw", 1}}));
}

void TestFrozenLists::refreezingReplacesAListAndChangesTheStamp()
{
    Fixture f = make();
    Project &p = *f.project;
    const auto &it = f.items;
    p.addQueries({it[0]}, "test");
    const auto empty = frozenListsStamp(p);
    QCOMPARE(empty.first, 0);
    p.inTransaction([&] { writeFrozenLists(p, f.a.id, {{it[0], {{it[1], 0.5f}, {it[2], 0.4f}}}}, 2, "exact"); });
    const auto first = frozenListsStamp(p);
    QCOMPARE(first.first, 1);
    QTest::qWait(5); // freeze times have millisecond resolution
    p.inTransaction([&] { writeFrozenLists(p, f.a.id, {{it[0], {{it[3], 0.9f}}}}, 1, "hnsw"); });
    QVERIFY(frozenListsStamp(p) != first);
    QCOMPARE(frozenCandidates(p, f.a.id, it[0]), std::vector<std::int64_t>{it[3]}); // replaced, not appended
    QCOMPARE(frozenListsBySearch(p, f.a), (std::map<std::string, std::int64_t>{{"hnsw", 1}}));
}

QTEST_MAIN(TestFrozenLists)
#include "tst_frozenlists.moc"
