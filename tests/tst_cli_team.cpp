// Many raters through the `lookalike` executable: init --db (judgments in PostgreSQL), bad and
// unreachable databases (one-line errors naming the database), settings --db, assign and
// progress on both judgment databases.
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/RaterBoard.h"
#include "support/CliRunner.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"
#include "support/TwoModelProject.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

#include <filesystem>

using namespace lookalike;
using testsupport::runLookalike;
namespace fs = std::filesystem;

namespace {

QString newProject()
{
    return testsupport::scratchDir(QStringLiteral("cliteam")) + QStringLiteral("/project");
}

// One line on stderr, "lookalike: error: <url>: ...".
void checkOneLineError(const testsupport::CliResult &r, const QString &url, const QString &expected)
{
    QCOMPARE(r.exitCode, 1);
    const QString err = QString::fromUtf8(r.err).trimmed();
    QVERIFY2(!err.contains(QLatin1Char('\n')), qPrintable(err));
    QVERIFY2(err.contains(url), qPrintable(err));
    QVERIFY2(err.contains(expected), qPrintable(err));
}

} // namespace

class TestCliTeam : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initWithDbKeepsJudgmentsInPostgres();
    void badOrUnreachableDatabase_data();
    void badOrUnreachableDatabase();
    void anotherProjectsDatabaseIsRefused();
    void settingsDbOnlyBeforeTheFirstGrade();
    void assignAndProgress_data();
    void assignAndProgress();
};

void TestCliTeam::initWithDbKeepsJudgmentsInPostgres()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    const std::string url = testsupport::freshPostgresDatabase();
    const auto init = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest,
                                    QStringLiteral("--db"), QString::fromStdString(url)});
    CHECK_OK(init);
    QVERIFY(init.out.contains("judgments: postgresql://"));
    CHECK_OK(runLookalike({QStringLiteral("judge"), project, QStringLiteral("--query"), QStringLiteral("red-0"),
                           QStringLiteral("--candidate"), QStringLiteral("red-1"), QStringLiteral("--grade"),
                           QStringLiteral("3"), QStringLiteral("--rater"), QStringLiteral("ana")}));
    const auto settings = runLookalike({QStringLiteral("settings"), project});
    CHECK_OK(settings);
    QVERIFY2(settings.out.contains(QByteArray("judgments:    ") + QByteArray::fromStdString(url)), settings.out.constData());
    // The grade is in PostgreSQL and not in lookalike.db.
    Project p = Project::open(project.toStdString());
    QCOMPARE(JudgmentStore(p).judgments({}, "ana").size(), std::size_t(1));
    QSqlQuery local(p.database());
    QVERIFY(local.exec(QStringLiteral("SELECT COUNT(*) FROM judgment_events")) && local.next());
    QCOMPARE(local.value(0).toInt(), 0);
}

void TestCliTeam::badOrUnreachableDatabase_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    QTest::newRow("password in the URL") << "postgresql://ana:secret@127.0.0.1/grades" << "PGPASSWORD";
    QTest::newRow("no database named") << "postgresql://ana@127.0.0.1" << "names no database";
    QTest::newRow("nothing listens on the port") << "postgresql://ana@127.0.0.1:1/grades" << "cannot connect";
    QTest::newRow("no socket in the directory") << "postgresql://ana@/grades?host=/nonexistent-dir" << "cannot connect";
}

void TestCliTeam::badOrUnreachableDatabase()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    const auto init = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest,
                                    QStringLiteral("--db"), url});
    checkOneLineError(init, url, expected);
    QVERIFY(!fs::exists(project.toStdString())); // no half-made project left behind
}

void TestCliTeam::anotherProjectsDatabaseIsRefused()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString url = QString::fromStdString(testsupport::freshPostgresDatabase());
    const QString first = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), first, QStringLiteral("--catalog"), catalog.manifest, QStringLiteral("--db"), url}));
    const QString second = newProject();
    checkOneLineError(runLookalike({QStringLiteral("init"), second, QStringLiteral("--catalog"), catalog.manifest,
                                    QStringLiteral("--db"), url}),
                      url, QStringLiteral("another project"));
}

