// Many raters, one judgment database: PostgreSQL URLs, the database's project identity,
// query assignments, progress and the raters' heartbeat. Registered twice: on the project's
// SQLite file (tst_sharedjudgments) and on PostgreSQL (tst_sharedjudgments_pg).
#include "core/Error.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "core/project/RaterBoard.h"
#include "support/ErrorOf.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"

#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTest>

#include <set>

using namespace lookalike;
using testsupport::errorOf;

class TestSharedJudgments : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void urlIsParsed_data();
    void urlIsParsed();
    void badUrlIsRefused_data();
    void badUrlIsRefused();
    void assignmentPlan_data();
    void assignmentPlan();
    void assignmentIsSeeded();
    void assignReplacesTheAssignmentAndKeepsGrades();
    void progressCountsDoneAndInProgressQueries();
    void heartbeatShowsWhoIsOnWhichQuery();
    void heartbeatGivesUpQuicklyWhenTheDatabaseIsBusy();
    void eventStampSeesOtherRatersGrades();
    void aDatabaseBelongsToOneProject();
    void judgmentDatabaseCanOnlyChangeBeforeTheFirstGrade();
};

void TestSharedJudgments::urlIsParsed_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("options");
    QTest::newRow("host and port") << "postgresql://ana@db.example:5433/grades" << "db.example" << 5433 << "ana" << "grades" << "";
    QTest::newRow("no user, no port") << "postgres://db/grades" << "db" << 0 << "" << "grades" << "";
    QTest::newRow("socket directory") << "postgresql://ana@/grades?host=/tmp/pg%20x" << "/tmp/pg x" << 0 << "ana" << "grades" << "";
    QTest::newRow("ipv6 and sslmode") << "postgresql://ana@[::1]:6000/g?sslmode=require" << "::1" << 6000 << "ana" << "g" << "sslmode=require";
    QTest::newRow("everything from the environment") << "postgresql:///grades" << "" << 0 << "" << "grades" << "";
}

void TestSharedJudgments::urlIsParsed()
{
    QFETCH(QString, url);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, user);
    QFETCH(QString, database);
    QFETCH(QString, options);
    const PostgresUrl u = PostgresUrl::parse(url.toStdString());
    QCOMPARE(QString::fromStdString(u.host), host);
    QCOMPARE(u.port, port);
    QCOMPARE(QString::fromStdString(u.user), user);
    QCOMPARE(QString::fromStdString(u.database), database);
    QCOMPARE(QString::fromStdString(u.options), options);
}

void TestSharedJudgments::badUrlIsRefused_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    QTest::newRow("password in the URL") << "postgresql://ana:secret@db/grades" << "PGPASSWORD or ~/.pgpass";
    QTest::newRow("password parameter") << "postgresql://ana@db/grades?password=secret" << "PGPASSWORD or ~/.pgpass";
    QTest::newRow("no database") << "postgresql://ana@db" << "names no database";
    QTest::newRow("bad port") << "postgresql://ana@db:99999/grades" << "bad port";
    QTest::newRow("not postgres") << "mysql://ana@db/grades" << "not a PostgreSQL URL";
}

void TestSharedJudgments::badUrlIsRefused()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    const auto e = errorOf([&] { PostgresUrl::parse(url.toStdString()); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::InvalidArgument);
    QCOMPARE(QString::fromStdString(e->file()), url);
    QVERIFY2(QString::fromUtf8(e->what()).contains(expected), e->what());
}

void TestSharedJudgments::assignmentPlan_data()
{
    QTest::addColumn<int>("queries");
    QTest::addColumn<QStringList>("raters");
    QTest::addColumn<double>("overlap");
    QTest::addColumn<int>("shared");
    QTest::newRow("one rater") << 7 << QStringList{QStringLiteral("ana")} << 0.0 << 0;
    QTest::newRow("two raters, no overlap") << 9 << QStringList{QStringLiteral("ana"), QStringLiteral("ben")} << 0.0 << 0;
    QTest::newRow("three raters, 20% overlap") << 50 << QStringList{QStringLiteral("ana"), QStringLiteral("ben"), QStringLiteral("cid")} << 0.2 << 10;
    QTest::newRow("everything twice") << 8 << QStringList{QStringLiteral("ana"), QStringLiteral("ben")} << 1.0 << 8;
    QTest::newRow("more raters than queries") << 2 << QStringList{QStringLiteral("ana"), QStringLiteral("ben"), QStringLiteral("cid"), QStringLiteral("dan")} << 0.5 << 1;
}

