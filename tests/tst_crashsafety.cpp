// Crash safety of grading: the real `lookalike` GUI process grades a project from key presses
// and is killed with SIGKILL in the middle of the session, with more keys still queued. Then
// the database passes PRAGMA integrity_check and holds every grade the GUI had shown on a card
// before the kill. The keys and the shown grades go through the test-only driver
// (ui/TestDriver.h, LOOKALIKE_TEST_DRIVER=1): keys arrive on stdin and take the window system's
// path; the card delegate prints "shown QUERY ITEM GRADE" when it paints a new badge.
//
// A GUI that kept grades in memory and wrote them later (on a timer, on quit), or a database
// left torn by a kill during a write, fails here.
#include "core/project/Project.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <set>
#include <tuple>

using Shown = std::tuple<qint64, qint64, int>; // query item, candidate item, grade

class TestCrashSafety : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void connectionsUseWalAndFullSync();
    void killedGuiKeepsEveryShownGrade_data();
    void killedGuiKeepsEveryShownGrade();
};

namespace {

// Runs one value through a raw SQLite connection to the project's database (no Project, no
// migration: the file as the killed process left it).
struct RawDatabase {
    explicit RawDatabase(const QString &file)
        : name(QStringLiteral("crash-check-%1").arg(++counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(file);
        if (!db.open())
            qFatal("cannot open %s: %s", qPrintable(file), qPrintable(db.lastError().text()));
    }
    ~RawDatabase() { QSqlDatabase::removeDatabase(name); }
    QSqlDatabase db() const { return QSqlDatabase::database(name); }
    QString scalar(const QString &sql) const
    {
        QSqlQuery q(db());
        if (!q.exec(sql) || !q.next())
            return QStringLiteral("<%1>").arg(q.lastError().text());
        return q.value(0).toString();
    }
    QString name;
    static inline int counter = 0;
};

// Keys for a grading session that outlasts any kill point: five grades per query, then n.
QByteArray gradingKeys()
{
    QByteArray keys;
    for (int pass = 0; pass < 40; ++pass)
        for (int query = 0; query < 8; ++query) {
            for (int card = 0; card < 5; ++card)
                keys += QByteArray::number((pass + query + card) % 4) + '\n';
            keys += "n\n";
        }
    return keys;
}

bool parseShown(const QByteArray &line, Shown *out)
{
    const QList<QByteArray> f = line.trimmed().split(' ');
    if (f.size() != 4 || f[0] != "shown")
        return false;
    *out = {f[1].toLongLong(), f[2].toLongLong(), f[3].toInt()};
    return true;
}

} // namespace

void TestCrashSafety::connectionsUseWalAndFullSync()
{
    // Every connection of the engine (the GUI's included) is set up by Project::open.
    testsupport::TwoModelProject p = testsupport::makeTwoModelProject();
    QSqlQuery q(p.project->database());
    QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
    QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
    QVERIFY(q.exec(QStringLiteral("PRAGMA synchronous")) && q.next());
    QCOMPARE(q.value(0).toInt(), 2); // FULL: the WAL is synced at every commit
}

void TestCrashSafety::killedGuiKeepsEveryShownGrade_data()
{
    // One GUI run per entry: it is killed `delay` ms after it has shown `killAfter` new grades.
    // A grade takes a few ms to tens of ms (its commit syncs the WAL to disk), so the delays put
    // the kill between grades or inside the next one's write.
    QTest::addColumn<QList<int>>("killAfter");
    QTest::addColumn<QList<int>>("delay");
    QTest::newRow("at once after the first grade") << QList<int>{1} << QList<int>{0};
    QTest::newRow("7 ms after 7 grades (second query)") << QList<int>{7} << QList<int>{7};
    QTest::newRow("23 ms after 37 grades (regrades begin)") << QList<int>{37} << QList<int>{23};
    QTest::newRow("killed four times on one project") << QList<int>{4, 13, 26, 9} << QList<int>{3, 0, 11, 31};
}

void TestCrashSafety::killedGuiKeepsEveryShownGrade()
{
    QFETCH(QList<int>, killAfter);
    QFETCH(QList<int>, delay);
    testsupport::TwoModelProject fixture = testsupport::makeTwoModelProject();
    const QString folder = fixture.folder;
    fixture.project.reset(); // the GUI process opens its own connection
    const QString dbFile = folder + QStringLiteral("/lookalike.db");
    const QString config = testsupport::scratchDir(QStringLiteral("crash-config"));

    std::set<Shown> shownEver;
    for (int run = 0; run < killAfter.size(); ++run) {
        const int target = killAfter[run];
        QProcess gui;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("LOOKALIKE_TEST_DRIVER"), QStringLiteral("1"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), config); // no remembered settings of the user's
        gui.setProcessEnvironment(env);
        gui.setProcessChannelMode(QProcess::SeparateChannels);
        gui.start(testsupport::lookalikeExecutable(),
            {folder, QStringLiteral("--rater"), QStringLiteral("ana"), QStringLiteral("--tab"),
                QStringLiteral("review")});
        QVERIFY2(gui.waitForStarted(10000), qPrintable(gui.errorString()));

        std::vector<Shown> shown;
        bool ready = false, keysSent = false;
        QElapsedTimer clock;
        clock.start();
        auto readLines = [&] {
            while (gui.canReadLine()) {
                const QByteArray line = gui.readLine();
                Shown s;
                if (line.trimmed() == "ready")
                    ready = true;
                else if (parseShown(line, &s))
                    shown.push_back(s);
            }
        };
        // Shown grades of this run that were already there (earlier runs) do not count.
        auto newlyShown = [&] {
            int n = 0;
            for (const Shown &s : shown)
                n += shownEver.count(s) ? 0 : 1;
            return n;
        };
        while (newlyShown() < target && clock.elapsed() < 60000 && gui.state() == QProcess::Running) {
            gui.waitForReadyRead(50);
            readLines();
            if (ready && !keysSent) {
                gui.write(gradingKeys()); // all at once: many more keys than the kill point needs
                keysSent = true;
            }
        }
        QVERIFY2(gui.state() == QProcess::Running,
            qPrintable(QStringLiteral("the GUI ended before the kill: %1")
                           .arg(QString::fromLocal8Bit(gui.readAllStandardError()))));
        QVERIFY2(newlyShown() >= target,
            qPrintable(QStringLiteral("only %1 grades shown in 60 s; stderr: %2")
                           .arg(newlyShown())
                           .arg(QString::fromLocal8Bit(gui.readAllStandardError()))));
        if (delay[run] > 0) {
            QElapsedTimer wait;
            wait.start();
            while (wait.elapsed() < delay[run])
                gui.waitForReadyRead(1); // keys keep being graded meanwhile
        }
        gui.kill(); // SIGKILL: no clean-up, no destructors, no Qt shutdown
        QVERIFY(gui.waitForFinished(10000));
        QCOMPARE(gui.exitStatus(), QProcess::CrashExit);
        // What the GUI printed before it died is still in the pipe: it was shown too.
        readLines();
        if (const QByteArray rest = gui.readAllStandardOutput(); !rest.isEmpty()) {
            Shown s;
            if (parseShown(rest, &s))
                shown.push_back(s);
        }
        // The file as the kill left it: intact, and every shown grade is stored.
        RawDatabase raw(dbFile);
        qInfo("killed after %d newly shown grades (%d shown in this run, %s grade events stored in all), %lld ms",
            newlyShown(), int(shown.size()),
            qPrintable(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM judgment_events"))),
            static_cast<long long>(clock.elapsed()));
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA integrity_check")), QStringLiteral("ok"));
        QSqlQuery stored(raw.db());
        QVERIFY(stored.prepare(QStringLiteral(
            "SELECT COUNT(*) FROM judgment_events e JOIN raters r ON r.id = e.rater_id WHERE r.name = 'ana' "
            "AND e.query_item_id = ? AND e.candidate_item_id = ? AND e.new_grade = ?")));
        for (const Shown &s : shown) {
            stored.addBindValue(std::get<0>(s));
            stored.addBindValue(std::get<1>(s));
            stored.addBindValue(std::get<2>(s));
            QVERIFY2(stored.exec() && stored.next(), qPrintable(stored.lastError().text()));
            QVERIFY2(stored.value(0).toInt() > 0,
                qPrintable(QStringLiteral("grade %1 of item %2 for query %3 was shown but is not in the database")
                               .arg(std::get<2>(s))
                               .arg(std::get<1>(s))
                               .arg(std::get<0>(s))));
        }
        shownEver.insert(shown.begin(), shown.end());
    }
    // The engine opens the project afterwards as usual.
    QVERIFY(lookalike::Project::open(folder.toStdString()).itemCount() > 0);
}

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
