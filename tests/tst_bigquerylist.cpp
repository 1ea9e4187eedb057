// A big query set in the GUI (20,000 queries of a 25,000-item catalog, built through the
// engine in a few seconds): opening reads only the rows on screen (a page or two of items, never
// the whole set); `n` past the first page and a scroll to the end read just their pages, and
// the rows held stay bounded; the text and category filters and the sorts run in SQL or on ids
// and keep the current query current; the map of a big catalog is a bounded, seeded sample; the
// list model passes QAbstractItemModelTester through all of it.
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "ui/MainWindow.h"
#include "ui/NeighbourGrid.h"
#include "ui/QueryListModel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLineEdit>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <random>

using namespace lookalike;
using namespace lookalike::ui;

namespace {

constexpr int kItems = 25000;
constexpr int kCategories = 7;

bool isQuery(int i)
{
    return i % 5 != 4; // 20,000 of the 25,000 items
}

constexpr int kBound = QueryListModel::kPageRows * QueryListModel::kMaxPages;

} // namespace

class TestBigQueryList : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void openingReadsOnlyTheRowsOnScreen();
    void nPastThePageReadsTheNextPage();
    void scrollToTheEndReadsOnlyItsPage();
    void filtersAndSortsWithoutReadingEveryRow();
    void mapOfABigCatalogIsABoundedSeededSample();

private:
    std::unique_ptr<MainWindow> open();

    QTemporaryDir m_dir;
    QString m_folder;
    std::vector<std::int64_t> m_queries; // by item id
    std::vector<std::int64_t> m_itemIds; // of item-i
};

void TestBigQueryList::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("LookalikeTests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_bigquerylist"));
    QSettings().clear();
    QVERIFY(m_dir.isValid());
    const std::filesystem::path dir = m_dir.path().toStdString();
    {
        std::ofstream csv(dir / "catalog.csv");
        csv << "id,image,title,category\n";
        std::ofstream ids(dir / "ids.txt");
        for (int i = 0; i < kItems; ++i) {
            csv << "item-" << i << ",images/" << i << ".jpg,product " << i << ",cat-" << i % kCategories << "\n";
            ids << "item-" << i << "\n";
        }
    }
    Project project = Project::create(dir / "project");
    ManifestOptions manifest;
    manifest.checkImages = false; // no images needed: the list shows placeholders
    QCOMPARE(project.importCatalog(dir / "catalog.csv", manifest).added, std::int64_t(kItems));
    FloatMatrix vectors(kItems, 8);
    std::mt19937 rng(5);
    std::normal_distribution<float> normal;
    for (float &v : vectors.data)
        v = normal(rng);
    writeNpyMatrix(dir / "v.npy", vectors);
    const ModelVersion version
        = registerModelVersion(project, precomputedVersion("model-a", dir / "v.npy", dir / "ids.txt"));
    importPrecomputedEmbeddings(project, version, dir / "v.npy", dir / "ids.txt");
    buildNeighbourIndex(project, version, {}, false);
    for (int i = 0; i < kItems; ++i)
        m_itemIds.push_back(project.requireItem("item-" + std::to_string(i)).id);
    for (int i = 0; i < kItems; ++i)
        if (isQuery(i))
            m_queries.push_back(m_itemIds[static_cast<std::size_t>(i)]);
    project.addQueries(m_queries, "test");
    freezeResultLists(project, version, 10, false, false);
    m_folder = QString::fromStdString((dir / "project").string());
}

std::unique_ptr<MainWindow> TestBigQueryList::open()
{
    auto w = std::make_unique<MainWindow>();
    w->resize(1200, 800);
    w->show();
    if (!w->openProject(m_folder, QStringLiteral("ana")))
        qWarning("cannot open: %s", qPrintable(w->lastError()));
    w->activateWindow();
    return w;
}

