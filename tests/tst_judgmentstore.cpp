// Judgments: history and current grades, undo/redo, several raters and resolution rules,
// grade scales, and safety (two writers, a writer killed with SIGKILL).
#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/Project.h"
#include "support/CliRunner.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <csignal>
#include <random>
#include <set>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    std::optional<Project> project;
    std::int64_t q = 0, c1 = 0, c2 = 0, c3 = 0;
};

Fixture makeFixture()
{
    Fixture f;
    const auto catalog = testsupport::makeTestCatalog({});
    f.project.emplace(
        Project::create((testsupport::scratchDir(QStringLiteral("judge")) + QStringLiteral("/p")).toStdString()));
    f.project->importCatalog(catalog.manifest.toStdString(), {});
    testsupport::useTestJudgmentBackend(*f.project); // PostgreSQL in tst_judgmentstore_pg
    f.q = f.project->findItem("red-0")->id;
    f.c1 = f.project->findItem("red-1")->id;
    f.c2 = f.project->findItem("red-2")->id;
    f.c3 = f.project->findItem("blue-0")->id;
    return f;
}

std::optional<int> currentGrade(JudgmentStore &store, std::int64_t q, std::int64_t c, const std::string &rater)
{
    for (const Judgment &j : store.judgments(q, rater))
        if (j.candidateItemId == c)
            return j.grade;
    return std::nullopt;
}

Judgment j(const char *rater, int grade, std::int64_t event)
{
    return {1, 2, rater, grade, {}, event};
}

} // namespace

class TestJudgmentStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gradeIsRecordedWithItsHistory();
    void gradesOutsideTheScaleAreRefused();
    void undoAndRedo();
    void newGradeClearsRedo();
    void undoIsPerRater();
    void randomEditsKeepCurrentEqualToReplayedHistory();
    void resolution_data();
    void resolution();
    void resolvedGradesFollowTheProjectRule();
    void binaryScaleAndThreshold();
    void twoProcessesGradingAtOnceLoseNothing();
    void killedWriterLosesNoAcknowledgedJudgment();
    void droppedConnectionReconnectsAndSavesOnce();
};

void TestJudgmentStore::gradeIsRecordedWithItsHistory()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    const auto e1 = store.grade(f.q, f.c1, "ana", 2, "same colour");
    QVERIFY(!e1.oldGrade);
    QCOMPARE(*e1.newGrade, 2);
    const auto e2 = store.grade(f.q, f.c1, "ana", 3);
    QCOMPARE(*e2.oldGrade, 2);
    QCOMPARE(*e2.newGrade, 3);
    QVERIFY(e2.id > e1.id);
    QCOMPARE(currentGrade(store, f.q, f.c1, "ana"), std::optional<int>(3));
    const auto history = store.history(f.q);
    QCOMPARE(history.size(), std::size_t(2));
    QCOMPARE(history[0].note, std::string("same colour"));
    QCOMPARE(history[1].rater, std::string("ana"));
    QVERIFY(!history[1].at.empty());
    // Removing a grade is an event too.
    store.grade(f.q, f.c1, "ana", std::nullopt);
    QVERIFY(!currentGrade(store, f.q, f.c1, "ana"));
    QCOMPARE(store.history().size(), std::size_t(3));
}

void TestJudgmentStore::gradesOutsideTheScaleAreRefused()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    QVERIFY_THROWS_EXCEPTION(Error, store.grade(f.q, f.c1, "ana", 4));
    QVERIFY_THROWS_EXCEPTION(Error, store.grade(f.q, f.c1, "ana", -1));
    QVERIFY_THROWS_EXCEPTION(Error, store.grade(f.q, 999999, "ana", 1));
    QVERIFY_THROWS_EXCEPTION(Error, store.grade(f.q, f.c1, "", 1));
    QVERIFY(store.history().empty());
}

