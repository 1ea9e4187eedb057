// The reviewer GUI driven as a user drives it (offscreen): keys grade the focused card and the
// grade is in the database and in the metrics panel; undo restores the previous grade; n / p /
// Shift+N move between queries; compare and blind mode hide the names and shuffle the sides;
// the failure view orders queries and opens one in review; broken images show placeholders
// with the reason; a database locked by another rater shows an error and changes nothing;
// exports write files; every item model passes QAbstractItemModelTester.
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "support/CliRunner.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"
#include "ui/FailureView.h"
#include "ui/MainWindow.h"
#include "ui/MapView.h"
#include "ui/MetricsPanel.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/RaterBoard.h"
#include "ui/NeighbourGrid.h"
#include "ui/NeighbourModel.h"
#include "ui/QueryListModel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"
#include "ui/SearchView.h"
#include "ui/ThumbnailCache.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

#include <set>

using namespace lookalike;
using namespace lookalike::ui;

namespace {

// A project and a window open on it as rater "ana", shown and active.
struct Opened {
    testsupport::TwoModelProject project;
    std::unique_ptr<MainWindow> window;
};

std::unique_ptr<Opened> openWindow(const std::function<void(testsupport::TwoModelProject &)> &prepare = {})
{
    auto o = std::make_unique<Opened>();
    o->project = testsupport::makeTwoModelProject();
    if (prepare)
        prepare(o->project);
    const QString folder = o->project.folder;
    o->project.project.reset(); // the window opens its own connection
    o->window = std::make_unique<MainWindow>();
    o->window->show();
    if (!o->window->openProject(folder, QStringLiteral("ana")))
        qWarning("cannot open: %s", qPrintable(o->window->lastError()));
    o->window->activateWindow();
    return o;
}

// The grade "ana" has in the database for (query, candidate), read through a separate connection.
std::optional<int> storedGrade(const QString &folder, qint64 query, qint64 candidate)
{
    Project p = Project::open(folder.toStdString());
    for (const Judgment &j : JudgmentStore(p).judgments(query, "ana"))
        if (j.candidateItemId == candidate)
            return j.grade;
    return std::nullopt;
}

QString metricsCell(MainWindow &w, int row, int column)
{
    auto *table = w.findChild<QTableWidget *>(QStringLiteral("metricsTable"));
    return table && table->item(row, column) ? table->item(row, column)->text() : QString();
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void welcomeWithoutProjectAndQuit();
    void gradingFromTheKeyboardSavesAndUpdatesMetrics();
    void mouseGradeButtonsWork();
    void undoRestoresThePreviousGrade();
    void queryNavigationKeys();
    void blindModeHidesNamesAndShufflesSides();
    void plannerKeyOpensTheMostInformativePair();
    void plannerKeyPrefersTheRatersQueries();
    void gradesWhileThePlanIsBuiltCount();
    void failureViewOrdersQueriesAndOpensOne();
    void brokenImagesShowPlaceholders();
    void lockedDatabaseShowsErrorAndKeepsBadge();
    void exportsWriteFiles();
    void shortcutsDialogOnQuestionMark();
    void spaceShowsTheImageFullSize();
    void textSearchAndAddAsQuery();
    void droppedImageSearchesItsNeighbours();
    void embeddingMapLassoOpensItems();
    void itemModelsPassTheTester();
};

void TestMainWindow::initTestCase()
{
    // Keep the test's settings (recent projects, rater) away from the user's.
    QCoreApplication::setOrganizationName(QStringLiteral("LookalikeTests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    QSettings().clear();
}

void TestMainWindow::welcomeWithoutProjectAndQuit()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.windowTitle(), QStringLiteral("Lookalike"));
    QStringList menus;
    for (QAction *a : w.menuBar()->actions())
        menus << a->text();
    QCOMPARE(menus,
        (QStringList{QStringLiteral("&File"), QStringLiteral("&Edit"), QStringLiteral("&View"), QStringLiteral("&Go"),
            QStringLiteral("&Help")}));
    auto *placeholder = w.findChild<QLabel *>(QStringLiteral("placeholder"));
    QVERIFY(placeholder);
    QVERIFY(placeholder->text().contains(QStringLiteral("No project open")));
    QVERIFY(!w.findChild<QAction *>(QStringLiteral("actionUndo"))->isEnabled()); // nothing to undo without a project
    QVERIFY(!w.windowIcon().isNull());
    // A folder that is not a project: a clear error, the welcome page stays.
    QVERIFY(!w.openProject(testsupport::scratchDir(QStringLiteral("not-a-project")), QStringLiteral("ana")));
    QVERIFY2(w.lastError().contains(QStringLiteral("not-a-project")), qPrintable(w.lastError()));
    QVERIFY(w.findChild<QLabel *>(QStringLiteral("placeholder")));
    auto *quit = w.findChild<QAction *>(QStringLiteral("actionQuit"));
    QCOMPARE(quit->shortcut(), QKeySequence(QKeySequence::Quit));
    quit->trigger();
    QVERIFY(!w.isVisible());
}

void TestMainWindow::gradingFromTheKeyboardSavesAndUpdatesMetrics()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ReviewView *review = w.reviewView();
    const qint64 query = review->currentQuery();
    QCOMPARE(query, o->project.queries.front()); // the first query is shown on open
    QCOMPARE(metricsCell(w, 0, 4), QStringLiteral("0")); // nothing judged: no query in the mean