void TestBigQueryList::openingReadsOnlyTheRowsOnScreen()
{
    auto w = open();
    QVERIFY(QTest::qWaitForWindowExposed(w.get()));
    QueryListModel *list = w->reviewView()->queryModel();
    QAbstractItemModelTester tester(list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    w->repaint();
    // Every query is a row, but only the page(s) on screen were read.
    QCOMPARE(list->rowCount(), 20000);
    QCOMPARE(w->session()->queryCount(), 20000);
    QVERIFY2(list->pagesRead() <= 2, qPrintable(QString::number(list->pagesRead())));
    QVERIFY(list->cachedItems() <= 2 * QueryListModel::kPageRows);
    QCOMPARE(list->index(0, QueryListModel::TitleColumn).data().toString(), QStringLiteral("product 0"));
    QCOMPARE(list->index(0, QueryListModel::JudgedColumn).data().toString(), QStringLiteral("0/5"));
    QCOMPARE(w->reviewView()->currentQuery(), m_queries[0]);
}

void TestBigQueryList::nPastThePageReadsTheNextPage()
{
    auto w = open();
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    ReviewView *review = w->reviewView();
    QueryListModel *list = review->queryModel();
    QAbstractItemModelTester tester(list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int before = list->pagesRead();
    const int presses = QueryListModel::kPageRows + 5;
    for (int i = 0; i < presses; ++i)
        QTest::keyClick(review->leftGrid(), 'n');
    w->repaint();
    QCOMPARE(review->currentQuery(), m_queries[static_cast<std::size_t>(presses)]);
    QVERIFY(list->pagesRead() > before); // the second page was read when n reached it
    QVERIFY(list->cachedItems() <= kBound);
    QTest::keyClick(review->leftGrid(), 'p');
    QCOMPARE(review->currentQuery(), m_queries[static_cast<std::size_t>(presses - 1)]);
}

void TestBigQueryList::scrollToTheEndReadsOnlyItsPage()
{
    auto w = open();
    QVERIFY(QTest::qWaitForWindowExposed(w.get()));
    QueryListModel *list = w->reviewView()->queryModel();
    auto *table = w->findChild<QTableView *>(QStringLiteral("queryTable"));
    table->scrollToBottom();
    w->repaint();
    // The last rows are shown from their own page: at most the first and last pages (and the
    // one before the last when the screen straddles two) were read.
    QVERIFY2(list->pagesRead() <= 4, qPrintable(QString::number(list->pagesRead())));
    QVERIFY(list->cachedItems() <= 4 * QueryListModel::kPageRows);
    QCOMPARE(list->index(19999, QueryListModel::TitleColumn).data().toString(), QStringLiteral("product 24998"));
    // Jumping all over the list keeps what is held bounded.
    for (int row = 0; row < 20000; row += 997)
        list->index(row, QueryListModel::IdColumn).data();
    QVERIFY(list->cachedItems() <= kBound);
    QCOMPARE(list->index(997, QueryListModel::IdColumn).data().toString(),
        QStringLiteral("item-%1").arg(997 / 4 * 5 + 997 % 4));
}

void TestBigQueryList::filtersAndSortsWithoutReadingEveryRow()
{
    auto w = open();
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    ReviewView *review = w->reviewView();
    QueryListModel *list = review->queryModel();
    QAbstractItemModelTester tester(list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto *table = w->findChild<QTableView *>(QStringLiteral("queryTable"));
    QTest::keyClick(review->leftGrid(), 'n');
    const qint64 current = review->currentQuery();
    QCOMPARE(current, m_queries[1]);

    // Sorting by catalog id (text order) keeps the current query current, wherever it moves.
    table->sortByColumn(QueryListModel::IdColumn, Qt::AscendingOrder);
    QCOMPARE(list->index(0, QueryListModel::IdColumn).data().toString(), QStringLiteral("item-0"));
    QCOMPARE(list->index(1, QueryListModel::IdColumn).data().toString(), QStringLiteral("item-1"));
    QCOMPARE(list->index(2, QueryListModel::IdColumn).data().toString(), QStringLiteral("item-10"));
    QCOMPARE(table->currentIndex().data(QueryListModel::QueryIdRole).toLongLong(), current);
    table->sortByColumn(QueryListModel::TitleColumn, Qt::DescendingOrder);
    QCOMPARE(list->index(0, QueryListModel::TitleColumn).data().toString(), QStringLiteral("product 9998"));
    QCOMPARE(table->currentIndex().data(QueryListModel::QueryIdRole).toLongLong(), current);
    // n follows the sorted order.
    const int row = table->currentIndex().row();
    QTest::keyClick(review->leftGrid(), 'n');
    QCOMPARE(review->currentQuery(), list->queryAt(row + 1));
    table->sortByColumn(-1, Qt::AscendingOrder);
    QCOMPARE(list->queryAt(0), m_queries[0]);

    // The text filter, case-insensitive: "product 2001" and 20010..20018 but 20014 (no query).
    auto *filter = w->findChild<QLineEdit *>(QStringLiteral("queryFilter"));
    QTest::keyClicks(filter, QStringLiteral("PRODUCT 2001"));
    QCOMPARE(table->model()->rowCount(), 1 + 8);
    QCOMPARE(list->index(0, QueryListModel::TitleColumn).data().toString(), QStringLiteral("product 2001"));
    filter->clear();
    QCOMPARE(table->model()->rowCount(), 20000);
    // The category filter: every row of the category and only those.
    auto *category = w->findChild<QComboBox *>(QStringLiteral("queryCategory"));
    category->setCurrentIndex(category->findData(QStringLiteral("cat-3")));
    int expected = 0;
    for (int i = 0; i < kItems; ++i)
        expected += isQuery(i) && i % kCategories == 3 ? 1 : 0;
    QCOMPARE(table->model()->rowCount(), expected);
    for (int r = 0; r < expected; r += 701)
        QCOMPARE(list->index(r, 0).data(QueryListModel::CategoryRole).toString(), QStringLiteral("cat-3"));
    QVERIFY(list->cachedItems() <= kBound);
}

void TestBigQueryList::mapOfABigCatalogIsABoundedSeededSample()
{
    ReviewSession session(m_folder, QStringLiteral("ana"));
    const qint64 model = session.models().front().id;
    ReviewSession::MapSource a, b;
    QVERIFY(session.mapSource(model, 1000, &a));
    QVERIFY(session.mapSource(model, 1000, &b));
    QCOMPARE(a.total, std::int64_t(kItems));
    QCOMPARE(a.rows.size(), std::size_t(1000));
    QCOMPARE(a.itemIds.size(), std::size_t(1000));
    QCOMPARE(a.categories.size(), std::size_t(1000));
    QVERIFY(a.rows == b.rows); // seeded: the same map every time
    QVERIFY(std::is_sorted(a.rows.begin(), a.rows.end()));
    int queries = 0;
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
        const std::int64_t item = a.itemIds[i];
        QCOMPARE(item, m_itemIds[static_cast<std::size_t>(a.rows[i])]); // row r of the file is item-r
        queries += session.queryRow(item) >= 0 ? 1 : 0;
        QCOMPARE(a.categories[i], QStringLiteral("cat-%1").arg(a.rows[i] % kCategories));
    }
    QCOMPARE(queries, 500); // half the budget goes to query items
    // Reading only the sampled rows gives the same vectors as the whole file.
    const FloatMatrix sample = readNpyRows(a.embeddingsFile.toStdString(), a.rows);
    const FloatMatrix whole = readNpyMatrix(a.embeddingsFile.toStdString());
    for (std::size_t i = 0; i < a.rows.size(); i += 97)
        for (int k = 0; k < 8; ++k)
            QCOMPARE(sample.row(static_cast<std::int64_t>(i))[k], whole.row(a.rows[i])[k]);
    // Small enough: every row, in order.
    ReviewSession::MapSource all;
    QVERIFY(session.mapSource(model, kItems, &all));
    QCOMPARE(all.rows.size(), std::size_t(kItems));
}

QTEST_MAIN(TestBigQueryList)
#include "tst_bigquerylist.moc"