void TestJudgmentStore::undoAndRedo()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    QVERIFY(!store.undo("ana"));
    store.grade(f.q, f.c1, "ana", 1);
    store.grade(f.q, f.c2, "ana", 2);
    store.grade(f.q, f.c1, "ana", 3);
    QCOMPARE(store.undo("ana")->newGrade, std::optional<int>(1)); // c1: 3 -> 1
    QCOMPARE(store.undo("ana")->candidateItemId, f.c2); // c2: 2 -> none
    QVERIFY(!currentGrade(store, f.q, f.c2, "ana"));
    QCOMPARE(store.redo("ana")->newGrade, std::optional<int>(2)); // c2 back to 2
    QCOMPARE(currentGrade(store, f.q, f.c2, "ana"), std::optional<int>(2));
    QCOMPARE(store.redo("ana")->newGrade, std::optional<int>(3)); // c1 back to 3
    QVERIFY(!store.redo("ana"));
    // Undo everything, down to nothing.
    while (store.undo("ana")) { }
    QVERIFY(store.judgments().empty());
    QCOMPARE(store.history().size(), std::size_t(3 + 2 + 2 + 3)); // all kept as the audit trail
}

void TestJudgmentStore::newGradeClearsRedo()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    store.grade(f.q, f.c1, "ana", 1);
    store.undo("ana");
    store.grade(f.q, f.c2, "ana", 2);
    QVERIFY(!store.redo("ana"));
}

void TestJudgmentStore::undoIsPerRater()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    store.grade(f.q, f.c1, "ana", 1);
    store.grade(f.q, f.c1, "ben", 3);
    store.undo("ana");
    QVERIFY(!currentGrade(store, f.q, f.c1, "ana"));
    QCOMPARE(currentGrade(store, f.q, f.c1, "ben"), std::optional<int>(3)); // ben's grade kept apart
    QCOMPARE(store.raters(), (std::vector<std::string>{"ana", "ben"}));
}

void TestJudgmentStore::randomEditsKeepCurrentEqualToReplayedHistory()
{
    // A model of the intended semantics, driven by random grades, undos and redos.
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    std::mt19937 rng(5);
    const std::vector<std::int64_t> candidates{f.c1, f.c2, f.c3};
    std::map<std::pair<std::string, std::int64_t>, std::optional<int>> model;
    std::map<std::string, std::vector<std::tuple<std::int64_t, std::optional<int>, std::optional<int>>>> done, undone;
    for (int step = 0; step < 150; ++step) {
        const std::string rater = rng() % 2 ? "ana" : "ben";
        const int action = static_cast<int>(rng() % 5);
        if (action <= 2) {
            const std::int64_t c = candidates[rng() % 3];
            const std::optional<int> g
                = rng() % 6 == 0 ? std::nullopt : std::optional<int>(static_cast<int>(rng() % 4));
            done[rater].emplace_back(c, model[{rater, c}], g);
            undone[rater].clear();
            model[{rater, c}] = g;
            store.grade(f.q, c, rater, g);
        } else if (action == 3) {
            const auto e = store.undo(rater);
            QCOMPARE(e.has_value(), !done[rater].empty());
            if (e) {
                auto [c, before, after] = done[rater].back();
                done[rater].pop_back();
                undone[rater].emplace_back(c, before, after);
                model[{rater, c}] = before;
            }
        } else {
            const auto e = store.redo(rater);
            QCOMPARE(e.has_value(), !undone[rater].empty());
            if (e) {
                auto [c, before, after] = undone[rater].back();
                undone[rater].pop_back();
                done[rater].emplace_back(c, before, after);
                model[{rater, c}] = after;
            }
        }
        for (const auto &[key, grade] : model)
            QCOMPARE(currentGrade(store, f.q, key.second, key.first), grade);
    }
}

void TestJudgmentStore::resolution_data()
{
    QTest::addColumn<int>("rule");
    QTest::addColumn<int>("expected");
    // ana 1 (event 1), ben 3 (event 2), cid 1 (event 3), dan 3 (event 4): tie 2-2
    QTest::newRow("latest") << int(ResolutionRule::Latest) << 3;
    QTest::newRow("majority tie goes to the most recent tied grade") << int(ResolutionRule::Majority) << 3;
    QTest::newRow("mean of 1,3,1,3 = 2") << int(ResolutionRule::MeanRounded) << 2;
    QTest::newRow("adjudicator cid") << int(ResolutionRule::Adjudicator) << 1;
}

void TestJudgmentStore::resolution()
{
    QFETCH(int, rule);
    QFETCH(int, expected);
    const std::vector<Judgment> grades{j("ana", 1, 1), j("ben", 3, 2), j("cid", 1, 3), j("dan", 3, 4)};
    QCOMPARE(JudgmentStore::resolve(grades, ResolutionRule(rule), "cid"), expected);
    QCOMPARE(
        JudgmentStore::resolve({j("ana", 1, 1), j("ben", 2, 2)}, ResolutionRule::MeanRounded, {}), 2); // 1.5 rounds up
    QCOMPARE(JudgmentStore::resolve({j("ana", 2, 5), j("ben", 2, 2), j("cid", 0, 9)}, ResolutionRule::Majority, {}), 2);
    QCOMPARE(
        JudgmentStore::resolve({j("ana", 2, 5)}, ResolutionRule::Adjudicator, "nobody"), 2); // falls back to latest
}

