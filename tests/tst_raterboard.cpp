// RaterBoard on its own: assignments (balanced, seeded, overlap to a second rater), progress
// per rater (assigned, done, in progress, grades, heartbeat), and the change feed the GUI polls
// (event stamp, pairs and queries changed since an event). Runs on SQLite, and on PostgreSQL as
// tst_raterboard_pg.
#include "core/project/FrozenLists.h"
#include "core/project/JudgmentStore.h"
#include "core/project/RaterBoard.h"
#include "support/TwoModelProject.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <set>

using namespace lookalike;

namespace {

// Every candidate of the query's frozen lists, over the versions (sorted, unique).
std::vector<std::int64_t> candidatesOf(const testsupport::TwoModelProject &f, std::int64_t query)
{
    std::set<std::int64_t> all;
    for (const ModelVersion &v : f.versions)
        for (std::int64_t c : frozenCandidates(*f.project, v.id, query))
            all.insert(c);
    return {all.begin(), all.end()};
}

} // namespace

class TestRaterBoard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void planIsBalancedSeededAndOverlaps();
    void assignReplacesAndListsPerRater();
    void progressCountsDoneAndInProgress();
    void changeFeedNamesThePairs();
};

void TestRaterBoard::planIsBalancedSeededAndOverlaps()
{
    std::vector<std::int64_t> queries;
    for (std::int64_t q = 1; q <= 20; ++q)
        queries.push_back(q);
    const Assignment plan = planAssignment(queries, {"ana", "ben", "cy"}, 0.25, 5);
    QCOMPARE(plan.size(), queries.size());
    std::map<std::string, int> load;
    int shared = 0;
    for (const auto &[query, raters] : plan) {
        QVERIFY(raters.size() == 1 || raters.size() == 2);
        if (raters.size() == 2) {
            QVERIFY(raters[0] != raters[1]);
            ++shared;
        }
        for (const std::string &r : raters)
            ++load[r];
    }
    QCOMPARE(shared, 5); // 25 % of 20
    const auto [lo, hi] = std::minmax_element(load.begin(), load.end(),
                                              [](const auto &a, const auto &b) { return a.second < b.second; });
    QVERIFY(hi->second - lo->second <= 1); // 25 assignments over 3 raters: 8, 8, 9
    QCOMPARE(planAssignment(queries, {"ana", "ben", "cy"}, 0.25, 5), plan); // seeded
    QVERIFY(planAssignment(queries, {"ana", "ben", "cy"}, 0.25, 6) != plan);
    QCOMPARE(planAssignment(queries, {"ana"}, 0.0, 1).size(), queries.size());
}

void TestRaterBoard::assignReplacesAndListsPerRater()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    QVERIFY(board.assignment().empty());
    const Assignment first = board.assign({"ana", "ben"}, 0.5, 3);
    QCOMPARE(board.assignment(), first);
    const auto ana = board.assignedQueries("ana"), ben = board.assignedQueries("ben");
    QCOMPARE(ana.size() + ben.size(), f.queries.size() + 4); // 8 queries, half of them twice
    QVERIFY(std::is_sorted(ana.begin(), ana.end()));
    // A new assignment replaces the old one whole.
    board.assign({"cy"}, 0.0, 1);
    QVERIFY(board.assignedQueries("ana").empty());
    QCOMPARE(board.assignedQueries("cy").size(), f.queries.size());
}

void TestRaterBoard::progressCountsDoneAndInProgress()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    JudgmentStore store(*f.project);
    const std::int64_t q0 = f.queries[0], q1 = f.queries[1];
    // ana finishes q0 (every candidate of every version's list) and starts q1.
    for (std::int64_t c : candidatesOf(f, q0))
        store.grade(q0, c, "ana", 1);
    store.grade(q1, candidatesOf(f, q1).front(), "ana", 2);
    board.setCurrentQuery("ana", q1);
    store.grade(q0, candidatesOf(f, q0).front(), "ben", 0);
    const std::vector<RaterStatus> progress = board.progress();
    const auto of = [&](const std::string &name) {
        return *std::find_if(progress.begin(), progress.end(), [&](const RaterStatus &s) { return s.rater == name; });
    };
    const RaterStatus ana = of("ana"), ben = of("ben");
    QCOMPARE(ana.done, 1);
    QCOMPARE(ana.inProgress, 1);
    QCOMPARE(ana.grades, static_cast<std::int64_t>(candidatesOf(f, q0).size()) + 1);
    QCOMPARE(ana.currentQuery, std::optional<std::int64_t>(q1));
    QVERIFY(!ana.lastSeen.empty());
    QCOMPARE(ben.done, 0);
    QCOMPARE(ben.inProgress, 1);
    QVERIFY(!ben.currentQuery);
    board.setCurrentQuery("ana", std::nullopt);
    for (const RaterStatus &s : board.progress())
        if (s.rater == "ana") {
            QVERIFY(!s.currentQuery);
            QVERIFY(!s.lastSeen.empty()); // still seen, on no query
        }
}

void TestRaterBoard::changeFeedNamesThePairs()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    JudgmentStore store(*f.project);
    const auto before = board.eventStamp();
    const std::int64_t q = f.queries[2];
    const std::vector<std::int64_t> candidates = candidatesOf(f, q);
    QVERIFY(candidates.size() >= 2);
    store.grade(q, candidates[0], "ana", 1);
    store.grade(q, candidates[1], "ben", 2);
    store.undo("ana");
    const auto after = board.eventStamp();
    QCOMPARE(after.first, before.first + 3);
    QVERIFY(after.second > before.second);
    std::int64_t events = 0;
    const auto pairs = board.pairsChangedSince(before.second, &events);
    QCOMPARE(events, 3);
    const std::set<std::pair<std::int64_t, std::int64_t>> changed(pairs.begin(), pairs.end());
    QCOMPARE(changed, (std::set<std::pair<std::int64_t, std::int64_t>>{{q, candidates[0]}, {q, candidates[1]}}));
    QCOMPARE(board.queriesChangedSince(before.second), std::vector<std::int64_t>{q});
    QVERIFY(board.pairsChangedSince(after.second, &events).empty());
    QCOMPARE(events, 0);
}

QTEST_MAIN(TestRaterBoard)
#include "tst_raterboard.moc"