    NeighbourGrid *grid = review->leftGrid();
    QVERIFY(grid->hasFocus());
    QCOMPARE(grid->currentIndex().row(), 0);
    const qint64 first = grid->currentIndex().data(NeighbourModel::ItemIdRole).toLongLong();
    QTest::keyClick(grid, '3');
    QCOMPARE(storedGrade(o->project.folder, query, first), std::optional<int>(3));
    QCOMPARE(grid->model()->index(0, 0).data(NeighbourModel::GradeRole).toInt(), 3);
    QCOMPARE(grid->currentIndex().row(), 1); // on to the next ungraded card
    QCOMPARE(metricsCell(w, 0, 4), QStringLiteral("1")); // the query entered the mean
    QVERIFY2(metricsCell(w, 0, 2).startsWith(QStringLiteral("1.000")), qPrintable(metricsCell(w, 0, 2))); // P@1

    const qint64 second = grid->currentIndex().data(NeighbourModel::ItemIdRole).toLongLong();
    QTest::keyClick(grid, '0');
    QCOMPARE(storedGrade(o->project.folder, query, second), std::optional<int>(0));
    QCOMPARE(metricsCell(w, 0, 3), QStringLiteral("0.40")); // judged@5: 2 of 5
    // A digit off the scale changes nothing.
    QTest::keyClick(grid, '7');
    QVERIFY(!storedGrade(o->project.folder, query, grid->currentIndex().data(NeighbourModel::ItemIdRole).toLongLong()));
    // Arrows move between the cards.
    const int at = grid->currentIndex().row();
    QTest::keyClick(grid, Qt::Key_Right);
    QCOMPARE(grid->currentIndex().row(), at + 1);
    QTest::keyClick(grid, Qt::Key_Left);
    QCOMPARE(grid->currentIndex().row(), at);
    // The query list shows the progress.
    QueryListModel *list = review->queryModel();
    QCOMPARE(list->index(0, QueryListModel::JudgedColumn).data().toString(), QStringLiteral("2/5"));
}

void TestMainWindow::mouseGradeButtonsWork()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    NeighbourGrid *grid = w.reviewView()->leftGrid();
    const QModelIndex card = grid->model()->index(1, 0);
    auto *delegate = qobject_cast<NeighbourCardDelegate *>(grid->itemDelegate());
    QVERIFY(delegate);
    const QRect rect = grid->visualRect(card).adjusted(3, 3, -3, -3);
    const QPoint button = delegate->buttonRect(rect, 2).center(); // grade 2
    QTest::mouseClick(grid->viewport(), Qt::LeftButton, {}, button);
    QCOMPARE(storedGrade(
                 o->project.folder, w.reviewView()->currentQuery(), card.data(NeighbourModel::ItemIdRole).toLongLong()),
        std::optional<int>(2));
    QCOMPARE(card.data(NeighbourModel::GradeRole).toInt(), 2);
}

void TestMainWindow::undoRestoresThePreviousGrade()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    NeighbourGrid *grid = w.reviewView()->leftGrid();
    const qint64 query = w.reviewView()->currentQuery();
    const qint64 first = grid->model()->index(0, 0).data(NeighbourModel::ItemIdRole).toLongLong();
    QTest::keyClick(grid, '3');
    grid->setCurrentIndex(grid->model()->index(0, 0));
    QTest::keyClick(grid, '1');
    QCOMPARE(storedGrade(o->project.folder, query, first), std::optional<int>(1));
    QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(storedGrade(o->project.folder, query, first), std::optional<int>(3));
    QCOMPARE(grid->model()->index(0, 0).data(NeighbourModel::GradeRole).toInt(), 3);
    QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(storedGrade(o->project.folder, query, first), std::optional<int>(1));
    // Undo after moving on shows the query the undone grade belongs to.
    QTest::keyClick(grid, 'n');
    QVERIFY(w.reviewView()->currentQuery() != query);
    QTest::keyClick(w.reviewView()->leftGrid(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(w.reviewView()->currentQuery(), query);
    QCOMPARE(storedGrade(o->project.folder, query, first), std::optional<int>(3));
}

void TestMainWindow::queryNavigationKeys()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ReviewView *review = w.reviewView();
    const auto &queries = o->project.queries;
    QTest::keyClick(review->leftGrid(), 'n');
    QCOMPARE(review->currentQuery(), queries[1]);
    QTest::keyClick(review->leftGrid(), 'n');
    QCOMPARE(review->currentQuery(), queries[2]);
    QTest::keyClick(review->leftGrid(), 'p');
    QCOMPARE(review->currentQuery(), queries[1]);
    // Finish queries[2] (all 5 cards), go back to the first, then Shift+N skips the finished one.
    QTest::keyClick(review->leftGrid(), 'n');
    for (int i = 0; i < 5; ++i)
        QTest::keyClick(review->leftGrid(), '2');
    QCOMPARE(review->queryModel()->index(2, QueryListModel::JudgedColumn).data().toString(), QStringLiteral("5/5"));
    QTest::keyClick(review->leftGrid(), 'p');
    QTest::keyClick(review->leftGrid(), 'N', Qt::ShiftModifier);
    QCOMPARE(review->currentQuery(), queries[3]);
    // The filter narrows the list and navigation follows it.
    auto *filter = w.findChild<QLineEdit *>(QStringLiteral("queryFilter"));
    QTest::keyClicks(filter, QStringLiteral("blue"));
    auto *table = w.findChild<QTableView *>(QStringLiteral("queryTable"));
    QCOMPARE(table->model()->rowCount(), 3);
}