void TestJudgmentStore::resolvedGradesFollowTheProjectRule()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    store.grade(f.q, f.c1, "ana", 0);
    store.grade(f.q, f.c1, "ben", 3);
    store.grade(f.q, f.c1, "cid", 0);
    QCOMPARE(store.resolvedGrades().at({f.q, f.c1}), 0); // latest (default): cid's 0
    store.setResolutionRule(ResolutionRule::MeanRounded);
    QCOMPARE(store.resolvedGrades().at({f.q, f.c1}), 1);
    store.setResolutionRule(ResolutionRule::Adjudicator, "ben");
    QCOMPARE(store.resolvedGrades(f.q).at({f.q, f.c1}), 3);
    QCOMPARE(store.adjudicator(), std::string("ben"));
    QVERIFY_THROWS_EXCEPTION(Error, store.setResolutionRule(ResolutionRule::Adjudicator));
}

void TestJudgmentStore::binaryScaleAndThreshold()
{
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    QCOMPARE(store.gradeScale().highest(), 3);
    QCOMPARE(store.gradeScale().label(3), std::string("near-identical / same product"));
    store.setGradeScale(GradeScale::binary());
    QCOMPARE(store.gradeScale().highest(), 1);
    QVERIFY_THROWS_EXCEPTION(Error, store.grade(f.q, f.c1, "ana", 2));
    GradeScale strict = GradeScale::fourLevel();
    strict.relevantThreshold = 2;
    store.setGradeScale(strict);
    QCOMPARE(store.gradeScale().relevantThreshold, 2);
    GradeScale bad = GradeScale::fourLevel();
    bad.relevantThreshold = 0; // everything would be relevant
    QVERIFY_THROWS_EXCEPTION(Error, store.setGradeScale(bad));
}

void TestJudgmentStore::twoProcessesGradingAtOnceLoseNothing()
{
    Fixture f = makeFixture();
    const QString project = QString::fromStdString(f.project->folder().string());
    // Two raters, each grading 15 (query, candidate) pairs as fast as they can, at the same time.
    auto start = [&](const QString &rater) {
        auto *p = new QProcess(this);
        QStringList script;
        for (int i = 0; i < 15; ++i)
            script << QStringLiteral("%1 judge %2 --query red-%3 --candidate blue-%4 --grade %5 --rater %6")
                          .arg(testsupport::lookalikeExecutable(), project)
                          .arg(i % 10)
                          .arg(i / 10)
                          .arg(i % 4)
                          .arg(rater);
        p->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), script.join(QStringLiteral(" && "))});
        return p;
    };
    QProcess *a = start(QStringLiteral("ana"));
    QProcess *b = start(QStringLiteral("ben"));
    QVERIFY(a->waitForFinished(120000) && b->waitForFinished(120000));
    QVERIFY2(a->exitCode() == 0, a->readAllStandardError().constData());
    QVERIFY2(b->exitCode() == 0, b->readAllStandardError().constData());
    JudgmentStore store(*f.project);
    QCOMPARE(store.judgments({}, "ana").size(), std::size_t(15));
    QCOMPARE(store.judgments({}, "ben").size(), std::size_t(15));
    QCOMPARE(store.history().size(), std::size_t(30));
}

