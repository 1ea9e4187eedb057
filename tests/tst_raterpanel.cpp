// The raters dock of the main window: other raters' progress, the query each is on, and their
// new grades reaching this rater's metrics without a reload. Registered twice: on the project's
// SQLite file (tst_raterpanel) and on PostgreSQL (tst_raterpanel_pg).
#include "core/project/JudgmentDatabase.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/RaterBoard.h"
#include "support/JudgmentBackend.h"
#include "support/TwoModelProject.h"
#include "ui/MainWindow.h"
#include "ui/RaterProgressPanel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"

#include "ui/NeighbourGrid.h"
#include "ui/QueryListModel.h"

#include <QCheckBox>
#include <QLabel>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QThread>

#include <set>

using namespace lookalike;
using namespace lookalike::ui;

namespace {

// The panel's row of `rater` as its cells' texts (empty if none).
QStringList rowOf(QTableWidget *table, const QString &rater)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 0) && table->item(r, 0)->text().startsWith(rater)) {
            QStringList cells;
            for (int c = 0; c < table->columnCount(); ++c)
                cells << (table->item(r, c) ? table->item(r, c)->text() : QString());
            return cells;
        }
    return {};
}

} // namespace

class TestRaterPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsProgressAndWhoIsOnWhichQuery();
    void anotherRatersGradesUpdateTheMetricsLive();
    void lostServerIsShownInThePanel();
    void raterSeesTheirAssignedQueriesFirst();
};

void TestRaterPanel::showsProgressAndWhoIsOnWhichQuery()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard ben(*f.project); // "ben" works through his own connection, as another process would
    ben.assign({"ana", "ben"}, 0.0, 1);
    MainWindow w;
    w.show();
    QVERIFY2(w.openProject(f.folder, QStringLiteral("ana")), qPrintable(w.lastError()));
    auto *panel = w.findChild<RaterProgressPanel *>();
    QVERIFY(panel);
    // ana is on the query the review view shows; others see it through the database.
    const qint64 shown = w.reviewView()->currentQuery();
    QVERIFY(shown != 0);
    bool anaSeen = false;
    for (const RaterStatus &s : ben.progress())
        if (s.rater == "ana") {
            anaSeen = s.currentQuery == std::optional<std::int64_t>(shown);
            QCOMPARE(s.assigned, 4);
        }
    QVERIFY(anaSeen);
    // ben moves to a query; the panel shows it on its next tick (every 2 s).
    ben.setCurrentQuery("ben", f.queries[5]);
    const QString key = QString::fromStdString(f.project->item(f.queries[5]).key);
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(panel->table(), QStringLiteral("ben")).value(4), key, 5000);
    const QStringList anaRow = rowOf(panel->table(), QStringLiteral("ana"));
    QVERIFY2(anaRow.value(0).contains(QStringLiteral("(you)")), qPrintable(anaRow.join(QLatin1Char('|'))));
    QCOMPARE(anaRow.value(1), QStringLiteral("4")); // assigned
    // ana moves on: her heartbeat follows.
    w.reviewView()->showQuery(f.queries[2]);
    for (const RaterStatus &s : ben.progress())
        if (s.rater == "ana")
            QCOMPARE(s.currentQuery, std::optional<std::int64_t>(f.queries[2]));
}