void TestMainWindow::blindModeHidesNamesAndShufflesSides()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ReviewView *review = w.reviewView();
    const qint64 a = o->project.versions[0].id, b = o->project.versions[1].id;
    QTest::keyClick(review->leftGrid(), Qt::Key_D, Qt::ControlModifier); // compare
    QVERIFY(review->compareMode());
    QCOMPARE(w.findChild<QLabel *>(QStringLiteral("leftLabel"))->text(), QStringLiteral("model-a"));
    QCOMPARE(w.findChild<QLabel *>(QStringLiteral("rightLabel"))->text(), QStringLiteral("model-b"));
    QCOMPARE(metricsCell(w, 1, 0), QStringLiteral("model-b"));
    // A candidate in both lists is marked in both.
    const QSet<qint64> both = review->leftNeighbours()->itemIds() & review->rightNeighbours()->itemIds();
    for (int row = 0; row < review->leftNeighbours()->rowCount(); ++row) {
        const QModelIndex i = review->leftNeighbours()->index(row);
        QCOMPARE(i.data(NeighbourModel::InOtherListRole).toBool(),
            both.contains(i.data(NeighbourModel::ItemIdRole).toLongLong()));
    }

    QTest::keyClick(review->leftGrid(), Qt::Key_B, Qt::ControlModifier); // blind
    QVERIFY(review->blind());
    QCOMPARE(w.findChild<QLabel *>(QStringLiteral("leftLabel"))->text(), QStringLiteral("List 1"));
    QCOMPARE(w.findChild<QLabel *>(QStringLiteral("rightLabel"))->text(), QStringLiteral("List 2"));
    QCOMPARE(metricsCell(w, 0, 0), QStringLiteral("version 1"));
    QVERIFY(!w.findChild<QComboBox *>(QStringLiteral("modelA"))->isVisible());
    QCOMPARE(review->queryModel()->index(0, QueryListModel::NdcgColumn).data().toString(), QStringLiteral("hidden"));
    // The sides are shuffled per query, the same way every time.
    int swapped = 0;
    for (qint64 q : o->project.queries) {
        review->showQuery(q);
        QVERIFY(review->leftModel() != review->rightModel());
        QCOMPARE(review->leftNeighbours()->modelId(), review->leftModel());
        swapped += review->sidesSwapped() ? 1 : 0;
        const bool again = review->sidesSwapped();
        review->showQuery(q);
        QCOMPARE(review->sidesSwapped(), again);
        QCOMPARE(review->leftModel(), again ? b : a);
    }
    QVERIFY(swapped > 0 && swapped < static_cast<int>(o->project.queries.size()));
    // Reveal shows the names of the current query's sides.
    review->showQuery(o->project.queries.front());
    QTest::keyClick(review->leftGrid(), Qt::Key_R, Qt::ControlModifier);
    const QString left = w.findChild<QLabel *>(QStringLiteral("leftLabel"))->text();
    QCOMPARE(left, QString::fromStdString(review->sidesSwapped() ? "model-b" : "model-a"));
    // Moving on hides them again.
    QTest::keyClick(review->leftGrid(), 'n');
    QCOMPARE(w.findChild<QLabel *>(QStringLiteral("leftLabel"))->text(), QStringLiteral("List 1"));
}