void TestSharedJudgments::assignmentPlan()
{
    QFETCH(int, queries);
    QFETCH(QStringList, raters);
    QFETCH(double, overlap);
    QFETCH(int, shared);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < queries; ++i)
        ids.push_back(100 + i * 3);
    std::vector<std::string> names;
    for (const QString &r : raters)
        names.push_back(r.toStdString());
    const Assignment plan = planAssignment(ids, names, overlap, 7);
    QCOMPARE(static_cast<int>(plan.size()), queries); // every query is assigned
    int twice = 0;
    std::map<std::string, int> primaryLoad, load;
    for (const auto &[query, who] : plan) {
        QVERIFY(who.size() == 1 || who.size() == 2);
        if (who.size() == 2) {
            ++twice;
            QVERIFY(who[0] != who[1]); // two distinct raters
        }
        ++primaryLoad[who[0]];
        for (const std::string &r : who)
            ++load[r];
    }
    QCOMPARE(twice, shared);
    // Balanced: the first raters' counts differ by at most one, and so do the total loads.
    int lo = queries, hi = 0, totalLo = queries * 2, totalHi = 0;
    for (const std::string &r : names) {
        lo = std::min(lo, primaryLoad[r]);
        hi = std::max(hi, primaryLoad[r]);
        totalLo = std::min(totalLo, load[r]);
        totalHi = std::max(totalHi, load[r]);
    }
    QVERIFY(hi - lo <= 1);
    QVERIFY2(totalHi - totalLo <= 1, qPrintable(QStringLiteral("loads %1..%2").arg(totalLo).arg(totalHi)));
}

void TestSharedJudgments::assignmentIsSeeded()
{
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 40; ++i)
        ids.push_back(i + 1);
    const std::vector<std::string> raters{"ana", "ben", "cid"};
    QVERIFY(planAssignment(ids, raters, 0.2, 5) == planAssignment(ids, raters, 0.2, 5));
    QVERIFY(planAssignment(ids, raters, 0.2, 5) != planAssignment(ids, raters, 0.2, 6));
    QVERIFY(errorOf([&] { planAssignment(ids, {"ana"}, 0.2, 1); }));          // overlap needs two raters
    QVERIFY(errorOf([&] { planAssignment(ids, {"ana", "ana"}, 0.0, 1); }));   // a rater twice
    QVERIFY(errorOf([&] { planAssignment(ids, raters, 1.5, 1); }));           // overlap > 1
    QVERIFY(errorOf([&] { planAssignment({}, raters, 0.0, 1); }));            // no queries
}

void TestSharedJudgments::assignReplacesTheAssignmentAndKeepsGrades()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    JudgmentStore store(*f.project);
    const Assignment first = board.assign({"ana", "ben"}, 0.25, 1);
    QVERIFY(board.assignment() == first);
    QCOMPARE(first.size(), f.queries.size());
    const std::int64_t q = board.assignedQueries("ana").front();
    store.grade(q, f.queries.back() == q ? f.queries.front() : f.queries.back(), "ana", 2);
    const Assignment second = board.assign({"cid", "dan", "eve"}, 0.0, 2);
    QVERIFY(board.assignment() == second);
    QVERIFY(board.assignedQueries("ana").empty());
    QCOMPARE(store.judgments({}, "ana").size(), std::size_t(1)); // grades stay
}

void TestSharedJudgments::progressCountsDoneAndInProgressQueries()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    JudgmentStore store(*f.project);
    board.assign({"ana", "ben"}, 0.0, 1);
    const std::vector<std::int64_t> mine = board.assignedQueries("ana");
    QCOMPARE(mine.size(), std::size_t(4));
    // ana grades every candidate of her first query and one of her second.
    std::set<std::int64_t> candidates;
    for (const ModelVersion &v : f.versions)
        for (const ResultEntry &entry : frozenResultList(*f.project, v, mine[0]))
            candidates.insert(entry.candidateItemId);
    for (std::int64_t c : candidates)
        store.grade(mine[0], c, "ana", 1);
    store.grade(mine[1], *candidates.begin() == mine[1] ? *candidates.rbegin() : *candidates.begin(), "ana", 0);
    std::map<std::string, RaterStatus> byName;
    for (const RaterStatus &s : board.progress())
        byName[s.rater] = s;
    QCOMPARE(byName["ana"].assigned, 4);
    QCOMPARE(byName["ana"].done, 1);
    QCOMPARE(byName["ana"].grades, static_cast<std::int64_t>(candidates.size() + 1));
    QCOMPARE(byName["ben"].assigned, 4);
    QCOMPARE(byName["ben"].done, 0);
    QCOMPARE(byName["ben"].inProgress, 0);
}