void TestCliTeam::settingsDbOnlyBeforeTheFirstGrade()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest}));
    CHECK_OK(runLookalike({QStringLiteral("judge"), project, QStringLiteral("--query"), QStringLiteral("red-0"),
                           QStringLiteral("--candidate"), QStringLiteral("red-1"), QStringLiteral("--grade"),
                           QStringLiteral("2"), QStringLiteral("--rater"), QStringLiteral("ana")}));
    const QString url = QString::fromStdString(testsupport::freshPostgresDatabase());
    checkOneLineError(runLookalike({QStringLiteral("settings"), project, QStringLiteral("--db"), url}),
                      QStringLiteral("lookalike.db"), QStringLiteral("before the first grade"));
    // A project without grades moves.
    const QString fresh = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), fresh, QStringLiteral("--catalog"), catalog.manifest}));
    const auto moved = runLookalike({QStringLiteral("settings"), fresh, QStringLiteral("--db"), url});
    CHECK_OK(moved);
    QVERIFY(moved.out.contains(url.toUtf8()));
    Project p = Project::open(project.toStdString());
    QCOMPARE(JudgmentStore(p).history().size(), std::size_t(1)); // the refused one kept its grade
}

void TestCliTeam::assignAndProgress_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("sqlite") << false;
    QTest::newRow("postgresql") << true;
}

void TestCliTeam::assignAndProgress()
{
    QFETCH(bool, postgres);
    auto f = testsupport::makeTwoModelProject(); // 8 queries with frozen lists
    if (postgres)
        f.project->setJudgmentDatabase(testsupport::freshPostgresDatabase());
    const auto assign = runLookalike({QStringLiteral("assign"), f.folder, QStringLiteral("--raters"),
                                      QStringLiteral("ana,ben"), QStringLiteral("--overlap"), QStringLiteral("0.25"),
                                      QStringLiteral("--seed"), QStringLiteral("3")});
    CHECK_OK(assign);
    QVERIFY2(assign.out.contains("assigned 8 queries to 2 raters, 2 of them to two raters"), assign.out.constData());
    RaterBoard board(*f.project);
    const std::vector<std::int64_t> mine = board.assignedQueries("ana");
    QCOMPARE(mine.size(), std::size_t(5)); // 4 + one of the 2 shared (balanced: 5 and 5)
    QCOMPARE(board.assignedQueries("ben").size(), std::size_t(5));
    board.setCurrentQuery("ana", mine[0]);
    JudgmentStore(*f.project).grade(mine[0], mine[0] == f.queries[7] ? f.queries[6] : f.queries[7], "ana", 1);

    const auto progress = runLookalike({QStringLiteral("progress"), f.folder, QStringLiteral("--json")});
    CHECK_OK(progress);
    const QJsonObject o = QJsonDocument::fromJson(progress.out).object();
    QCOMPARE(o.value(QStringLiteral("queries")).toInt(), 8);
    const QJsonArray raters = o.value(QStringLiteral("raters")).toArray();
    QCOMPARE(raters.size(), 2);
    const QJsonObject ana = raters.at(0).toObject();
    QCOMPARE(ana.value(QStringLiteral("rater")).toString(), QStringLiteral("ana"));
    QCOMPARE(ana.value(QStringLiteral("assigned")).toInt(), 5);
    QCOMPARE(ana.value(QStringLiteral("grades")).toInt(), 1);
    QCOMPARE(ana.value(QStringLiteral("current_query")).toString(), QString::fromStdString(f.project->item(mine[0]).key));
    QVERIFY(raters.at(1).toObject().value(QStringLiteral("current_query")).isNull());

    const auto table = runLookalike({QStringLiteral("progress"), f.folder});
    CHECK_OK(table);
    QVERIFY2(table.out.contains("on query") && table.out.contains(QByteArray::fromStdString(f.project->item(mine[0]).key)),
             table.out.constData());

    // Usage errors: one line each.
    const auto noRaters = runLookalike({QStringLiteral("assign"), f.folder});
    QCOMPARE(noRaters.exitCode, 2);
    const auto overlapAlone = runLookalike({QStringLiteral("assign"), f.folder, QStringLiteral("--raters"),
                                            QStringLiteral("ana"), QStringLiteral("--overlap"), QStringLiteral("0.5")});
    QCOMPARE(overlapAlone.exitCode, 1);
    QVERIFY(overlapAlone.err.contains("at least two raters"));
}

QTEST_MAIN(TestCliTeam)
#include "tst_cli_team.moc"