// j opens the pair the judging planner values most (side by side, its card focused), in blind
// mode too; the metrics panel says where the comparison stands after each grade.
void TestMainWindow::plannerKeyOpensTheMostInformativePair()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ReviewView *review = w.reviewView();
    auto *plan = w.findChild<QLabel *>(QStringLiteral("planLabel"));
    QVERIFY(plan);
    QTest::keyClick(review->leftGrid(), Qt::Key_D, Qt::ControlModifier); // compare: A and B
    QVERIFY2(plan->text().contains(QStringLiteral("Press J")), qPrintable(plan->text()));
    QTest::keyClick(review->leftGrid(), Qt::Key_D, Qt::ControlModifier); // j turns it on again
    PlannedPair expected;
    {
        Project p = Project::open(o->project.folder.toStdString());
        expected = JudgingPlanner(p, "model-a", "model-b").next(1).at(0);
    }
    auto focusedCandidate = [] {
        auto *grid = qobject_cast<NeighbourGrid *>(QApplication::focusWidget());
        return grid && grid->currentIndex().isValid() ? grid->currentIndex().data(NeighbourModel::ItemIdRole).toLongLong() : -1;
    };
    // The first j builds the plan on a worker: the line says so, the pair opens when it lands.
    QSignalSpy ready(w.session(), &ReviewSession::planReady);
    QTest::keyClick(review->leftGrid(), 'j');
    QVERIFY2(plan->text().startsWith(QStringLiteral("Plan: building the plan for 8 queries")),
             qPrintable(plan->text() + QStringLiteral(" / ") + w.statusBar()->currentMessage()));
    QVERIFY(ready.wait(20000));
    QVERIFY(review->compareMode());
    QCOMPARE(review->currentQuery(), expected.query);
    QCOMPARE(focusedCandidate(), expected.candidate);
    QVERIFY2(plan->text().startsWith(QStringLiteral("Plan: open after 0 of ")), qPrintable(plan->text()));
    // The query list can sort by what is left to learn: the most first.
    QueryListModel *queries = review->queryModel();
    QVERIFY(queries->index(0, QueryListModel::InfoColumn).data().toString() != QStringLiteral("-"));
    queries->sort(QueryListModel::InfoColumn, Qt::DescendingOrder);
    for (int row = 1; row < queries->rowCount(); ++row)
        QVERIFY(queries->index(row - 1, QueryListModel::InfoColumn).data(QueryListModel::SortRole).toDouble()
                >= queries->index(row, QueryListModel::InfoColumn).data(QueryListModel::SortRole).toDouble());
    queries->sort(-1);
    review->showQuery(expected.query);
    QTest::keyClick(review->leftGrid(), 'j'); // back on the pair, its card focused
    QCOMPARE(focusedCandidate(), expected.candidate);
    QTest::keyClick(QApplication::focusWidget(), '3');
    QCOMPARE(storedGrade(o->project.folder, expected.query, expected.candidate), std::optional<int>(3));
    QVERIFY2(plan->text().startsWith(QStringLiteral("Plan: open after 1 of ")), qPrintable(plan->text()));

    // Blind: the next pair opens the same way; the line names no version.
    QTest::keyClick(review->leftGrid(), Qt::Key_B, Qt::ControlModifier);
    QVERIFY(review->blind());
    QTest::keyClick(QApplication::focusWidget(), 'j');
    const qint64 second = focusedCandidate();
    QVERIFY(second > 0);
    QVERIFY(!(review->currentQuery() == expected.query && second == expected.candidate));
    QVERIFY(!storedGrade(o->project.folder, review->currentQuery(), second));
    QVERIFY(!plan->text().contains(QStringLiteral("model-")));
}

// After `assign --plan`, J gives a rater the planned pairs of their own queries first.
void TestMainWindow::plannerKeyPrefersTheRatersQueries()
{
    std::set<std::int64_t> mine;
    auto o = openWindow([&](testsupport::TwoModelProject &f) {
        const PlannedPair top = JudgingPlanner(*f.project, "model-a", "model-b").next(1).at(0);
        std::vector<std::int64_t> others;
        for (std::int64_t q : f.queries)
            if (q != top.query)
                others.push_back(q);
        RaterBoard(*f.project).assign({"ana", "ben"}, 0.0, 1, others);
        for (std::int64_t q : RaterBoard(*f.project).assignedQueries("ana"))
            mine.insert(q);
    });
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(!mine.empty());
    QSignalSpy ready(w.session(), &ReviewSession::planReady);
    QTest::keyClick(w.reviewView()->leftGrid(), 'j');
    QVERIFY(ready.wait(20000)); // the jump is made by then (the view hears planReady first)
    QVERIFY(w.reviewView()->compareMode());
    QVERIFY2(mine.count(w.reviewView()->currentQuery()), "J opened a query assigned to someone else");
}

// A grade given while the plan is built counts once it lands, whichever the worker read first.
void TestMainWindow::gradesWhileThePlanIsBuiltCount()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ReviewView *review = w.reviewView();
    auto *plan = w.findChild<QLabel *>(QStringLiteral("planLabel"));
    QTest::keyClick(review->leftGrid(), Qt::Key_D, Qt::ControlModifier); // compare: A and B
    QSignalSpy ready(w.session(), &ReviewSession::planReady);
    QTest::keyClick(review->leftGrid(), 'j');
    review->focusCards();
    QTest::keyClick(QApplication::focusWidget(), '2'); // before the plan has landed
    QCOMPARE(ready.count(), 0);
    QVERIFY(ready.wait(20000));
    QVERIFY2(plan->text().startsWith(QStringLiteral("Plan: open after 1 of ")), qPrintable(plan->text()));
}

