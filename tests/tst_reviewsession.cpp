// ReviewSession without any widget, the GUI's one door to the engine: the grade walk (grade,
// signals, live metrics equal to a fresh engine, undo, redo), adding a query (frozen at the
// project's depth), the catalog search and the embedding map it runs on worker threads.
#include "core/project/EvaluationEngine.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"
#include "core/project/RunImport.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/ScratchMount.h"
#include "support/TwoModelProject.h"
#include "ui/ReviewSession.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace lookalike;
using lookalike::ui::ReviewSession;

class TestReviewSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gradeWalkUpdatesMetricsAndUndoes();
    void addedQueryIsFrozenAtTheProjectsDepth();
    void settingsChangedElsewhereApplyAtThePoll();
    void readOnlyProjectShowsAndRefusesGrades();
    void searchAndMapRunOnWorkers();
    void importedRunIsReviewedNotMapped();
};

// A version imported from another system's lists: its candidates are reviewed and graded like any
// other's; the map and the search say why they cannot use it, with no error dialog.
void TestReviewSession::importedRunIsReviewedNotMapped()
{
    auto f = testsupport::makeTwoModelProject();
    const QString folder = f.folder;
    const QString runFile = testsupport::writeScratchFile(
        QStringLiteral("prod.txt"), "red-0 Q0 red-4 1 0.9 prod\nred-0 Q0 blue-1 2 0.8 prod\n");
    const ModelVersion prod = importRun(*f.project, {runFile.toStdString(), "prod", false}).version;
    const std::int64_t red0 = f.project->requireItem("red-0").id;
    f.project.reset();
    ReviewSession session(folder, QStringLiteral("ana"));
    QSignalSpy errors(&session, &ReviewSession::errorOccurred);
    const std::vector<ui::Candidate> list = session.candidates(red0, prod.id);
    QCOMPARE(list.size(), std::size_t(2));
    QVERIFY(session.grade(red0, list[0].itemId, 3));
    QCOMPARE(session.metrics(prod.id).perQuery.at(red0).precision1, 1.0);

    ReviewSession::MapSource source;
    QVERIFY(!session.mapSource(prod.id, 1000, &source));
    QVERIFY2(source.unavailable.contains(QStringLiteral("no embeddings")), qPrintable(source.unavailable));
    auto search = session.searchCatalog(QStringLiteral("prod"), true, QStringLiteral("red"), 5);
    search.waitForFinished();
    QVERIFY2(search.result().error.contains(QStringLiteral("no embeddings")), qPrintable(search.result().error));
    QCOMPARE(errors.size(), 0);
}

void TestReviewSession::gradeWalkUpdatesMetricsAndUndoes()
{
    auto f = testsupport::makeTwoModelProject();
    const QString folder = f.folder;
    const std::int64_t a = f.versions[0].id;
    f.project.reset();
    ReviewSession session(folder, QStringLiteral("ana"));
    QSignalSpy changed(&session, &ReviewSession::judgmentChanged);
    const std::int64_t query = session.queryIds().front();
    const std::vector<ui::Candidate> list = session.candidates(query, a);
    QVERIFY(list.size() >= 2);
    QCOMPARE(session.metrics(a).perQuery.count(query), std::size_t(0)); // nothing graded yet

    QVERIFY(session.grade(query, list[0].itemId, 3));
    QVERIFY(session.grade(query, list[1].itemId, 0));
    QCOMPARE(changed.size(), 2);
    const auto first = qvariant_cast<ui::JudgmentChange>(changed.at(0).at(0));
    QCOMPARE(first.query, query); // the signal carries the change: no listener reads it back
    QCOMPARE(first.candidate, list[0].itemId);
    QVERIFY(first.own);
    QCOMPARE(first.grade, std::optional<int>(3));
    QCOMPARE(first.ownGrade, std::optional<int>(3));
    QCOMPARE(qvariant_cast<ui::JudgmentChange>(changed.at(1).at(0)).grade, std::optional<int>(0));
    QCOMPARE(session.gradesOf(query, list[0].itemId).second, std::optional<int>(3));
    QCOMPARE(session.metrics(a).perQuery.at(query).precision1, 1.0);
    {
        Project p = Project::open(folder.toStdString()); // the live numbers equal a fresh engine's
        const EvaluationEngine fresh(p);
        QCOMPARE(fresh.metrics(a).mean.ndcg5, session.metrics(a).mean.ndcg5);
    }
    QVERIFY(session.undo()); // the 0
    QVERIFY(session.undo()); // the 3
    const auto undone = qvariant_cast<ui::JudgmentChange>(changed.last().at(0));
    QCOMPARE(undone.candidate, list[0].itemId);
    QVERIFY(!undone.grade);
    QVERIFY(!undone.ownGrade);
    QVERIFY(!session.gradesOf(query, list[0].itemId).second);
    QCOMPARE(session.metrics(a).perQuery.count(query), std::size_t(0));
    QVERIFY(session.redo());
    QCOMPARE(session.gradesOf(query, list[0].itemId).second, std::optional<int>(3));
    QCOMPARE(changed.size(), 5);
}