void TestRaterPanel::anotherRatersGradesUpdateTheMetricsLive()
{
    auto f = testsupport::makeTwoModelProject();
    MainWindow w;
    w.show();
    QVERIFY2(w.openProject(f.folder, QStringLiteral("ana")), qPrintable(w.lastError()));
    auto *panel = w.findChild<RaterProgressPanel *>();
    QVERIFY(panel);
    ReviewSession *session = w.session();
    const std::int64_t query = f.queries[0];
    const std::int64_t model = f.versions[0].id;
    QVERIFY(!session->queryMetrics(query, model)); // nothing graded yet
    const auto list = session->candidates(query, model);
    QVERIFY(!list.empty());
    w.reviewView()->showQuery(query);
    QSignalSpy changed(session, &ReviewSession::judgmentChanged);
    QSignalSpy status(w.reviewView(), &ReviewView::statusMessage);
    // ben grades the top candidate through his own connection.
    JudgmentStore(*f.project).grade(query, list.front().itemId, "ben", 3);
    QSignalSpy polled(session, &ReviewSession::othersPolled);
    session->poll(); // what the session's timer does every 2 s
    QCOMPARE(polled.count(), 1);
    QCOMPARE(polled.front().at(0).toString(), QString());
    QCOMPARE(changed.count(), 1);
    QCOMPARE(status.count(), 0); // ben's grade is not reported to ana as "Saved."
    const auto change = qvariant_cast<JudgmentChange>(changed.front().at(0));
    QCOMPARE(change.query, static_cast<qint64>(query));
    QCOMPARE(change.candidate, static_cast<qint64>(list.front().itemId));
    QVERIFY(!change.own);
    QCOMPARE(change.grade, std::optional<int>(3)); // the grade the metrics now use...
    QVERIFY(!change.ownGrade);                     // ...and ana's own, still none
    QVERIFY(session->queryMetrics(query, model)); // the query now enters the mean
    QCOMPARE(session->gradesOf(query, list.front().itemId).first, std::optional<int>(3));
    // ana's own grade is not reported again by the next poll.
    QVERIFY(session->grade(query, list.back().itemId, 1));
    QCOMPARE(status.count(), 1);
    QVERIFY(status.front().at(0).toString().startsWith(QStringLiteral("Saved.")));
    changed.clear();
    session->poll();
    QCOMPARE(changed.count(), 0);
}

void TestRaterPanel::lostServerIsShownInThePanel()
{
    if (!testsupport::testingPostgres())
        QSKIP("a PostgreSQL connection (runs in tst_raterpanel_pg)");
    auto f = testsupport::makeTwoModelProject();
    MainWindow w;
    w.show();
    QVERIFY2(w.openProject(f.folder, QStringLiteral("ana")), qPrintable(w.lastError()));
    auto *panel = w.findChild<RaterProgressPanel *>();
    QVERIFY(panel);
    auto *summary = panel->findChild<QLabel *>();
    QVERIFY(summary);
    const auto list = w.session()->candidates(f.queries[0], f.versions[0].id);
    QVERIFY(list.size() >= 2);
    const std::int64_t candidate = list.front().itemId;
    // An administrator's session in another database of the cluster (a database cannot refuse
    // connections to itself from inside).
    const QString name = f.project->judgmentDatabase().database().databaseName();
    QSqlDatabase admin = QSqlDatabase::cloneDatabase(f.project->judgmentDatabase().database(), QStringLiteral("pgadmin"));
    admin.setDatabaseName(QStringLiteral("postgres"));
    QVERIFY(admin.open());
    auto adminExec = [&admin](const QString &sql) {
        QSqlQuery q(admin);
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning().noquote() << sql << q.lastError().text();
        return ok;
    };
    const QString dropSessions = QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%1'").arg(name);
    // The server goes away (as a restart does) and refuses new sessions for a while: the
    // window's connection is dropped and cannot be made again.
    QVERIFY(adminExec(QStringLiteral("ALTER DATABASE \"%1\" ALLOW_CONNECTIONS false").arg(name)));
    QVERIFY(adminExec(dropSessions));
    w.session()->poll(); // tries to connect again, a bounded number of times, then says why
    QVERIFY2(summary->text().startsWith(QStringLiteral("Cannot refresh: ")), qPrintable(summary->text()));
    QVERIFY2(summary->text().contains(QString::fromStdString(*f.project->judgmentDatabaseUrl())), qPrintable(summary->text()));
    QVERIFY(!summary->text().contains(QLatin1Char('\n')));
    QVERIFY(w.lastError().isEmpty()); // the timer does not fill the window's error line
    // A grade is refused, as one line naming the database; nothing is saved.
    QVERIFY(!w.session()->grade(f.queries[0], candidate, 2));
    QVERIFY2(w.lastError().contains(QString::fromStdString(*f.project->judgmentDatabaseUrl())), qPrintable(w.lastError()));
    qInfo().noquote() << "panel:" << summary->text() << "\ngrade:" << w.lastError();

    // The server is back: the next poll reconnects by itself, and grades are saved once each.
    QVERIFY(adminExec(QStringLiteral("ALTER DATABASE \"%1\" ALLOW_CONNECTIONS true").arg(name)));
    w.session()->poll();
    QVERIFY2(!summary->text().startsWith(QStringLiteral("Cannot refresh: ")), qPrintable(summary->text()));
    QVERIFY2(w.session()->grade(f.queries[0], candidate, 2), qPrintable(w.lastError()));
    // Dropped again while the rater thinks: the next grade reconnects before it writes.
    QVERIFY(adminExec(dropSessions));
    QThread::msleep(100);
    QVERIFY2(w.session()->grade(f.queries[0], list[1].itemId, 1), qPrintable(w.lastError()));
    f.project->judgmentDatabase().ensureConnected(); // the test's own session was dropped too
    JudgmentStore store(*f.project);
    QCOMPARE(store.history(f.queries[0]).size(), std::size_t(2)); // each grade once, the refused one not at all
    admin.close();
}