void TestMainWindow::failureViewOrdersQueriesAndOpensOne()
{
    // Grade model-a's list of each query so that the queries get different nDCG@5 values:
    // query i gets its top (i mod 5) candidates graded 0 and the rest 3.
    auto o = openWindow([](testsupport::TwoModelProject &p) {
        JudgmentStore store(*p.project);
        for (std::size_t i = 0; i < p.queries.size(); ++i) {
            const auto list = frozenResultList(*p.project, p.versions[0], p.queries[i]);
            for (std::size_t r = 0; r < 5; ++r)
                store.grade(p.queries[i], list[r].candidateItemId, "ana", r < i % 5 ? 0 : 3);
        }
    });
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.reviewView()->leftGrid(), Qt::Key_2, Qt::ControlModifier); // Inspect tab
    FailureView *view = w.failureView();
    QVERIFY(view->isVisible());
    FailureModel *model = view->model();
    QCOMPARE(model->rowCount(), static_cast<int>(o->project.queries.size()));
    double previous = -1;
    for (int row = 0; row < model->rowCount(); ++row) {
        const double v = model->index(row, FailureModel::AColumn).data().toDouble();
        QVERIFY2(v >= previous, qPrintable(QStringLiteral("row %1: %2 after %3").arg(row).arg(v).arg(previous)));
        previous = v;
    }
    const qint64 worst = model->queryAt(0);
    const ModelMetrics &m = w.session()->metrics(o->project.versions[0].id);
    for (const auto &[q, qm] : m.perQuery)
        QVERIFY(qm.ndcg5 >= m.perQuery.at(worst).ndcg5);
    // The category filter keeps only that category's queries.
    auto *category = w.findChild<QComboBox *>(QStringLiteral("failureCategory"));
    category->setCurrentIndex(category->findData(QStringLiteral("green")));
    QCOMPARE(model->rowCount(), 2);
    for (int row = 0; row < model->rowCount(); ++row)
        QCOMPARE(model->index(row, FailureModel::CategoryColumn).data().toString(), QStringLiteral("green"));
    // The raters' agreement: "ana" alone has graded, so there is no pair yet; a second rater on
    // the same pairs appears as a row.
    QCOMPARE(w.findChild<QTableWidget *>(QStringLiteral("agreementTable"))->rowCount(), 0);
    {
        Project p = Project::open(o->project.folder.toStdString());
        JudgmentStore store(p);
        for (const Judgment &j : store.judgments(o->project.queries[0], "ana"))
            store.grade(j.queryItemId, j.candidateItemId, "silver", j.grade);
    }
    view->reload();
    auto *agreement = w.findChild<QTableWidget *>(QStringLiteral("agreementTable"));
    QCOMPARE(agreement->rowCount(), 1);
    QCOMPARE(agreement->item(0, 1)->text(), QStringLiteral("silver"));
    QCOMPARE(agreement->item(0, 2)->text(), QStringLiteral("5"));
    QCOMPARE(agreement->item(0, 4)->text(), QStringLiteral("100.0 %"));
    // The breakdown lists the three categories.
    QCOMPARE(w.findChild<QTableWidget *>(QStringLiteral("breakdownTable"))->rowCount(), 3);
    // Opening a failure jumps to it in review.
    auto *table = w.findChild<QTableView *>(QStringLiteral("failureTable"));
    const qint64 target = model->queryAt(1);
    table->setFocus();
    table->setCurrentIndex(model->index(1, 0));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(w.reviewView()->currentQuery(), target);
    QVERIFY(w.reviewView()->isVisible());
}

void TestMainWindow::brokenImagesShowPlaceholders()
{
    QString missingKey, corruptKey;
    auto o = openWindow([&](testsupport::TwoModelProject &p) {
        const auto list = frozenResultList(*p.project, p.versions[0], p.queries[0]);
        const Item missing = p.project->item(list[0].candidateItemId);
        const Item corrupt = p.project->item(list[1].candidateItemId);
        missingKey = QString::fromStdString(missing.key);
        corruptKey = QString::fromStdString(corrupt.key);
        QFile::remove(QString::fromStdString(missing.image.string()));
        QFile f(QString::fromStdString(corrupt.image.string()));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("P6\n40 30\n255\n\x01\x02"); // a PPM header and almost no pixels
    });
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    NeighbourModel *cards = w.reviewView()->leftNeighbours();
    for (int row = 0; row < cards->rowCount(); ++row)
        cards->index(row).data(Qt::DecorationRole); // ask for every thumbnail
    w.thumbnails()->waitForIdle();
    QStringList failures;
    for (int row = 0; row < cards->rowCount(); ++row) {
        const QModelIndex i = cards->index(row);
        const QString failure = i.data(NeighbourModel::ImageFailureRole).toString();
        if (i.data(NeighbourModel::KeyRole).toString() == missingKey
            || i.data(NeighbourModel::KeyRole).toString() == corruptKey) {
            QVERIFY2(!failure.isEmpty(), qPrintable(i.data(NeighbourModel::KeyRole).toString()));
            QVERIFY(i.data(Qt::DecorationRole).isNull());
            failures << failure;
        } else {
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
            QVERIFY(!i.data(Qt::DecorationRole).value<QPixmap>().isNull());
        }
    }
    QCOMPARE(failures.size(), 2);
    QVERIFY2(
        failures.join(QLatin1Char(' ')).contains(QStringLiteral(".ppm")), qPrintable(failures.join(QLatin1Char(' '))));
    // The grid paints the placeholders (no crash, no empty card).
    const QImage shot = w.reviewView()->leftGrid()->grab().toImage();
    QVERIFY(!shot.isNull());
}