void TestSharedJudgments::heartbeatShowsWhoIsOnWhichQuery()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    board.setCurrentQuery("ana", f.queries[2]);
    board.setCurrentQuery("ben", f.queries[5]);
    board.setCurrentQuery("ana", f.queries[3]); // moved on
    std::map<std::string, RaterStatus> byName;
    for (const RaterStatus &s : board.progress())
        byName[s.rater] = s;
    QCOMPARE(byName.size(), std::size_t(2));
    QCOMPARE(byName["ana"].currentQuery, std::optional<std::int64_t>(f.queries[3]));
    QCOMPARE(byName["ben"].currentQuery, std::optional<std::int64_t>(f.queries[5]));
    QVERIFY(!byName["ana"].lastSeen.empty());
    board.setCurrentQuery("ben", std::nullopt); // left
    for (const RaterStatus &s : board.progress())
        if (s.rater == "ben")
            QVERIFY(!s.currentQuery);
}

void TestSharedJudgments::heartbeatGivesUpQuicklyWhenTheDatabaseIsBusy()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    board.setCurrentQuery("ana", f.queries[0]); // rater and row exist
    // Another process holds the write lock (SQLite) or ana's lock (PostgreSQL) meanwhile.
    Project other = Project::open(f.folder.toStdString());
    other.judgmentDatabase().inTransaction("ana", [&] {
        QElapsedTimer timer;
        timer.start();
        const auto e = errorOf([&] { board.setCurrentQuery("ana", f.queries[1]); });
        QVERIFY(e);
        QCOMPARE(e->code(), ErrorCode::DatabaseLocked);
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    });
    // Afterwards grades wait the usual 5 s again, and the heartbeat works.
    if (!testsupport::testingPostgres()) {
        QSqlQuery q(f.project->database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA busy_timeout")) && q.next());
        QCOMPARE(q.value(0).toInt(), 5000);
    }
    board.setCurrentQuery("ana", f.queries[2]);
    for (const RaterStatus &s : board.progress())
        QCOMPARE(s.currentQuery, std::optional<std::int64_t>(f.queries[2]));
}

void TestSharedJudgments::eventStampSeesOtherRatersGrades()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    const auto before = board.eventStamp();
    // Another rater's process: its own Project and connection.
    {
        Project other = Project::open(f.folder.toStdString());
        JudgmentStore(other).grade(f.queries[1], f.queries[4], "ben", 3);
        JudgmentStore(other).grade(f.queries[6], f.queries[4], "ben", 1);
    }
    const auto after = board.eventStamp();
    QCOMPARE(after.first, before.first + 2);
    QVERIFY(after.second > before.second);
    const std::vector<std::int64_t> changed = board.queriesChangedSince(before.second);
    QCOMPARE(changed, (std::vector<std::int64_t>{f.queries[1], f.queries[6]}));
}

void TestSharedJudgments::aDatabaseBelongsToOneProject()
{
    if (!testsupport::testingPostgres())
        QSKIP("a property of the shared PostgreSQL database (runs in tst_sharedjudgments_pg)");
    auto a = testsupport::makeTwoModelProject();
    const std::string url = *a.project->judgmentDatabaseUrl();
    auto b = testsupport::makeTwoModelProject(12);
    const auto e = errorOf([&] { b.project->setJudgmentDatabase(url); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::InvalidArgument);
    QCOMPARE(e->file(), url);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("another project")), e->what());
    // The first project still opens it, from another connection too.
    Project again = Project::open(a.folder.toStdString());
    JudgmentStore(again).grade(a.queries[0], a.queries[1], "ana", 1);
    QCOMPARE(JudgmentStore(*a.project).history().size(), std::size_t(1));
}

void TestSharedJudgments::judgmentDatabaseCanOnlyChangeBeforeTheFirstGrade()
{
    auto f = testsupport::makeTwoModelProject();
    JudgmentStore store(*f.project);
    store.grade(f.queries[0], f.queries[1], "ana", 2);
    const auto before = f.project->judgmentDatabaseUrl();
    const std::string target = testsupport::testingPostgres() ? std::string() : std::string("postgresql://nobody@/x?host=/nonexistent");
    const auto e = errorOf([&] { f.project->setJudgmentDatabase(target); });
    QVERIFY(e);
    QCOMPARE(f.project->judgmentDatabaseUrl(), before); // unchanged
    QCOMPARE(store.history().size(), std::size_t(1));   // nothing lost
    if (testsupport::testingPostgres())
        QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("before the first grade")), e->what());
}

QTEST_MAIN(TestSharedJudgments)
#include "tst_sharedjudgments.moc"