// The review list of a rater with an assignment holds only their queries (`n` walks them);
// unticking the box shows every query. A rater without an assignment sees all, no box.
void TestRaterPanel::raterSeesTheirAssignedQueriesFirst()
{
    auto f = testsupport::makeTwoModelProject();
    RaterBoard board(*f.project);
    board.assign({"ana", "ben"}, 0.0, 7);
    const std::vector<std::int64_t> mine = board.assignedQueries("ana");
    QVERIFY(!mine.empty() && mine.size() < f.queries.size());
    const std::set<std::int64_t> mineSet(mine.begin(), mine.end());
    auto listedIds = [](QTableView *table) {
        std::vector<std::int64_t> ids;
        for (int r = 0; r < table->model()->rowCount(); ++r)
            ids.push_back(table->model()->index(r, 0).data(QueryListModel::QueryIdRole).toLongLong());
        return ids;
    };
    {
        MainWindow w;
        w.show();
        QVERIFY2(w.openProject(f.folder, QStringLiteral("ana")), qPrintable(w.lastError()));
        auto *only = w.findChild<QCheckBox *>(QStringLiteral("assignedOnly"));
        auto *table = w.findChild<QTableView *>(QStringLiteral("queryTable"));
        QVERIFY(only && table);
        QVERIFY(!only->isHidden());
        QVERIFY(only->isChecked());
        const std::vector<std::int64_t> listed = listedIds(table);
        QCOMPARE(listed.size(), mine.size());
        for (std::int64_t id : listed)
            QVERIFY2(mineSet.count(id), "a query of ben's is listed for ana");
        QVERIFY(mineSet.count(w.reviewView()->currentQuery()));
        // n moves to ana's next assigned query, never to one of ben's.
        QVERIFY(QTest::qWaitForWindowActive(&w));
        for (std::size_t i = 1; i < mine.size(); ++i) {
            QTest::keyClick(w.reviewView()->leftGrid(), 'n');
            QVERIFY(mineSet.count(w.reviewView()->currentQuery()));
        }
        only->setChecked(false);
        QCOMPARE(static_cast<std::size_t>(table->model()->rowCount()), f.queries.size());
    }
    {
        MainWindow w;
        w.show();
        QVERIFY2(w.openProject(f.folder, QStringLiteral("cid")), qPrintable(w.lastError()));
        auto *only = w.findChild<QCheckBox *>(QStringLiteral("assignedOnly"));
        auto *table = w.findChild<QTableView *>(QStringLiteral("queryTable"));
        QVERIFY(only && table);
        QVERIFY(only->isHidden());
        QCOMPARE(static_cast<std::size_t>(table->model()->rowCount()), f.queries.size());
    }
}

QTEST_MAIN(TestRaterPanel)
#include "tst_raterpanel.moc"