void TestMainWindow::lockedDatabaseShowsErrorAndKeepsBadge()
{
    if (testsupport::testingPostgres())
        QSKIP("the lock is on the project's SQLite file; on PostgreSQL grades never touch it");
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    NeighbourGrid *grid = w.reviewView()->leftGrid();
    {
        // Another rater's process holds the write lock for longer than the busy timeout.
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("other-rater"));
        other.setDatabaseName(o->project.folder + QStringLiteral("/lookalike.db"));
        QVERIFY(other.open());
        QSqlQuery lock(other);
        QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        QTest::keyClick(grid, '2');
        QVERIFY(grid->model()->index(0, 0).data(NeighbourModel::GradeRole).isNull());
        QVERIFY2(w.lastError().contains(QStringLiteral("locked")), qPrintable(w.lastError()));
        QCOMPARE(w.findChild<QLabel *>(QStringLiteral("errorLabel"))->text(), w.lastError());
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("other-rater"));
    // Once the lock is gone, grading works again.
    QTest::keyClick(grid, '2');
    QCOMPARE(grid->model()->index(0, 0).data(NeighbourModel::GradeRole).toInt(), 2);
}

void TestMainWindow::exportsWriteFiles()
{
    // A version name with a comma and a quote: the CSV export must keep it one field.
    auto o = openWindow([](testsupport::TwoModelProject &f) {
        QSqlQuery rename(f.project->database());
        QVERIFY(rename.exec(QStringLiteral("UPDATE model_versions SET name = 'model-a,\"v1\"' WHERE name = 'model-a'")));
    });
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.reviewView()->leftGrid(), '3');
    const QString dir = testsupport::scratchDir(QStringLiteral("gui-export"));
    QVERIFY(w.exportMetricsCsv(dir + QStringLiteral("/metrics.csv")));
    const QByteArray csv = testsupport::readFileBytes(dir + QStringLiteral("/metrics.csv"));
    QVERIFY(csv.startsWith("version,metric,value,ci_low,ci_high,queries\n"));
    QVERIFY2(csv.contains("\"model-a,\"\"v1\"\"\",ndcg@5,1,"), csv.constData());
    QVERIFY(w.exportChartPng(dir + QStringLiteral("/chart.png")));
    QImage chart(dir + QStringLiteral("/chart.png"));
    QVERIFY(!chart.isNull());
    QVERIFY(chart.height() > chart.width() / 2);
    QVERIFY(w.exportTrecFiles(dir + QStringLiteral("/trec")));
    QVERIFY(testsupport::readFileBytes(dir + QStringLiteral("/trec/qrels.txt")).contains(" 0 "));
    QVERIFY(QFile::exists(dir + QStringLiteral("/trec/run-model-b.txt")));
    // The report, named, then blind when the review is (Ctrl+B): no version name in it.
    QVERIFY(w.exportReport(dir + QStringLiteral("/report.html")));
    QVERIFY(testsupport::readFileBytes(dir + QStringLiteral("/report.html")).contains("<td>model-b</td>"));
    QTest::keySequence(&w, QKeySequence(Qt::CTRL | Qt::Key_B));
    QVERIFY(w.reviewView()->blind());
    QVERIFY(w.exportReport(dir + QStringLiteral("/blind.html")));
    const QByteArray blind = testsupport::readFileBytes(dir + QStringLiteral("/blind.html"));
    QVERIFY(blind.contains("<td>version 2</td>") && !blind.contains("model-b"));
    QVERIFY(w.findChild<QAction *>(QStringLiteral("actionExportReport")));
    QVERIFY(!w.exportMetricsCsv(QStringLiteral("/nonexistent-dir/metrics.csv")));
    QVERIFY(w.lastError().contains(QStringLiteral("/nonexistent-dir/metrics.csv")));
}

void TestMainWindow::shortcutsDialogOnQuestionMark()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.reviewView()->leftGrid(), Qt::Key_Question);
    QTRY_VERIFY(w.findChild<QMessageBox *>(QStringLiteral("shortcutsDialog")));
    auto *box = w.findChild<QMessageBox *>(QStringLiteral("shortcutsDialog"));
    QVERIFY(box->text().contains(QStringLiteral("Shift+N")));
    QVERIFY(box->text().contains(QStringLiteral("Ctrl+Z")));
    box->close();
}