// The settings are read once, not per key press: a rule changed by another process (`lookalike
// settings --rule`) applies when the session polls, and every grade is resolved again then.
void TestReviewSession::settingsChangedElsewhereApplyAtThePoll()
{
    auto f = testsupport::makeTwoModelProject();
    const QString folder = f.folder;
    const std::int64_t a = f.versions[0].id;
    ReviewSession session(folder, QStringLiteral("ana"));
    const std::int64_t query = session.queryIds().front();
    const std::int64_t candidate = session.candidates(query, a).front().itemId;
    QVERIFY(session.grade(query, candidate, 3));
    JudgmentStore(*f.project).grade(query, candidate, "ben", 0); // later: wins under "latest"
    QSignalSpy reset(&session, &ReviewSession::queriesChanged);
    session.poll();
    QCOMPARE(reset.size(), 0); // a new grade is not a new rule
    QCOMPARE(session.gradesOf(query, candidate).first, std::optional<int>(0));

    JudgmentStore(*f.project).setResolutionRule(ResolutionRule::Adjudicator, "ana");
    QCOMPARE(session.gradesOf(query, candidate).first, std::optional<int>(0)); // not re-read per call
    session.poll();
    QCOMPARE(reset.size(), 1);
    QCOMPARE(session.gradesOf(query, candidate).first, std::optional<int>(3)); // ana adjudicates
    QCOMPARE(session.metrics(a).perQuery.at(query).precision1, 1.0);
    session.poll();
    QCOMPARE(reset.size(), 1); // unchanged settings: nothing recomputed
}

// A project on a read-only file system (or another user's): the GUI's session opens it, shows
// lists and metrics, and refuses a grade with one line saying why.
void TestReviewSession::readOnlyProjectShowsAndRefusesGrades()
{
    testsupport::ScratchMount mount(QStringLiteral("32m"));
    if (!mount.mounted)
        QSKIP("needs root with mount(8) for a read-only file system");
    auto f = testsupport::makeTwoModelProject();
    f.project.reset(); // closed: nothing pending in a WAL
    const QString folder = mount.dir + QStringLiteral("/p");
    QVERIFY(QProcess::execute(QStringLiteral("cp"), {QStringLiteral("-r"), f.folder, folder}) == 0);
    QVERIFY(mount.remountReadOnly());
    ReviewSession session(folder, QStringLiteral("ana"));
    QVERIFY(session.readOnly());
    const std::int64_t query = session.queryIds().front();
    const auto list = session.candidates(query, f.versions[0].id);
    QVERIFY(!list.empty());
    QSignalSpy errors(&session, &ReviewSession::errorOccurred);
    QVERIFY(!session.grade(query, list.front().itemId, 2));
    QCOMPARE(errors.size(), 1);
    const QString error = errors.front().at(0).toString();
    QVERIFY2(error.contains(QStringLiteral("is read-only")) && !error.contains(QLatin1Char('\n')), qPrintable(error));
    session.poll(); // the timer's work does not fail on a read-only project
}

void TestReviewSession::addedQueryIsFrozenAtTheProjectsDepth()
{
    auto f = testsupport::makeTwoModelProject();
    f.project->setResultDepth(4);
    const QString folder = f.folder;
    std::int64_t item = 0;
    for (const auto &[id, category] : f.project->itemCategories())
        if (std::find(f.queries.begin(), f.queries.end(), id) == f.queries.end()) {
            item = id;
            break;
        }
    const auto versions = f.versions;
    f.project.reset();
    ReviewSession session(folder, QStringLiteral("ana"));
    QSignalSpy queries(&session, &ReviewSession::queriesChanged);
    const int before = session.queryCount();
    QVERIFY(session.addQuery(item));
    QCOMPARE(queries.size(), 1);
    QCOMPARE(session.queryCount(), before + 1);
    QVERIFY(!session.addQuery(item)); // already a query
    for (const ModelVersion &v : versions)
        QCOMPARE(session.candidates(item, v.id).size(), std::size_t(4));
}

void TestReviewSession::searchAndMapRunOnWorkers()
{
    auto f = testsupport::makeTwoModelProject();
    const QString folder = f.folder;
    f.project.reset();
    const auto indexed = testsupport::runLookalike({QStringLiteral("index"), folder, QStringLiteral("--model"),
                                                    testsupport::tinyCheckpointDir(), QStringLiteral("--name"),
                                                    QStringLiteral("tiny"), QStringLiteral("--quiet")});
    QVERIFY2(indexed.exitCode == 0, indexed.err.constData());
    ReviewSession session(folder, QStringLiteral("ana"));

    auto search = session.searchCatalog(QStringLiteral("tiny"), true, QStringLiteral("red item"), 7);
    search.waitForFinished();
    const ReviewSession::SearchOutcome found = search.result();
    QVERIFY2(found.error.isEmpty(), qPrintable(found.error));
    QCOMPARE(found.hits.size(), std::size_t(7));
    for (std::size_t i = 1; i < found.hits.size(); ++i)
        QVERIFY(found.hits[i - 1].second >= found.hits[i].second);
    auto again = session.searchCatalog(QStringLiteral("tiny"), true, QStringLiteral("red item"), 7); // kept searcher
    again.waitForFinished();
    QCOMPARE(again.result().hits, found.hits);
    auto wrong = session.searchCatalog(QStringLiteral("no-such-version"), true, QStringLiteral("red"), 5);
    wrong.waitForFinished();
    QVERIFY(wrong.result().error.contains(QStringLiteral("no-such-version")));

    std::int64_t tiny = 0;
    for (const ModelVersion &v : session.models())
        if (v.name == "tiny")
            tiny = v.id;
    ReviewSession::MapSource source;
    QVERIFY(session.mapSource(tiny, 1000, &source));
    auto map = session.computeMap(source, false, std::make_shared<std::atomic<bool>>(false),
                                  std::make_shared<std::atomic<int>>(0));
    map.waitForFinished();
    const ReviewSession::MapOutcome pca = map.result();
    QVERIFY2(pca.error.isEmpty(), qPrintable(pca.error));
    QCOMPARE(pca.itemIds.size(), source.itemIds.size());
    QCOMPARE(pca.xy.size(), 2 * source.itemIds.size());
}

QTEST_MAIN(TestReviewSession)
#include "tst_reviewsession.moc"