void TestJudgmentStore::droppedConnectionReconnectsAndSavesOnce()
{
    if (!testsupport::testingPostgres())
        QSKIP("PostgreSQL only (tst_judgmentstore_pg): SQLite has no connection to lose");
    Fixture f = makeFixture();
    JudgmentStore store(*f.project);
    store.grade(f.q, f.c1, "ana", 2);
    QSqlDatabase &db = f.project->judgmentDatabase().database();
    // The server ends this session's backend, as a restart or a network cut does. A second
    // connection does it, so the cluster the other tests share keeps running.
    auto dropConnection = [&db]() -> qint64 {
        QSqlQuery pid(db);
        if (!pid.exec(QStringLiteral("SELECT pg_backend_pid()")) || !pid.next())
            return -1;
        const qint64 backend = pid.value(0).toLongLong();
        {
            QSqlDatabase killer = QSqlDatabase::cloneDatabase(db, QStringLiteral("killer"));
            if (!killer.open())
                return -1;
            QSqlQuery kill(killer);
            kill.exec(QStringLiteral("SELECT pg_terminate_backend(%1)").arg(backend));
            kill.finish();
            killer.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("killer"));
        QThread::msleep(100); // the backend is gone once the server has processed the signal
        return backend;
    };
    const qint64 first = dropConnection();
    QVERIFY(first > 0);
    // The next grade reconnects by itself and is saved exactly once.
    const auto e = store.grade(f.q, f.c2, "ana", 3);
    QCOMPARE(*e.newGrade, 3);
    QCOMPARE(currentGrade(store, f.q, f.c2, "ana"), std::optional<int>(3));
    QCOMPARE(store.history(f.q).size(), std::size_t(2));

    // A poller (ReviewSession::poll) calls ensureConnected before reading: reads work again too.
    const qint64 second = dropConnection();
    QVERIFY(second > 0 && second != first);
    f.project->judgmentDatabase().ensureConnected();
    QCOMPARE(currentGrade(store, f.q, f.c1, "ana"), std::optional<int>(2));
    QCOMPARE(store.history(f.q).size(), std::size_t(2));

    // Dropped inside a transaction: the change is refused in words, not replayed, and the next
    // one is saved.
    try {
        f.project->judgmentDatabase().inTransaction("ana", [&] {
            dropConnection();
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("SELECT 1")))
                throw Error(ErrorCode::DatabaseError, {}, q.lastError().databaseText().toStdString());
        });
        QFAIL("no error");
    } catch (const Error &lost) {
        QVERIFY2(std::string(lost.what()).find("lost during the change: it was not saved") != std::string::npos,
            lost.what());
    }
    QVERIFY(*store.grade(f.q, f.c3, "ana", 1).newGrade == 1);
    QCOMPARE(store.history(f.q).size(), std::size_t(3));
}

void TestJudgmentStore::killedWriterLosesNoAcknowledgedJudgment()
{
    Fixture f = makeFixture();
    const QString project = QString::fromStdString(f.project->folder().string());
    // A writer prints "ok N" after each judge call returns; we SIGKILL it mid-stream. Every
    // acknowledged judgment must be in the database afterwards.
    QStringList script;
    for (int i = 0; i < 200; ++i)
        script << QStringLiteral(
            "%1 judge %2 --query red-%3 --candidate green-%4 --grade %5 --rater kim --quiet && echo ok %6")
                      .arg(testsupport::lookalikeExecutable(), project)
                      .arg(i % 10)
                      .arg(i / 10 % 10)
                      .arg(i % 4)
                      .arg(i);
    QProcess writer;
    // setsid: the shell leads its own process group, so one kill reaches it and its child.
    writer.start(QStringLiteral("setsid"),
        {QStringLiteral("/bin/sh"), QStringLiteral("-c"), script.join(QStringLiteral(" && "))});
    QVERIFY(writer.waitForStarted());
    // Taken now: once the writer has exited processId() is 0, and kill(-0) would SIGKILL this
    // test's own process group, ctest included.
    const auto writerGroup = static_cast<pid_t>(writer.processId());
    QVERIFY(writerGroup > 0);
    QByteArray out;
    while (out.count('\n') < 8 && writer.state() == QProcess::Running) {
        writer.waitForReadyRead(200);
        out += writer.readAllStandardOutput();
    }
    ::kill(-writerGroup, SIGKILL); // the shell and the judge call it is running
    writer.waitForFinished();
    out += writer.readAllStandardOutput();
    const int acknowledged = static_cast<int>(out.count("ok "));
    QVERIFY(acknowledged >= 8);
    JudgmentStore store(*f.project);
    const auto history = store.history();
    QVERIFY2(static_cast<int>(history.size()) >= acknowledged,
        qPrintable(QStringLiteral("%1 acknowledged, %2 stored").arg(acknowledged).arg(history.size())));
    // The acknowledged ones are exactly the first `acknowledged` calls, in order.
    for (int i = 0; i < acknowledged; ++i)
        QCOMPARE(*history[static_cast<std::size_t>(i)].newGrade, i % 4);
}

QTEST_MAIN(TestJudgmentStore)
#include "tst_judgmentstore.moc"