namespace {

// The two-model project plus a SigLIP version (the tiny reference checkpoint), indexed by the CLI.
void addTinySiglip(testsupport::TwoModelProject &p)
{
    const auto r = testsupport::runLookalike({QStringLiteral("index"), p.folder, QStringLiteral("--model"),
        testsupport::tinyCheckpointDir(), QStringLiteral("--name"), QStringLiteral("tiny"), QStringLiteral("--quiet")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

} // namespace

void TestMainWindow::spaceShowsTheImageFullSize()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    NeighbourGrid *grid = w.reviewView()->leftGrid();
    const QString path = grid->currentIndex().data(NeighbourModel::ImagePathRole).toString();
    const QImage original(path);
    QVERIFY(!original.isNull());
    QSize shown;
    bool seen = false;
    // The dialog is modal: look at it, then close it, from the event loop it runs.
    QTimer::singleShot(200, [&] {
        auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
        if (dialog && dialog->objectName() == QStringLiteral("fullImageDialog")) {
            seen = true;
            for (QLabel *label : dialog->findChildren<QLabel *>())
                if (!label->pixmap().isNull())
                    shown = label->pixmap().size();
            QTest::keyClick(dialog, Qt::Key_Space); // Space closes it again
        }
    });
    QTest::keyClick(grid, Qt::Key_Space);
    QVERIFY(seen);
    QCOMPARE(shown, original.size()); // full size, not the thumbnail
    QVERIFY(!QApplication::activeModalWidget());
}

void TestMainWindow::textSearchAndAddAsQuery()
{
    auto o = openWindow(addTinySiglip);
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.reviewView()->leftGrid(), Qt::Key_3, Qt::ControlModifier);
    SearchView *search = w.searchView();
    QVERIFY2(search->isVisible(),
        qPrintable(QStringLiteral("focus: %1")
                       .arg(QApplication::focusWidget() ? QApplication::focusWidget()->objectName()
                                                        : QStringLiteral("none"))));
    auto *version = w.findChild<QComboBox *>(QStringLiteral("searchVersion"));

    // A precomputed version cannot embed a text: a clear message, no results.
    version->setCurrentText(QStringLiteral("model-a"));
    search->searchText(QStringLiteral("red item"));
    QTRY_VERIFY_WITH_TIMEOUT(!search->isBusy(), 30000);
    QVERIFY2(search->message().contains(QStringLiteral("text search needs a SigLIP model version")),
        qPrintable(search->message()));
    QCOMPARE(search->results()->rowCount(), 0);

    version->setCurrentText(QStringLiteral("tiny"));
    auto *text = w.findChild<QLineEdit *>(QStringLiteral("searchText"));
    text->setFocus();
    text->clear();
    QTest::keyClicks(text, QStringLiteral("red item"));
    QTest::keyClick(text, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(!search->isBusy() && search->results()->rowCount() > 0, 60000);
    QCOMPARE(search->results()->rowCount(), 20);
    double previous = 2;
    for (int row = 0; row < search->results()->rowCount(); ++row) {
        const double score = search->results()->index(row).data(NeighbourModel::ScoreRole).toDouble();
        QVERIFY(score <= previous);
        previous = score;
    }
    // Add the first result that is not yet a query, and review it.
    int row = 0;
    while (row < search->results()->rowCount()
        && w.session()->queryRow(search->results()->index(row).data(NeighbourModel::ItemIdRole).toLongLong()) >= 0)
        ++row;
    QVERIFY(row < search->results()->rowCount());
    const qint64 item = search->results()->index(row).data(NeighbourModel::ItemIdRole).toLongLong();
    const int before = w.session()->queryCount();
    // The project freezes at depth 7 (as `lookalike index --depth 7` records): the GUI must
    // freeze the new query's lists at that depth too, as `lookalike queries` does.
    Project::open(o->project.folder.toStdString()).setResultDepth(7);
    search->grid()->setCurrentIndex(search->results()->index(row));
    QTest::mouseClick(w.findChild<QPushButton *>(QStringLiteral("addQueryButton")), Qt::LeftButton);
    QCOMPARE(w.session()->queryCount(), before + 1);
    QCOMPARE(w.reviewView()->currentQuery(), item);
    QVERIFY(w.reviewView()->isVisible());
    QCOMPARE(w.reviewView()->leftNeighbours()->rowCount(), 5); // its lists were frozen
    QCOMPARE(w.reviewView()->queryModel()->rowCount(), static_cast<int>(before + 1));
    // ...and it is in the project for good.
    Project p = Project::open(o->project.folder.toStdString());
    QCOMPARE(p.queryItemIds().size(), before + 1);
    int versionsWithLists = 0;
    for (const ModelVersion &v : modelVersions(p))
        if (recordedIndexFile(p, v)) {
            QCOMPARE(frozenResultList(p, v, item).size(), std::size_t(7));
            ++versionsWithLists;
        }
    QVERIFY(versionsWithLists >= 1);
}

void TestMainWindow::droppedImageSearchesItsNeighbours()
{
    auto o = openWindow(addTinySiglip);
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.findChild<QComboBox *>(QStringLiteral("searchVersion"))->setCurrentText(QStringLiteral("tiny"));
    // A new image, not in the catalog: a red one like the "red" items.
    const QString file = testsupport::scratchDir(QStringLiteral("drop")) + QStringLiteral("/new.ppm");
    {
        QImage red(40, 30, QImage::Format_RGB888);
        red.fill(QColor(200, 30, 30));
        QVERIFY(red.save(file, "PPM"));
    }
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(file)});
    QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    SearchView *search = w.searchView();
    QVERIFY(search->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!search->isBusy() && search->results()->rowCount() > 0, 60000);
    QVERIFY2(search->message().contains(QStringLiteral("new.ppm")), qPrintable(search->message()));
    QCOMPARE(search->results()->index(0).data(NeighbourModel::KeyRole).toString().left(4), QStringLiteral("red-"));
    // A file that is not an image: a clear message naming it.
    const QString bad = testsupport::writeScratchFile(QStringLiteral("notes.txt"), "not an image");
    search->searchImage(bad);
    QTRY_VERIFY_WITH_TIMEOUT(!search->isBusy(), 30000);
    QVERIFY2(search->message().contains(QStringLiteral("notes.txt")), qPrintable(search->message()));
}

void TestMainWindow::embeddingMapLassoOpensItems()
{
    auto o = openWindow([](testsupport::TwoModelProject &p) {
        JudgmentStore store(*p.project);
        const auto list = frozenResultList(*p.project, p.versions[0], p.queries[0]);
        store.grade(p.queries[0], list[0].candidateItemId, "ana", 3);
    });
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.reviewView()->leftGrid(), Qt::Key_4, Qt::ControlModifier);
    MapView *view = w.mapView();
    QVERIFY(view->isVisible());
    QVERIFY(view->isBusy() || !view->map()->points().empty()); // showing it starts the PCA map
    QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 60000);
    for (int method : {int(MapView::Pca), int(MapView::Tsne)}) {
        view->compute(static_cast<MapView::Method>(method));
        QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 60000);
        QVERIFY2(view->message().startsWith(QStringLiteral("30 items of model-a")), qPrintable(view->message()));
        const auto &points = view->map()->points();
        QCOMPARE(points.size(), std::size_t(30));
        for (const MapPoint &p : points) {
            QVERIFY(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1);
            QVERIFY(p.category >= 0 && p.category < 3);
        }
    }
    // The current query is ringed: it is on the map where positionOf says.
    QVERIFY(view->map()->positionOf(w.reviewView()->currentQuery()).x() >= 0);
    // A lasso around the whole map opens every item; around nothing, none.
    EmbeddingMapWidget *map = view->map();
    const QRect r = map->rect().adjusted(2, 2, -2, -2);
    QTest::mousePress(map, Qt::LeftButton, {}, r.topLeft());
    for (const QPoint &p : {r.topRight(), r.bottomRight(), r.bottomLeft()}) {
        QMouseEvent move(QEvent::MouseMove, p, map->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(map, &move);
    }
    QTest::mouseRelease(map, Qt::LeftButton, {}, r.bottomLeft());
    QCOMPARE(view->selection()->rowCount(), 30);
    // A small loop around one point selects just that item.
    const qint64 target = w.reviewView()->currentQuery();
    const QPoint at = map->positionOf(target);
    QTest::mousePress(map, Qt::LeftButton, {}, at + QPoint(-2, -2));
    for (const QPoint &p : {at + QPoint(2, -2), at + QPoint(2, 2), at + QPoint(-2, 2)}) {
        QMouseEvent move(QEvent::MouseMove, p, map->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(map, &move);
    }
    QTest::mouseRelease(map, Qt::LeftButton, {}, at + QPoint(-2, 2));
    QVERIFY(view->selection()->rowCount() >= 1);
    bool found = false;
    for (int row = 0; row < view->selection()->rowCount(); ++row)
        found |= view->selection()->index(row).data(NeighbourModel::ItemIdRole).toLongLong() == target;
    QVERIFY(found);
    // Colouring by nDCG@5 colours the judged query only.
    w.findChild<QComboBox *>(QStringLiteral("mapColour"))->setCurrentIndex(1);
    QCOMPARE(map->valueColours().size(), 1);
    QVERIFY(map->valueColours().contains(o->project.queries[0]));
    QVERIFY(!map->grab().toImage().isNull());
}

void TestMainWindow::itemModelsPassTheTester()
{
    auto o = openWindow();
    MainWindow &w = *o->window;
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    ReviewView *review = w.reviewView();
    QAbstractItemModelTester queries(review->queryModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester cards(review->leftNeighbours(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester failures(w.failureView()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    // Exercise them: grade, move, switch versions, reload the failures.
    QTest::keyClick(review->leftGrid(), '1');
    QTest::keyClick(review->leftGrid(), 'n');
    QTest::keyClick(review->leftGrid(), '2');
    auto *modelA = w.findChild<QComboBox *>(QStringLiteral("modelA"));
    modelA->setCurrentIndex(1);
    w.failureView()->reload();
    QCOMPARE(review->leftNeighbours()->modelId(), o->project.versions[1].id);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
