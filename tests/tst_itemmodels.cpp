// Each item model of the GUI on its own, over a ReviewSession and no window: QueryListModel,
// NeighbourModel and FailureModel pass QAbstractItemModelTester while the session grades,
// undoes, adds a query and the models filter, sort and switch versions; and their data follow
// the session (grades on the cards, judged counts in the list, the failure ordering).
#include "core/project/Project.h"
#include "support/TwoModelProject.h"
#include "ui/FailureView.h"
#include "ui/NeighbourModel.h"
#include "ui/QueryListModel.h"
#include "ui/ReviewSession.h"
#include "ui/ThumbnailCache.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QTest>

#include <algorithm>

using namespace lookalike;
using namespace lookalike::ui;

class TestItemModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void queryListModel();
    void neighbourModel();
    void failureModel();
};

namespace {

constexpr auto kFatal = QAbstractItemModelTester::FailureReportingMode::QtTest;

std::int64_t someNonQuery(const testsupport::TwoModelProject &f)
{
    for (const auto &[id, category] : f.project->itemCategories())
        if (std::find(f.queries.begin(), f.queries.end(), id) == f.queries.end())
            return id;
    return 0;
}

} // namespace

void TestItemModels::queryListModel()
{
    auto f = testsupport::makeTwoModelProject();
    const std::int64_t extra = someNonQuery(f);
    const std::int64_t a = f.versions[0].id;
    ReviewSession session(f.folder, QStringLiteral("ana"));
    ThumbnailCache thumbnails;
    QueryListModel model(&session, &thumbnails);
    QAbstractItemModelTester tester(&model, kFatal);
    model.setModelId(a);
    QCOMPARE(model.rowCount(), static_cast<int>(f.queries.size()));
    QCOMPARE(model.columnCount(), int(QueryListModel::ColumnCount));

    // Grading the first query's top 5 marks its row judged, with an nDCG@5.
    const qint64 query = model.queryAt(0);
    const int row = model.rowOf(query);
    for (const Candidate &c : session.candidates(query, a))
        if (c.rank <= 5)
            QVERIFY(session.grade(query, c.itemId, c.rank == 1 ? 3 : 0));
    QCOMPARE(model.index(row, QueryListModel::JudgedColumn).data().toString(), QStringLiteral("5/5"));
    QVERIFY(model.index(row, QueryListModel::NdcgColumn).data().isValid());
    QVERIFY(model.index(row, QueryListModel::NdcgColumn).data(QueryListModel::FinishedRole).toBool());
    model.setBlind(true); // blind mode hides the metric
    QCOMPARE(model.index(row, QueryListModel::NdcgColumn).data().toString(), QStringLiteral("hidden"));
    model.setBlind(false);
    QVERIFY(session.undo());
    QCOMPARE(model.index(row, QueryListModel::JudgedColumn).data().toString(), QStringLiteral("4/5"));

    // Filter, sort, restriction and a new query keep the model consistent.
    model.setFilter(QStringLiteral("red"), QString());
    QVERIFY(model.rowCount() >= 1 && model.rowCount() < static_cast<int>(f.queries.size()));
    for (int r = 0; r < model.rowCount(); ++r)
        QVERIFY(model.index(r, QueryListModel::IdColumn).data().toString().contains(QStringLiteral("red")));
    model.setFilter(QString(), QString());
    model.sort(QueryListModel::IdColumn, Qt::DescendingOrder);
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.index(r - 1, QueryListModel::IdColumn).data().toString()
                >= model.index(r, QueryListModel::IdColumn).data().toString());
    model.setRestriction(std::vector<std::int64_t>{query});
    QCOMPARE(model.rowCount(), 1);
    model.setRestriction(std::nullopt);
    QVERIFY(session.addQuery(extra));
    QCOMPARE(model.rowCount(), static_cast<int>(f.queries.size()) + 1);
    QVERIFY(model.rowOf(extra) >= 0);
}

void TestItemModels::neighbourModel()
{
    auto f = testsupport::makeTwoModelProject();
    const std::int64_t a = f.versions[0].id, b = f.versions[1].id;
    ReviewSession session(f.folder, QStringLiteral("ana"));
    ThumbnailCache thumbnails;
    NeighbourModel model(&session, &thumbnails);
    QAbstractItemModelTester tester(&model, kFatal);
    const qint64 query = f.queries.front();
    model.show(query, a, 5);
    QCOMPARE(model.rowCount(), 5);
    const auto list = session.candidates(query, a);
    for (int r = 0; r < 5; ++r) {
        QCOMPARE(model.index(r).data(NeighbourModel::ItemIdRole).toLongLong(), list[static_cast<std::size_t>(r)].itemId);
        QCOMPARE(model.index(r).data(NeighbourModel::RankRole).toInt(), r + 1);
        QVERIFY(!model.index(r).data(NeighbourModel::GradeRole).isValid());
    }
    QCOMPARE(model.nextUngraded(0), 0);
    // A grade reaches the card that shows the pair, from the signal alone.
    QVERIFY(session.grade(query, list[0].itemId, 2));
    QCOMPARE(model.index(0).data(NeighbourModel::GradeRole).toInt(), 2);
    QCOMPARE(model.index(0).data(NeighbourModel::OwnGradeRole).toInt(), 2);
    QCOMPARE(model.nextUngraded(0), 1);
    QVERIFY(session.undo());
    QVERIFY(!model.index(0).data(NeighbourModel::GradeRole).isValid());
    // Other depths and versions, compare-mode marks and an ad-hoc list.
    model.show(query, b, 10);
    QCOMPARE(model.rowCount(), 10);
    model.setOtherItems(QSet<qint64>{list[0].itemId});
    int marked = 0;
    for (int r = 0; r < model.rowCount(); ++r)
        marked += model.index(r).data(NeighbourModel::InOtherListRole).toBool() ? 1 : 0;
    QCOMPARE(marked, model.itemIds().contains(list[0].itemId) ? 1 : 0);
    model.showItems({list[1], list[2]});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.queryItemId(), 0);
    model.show(query, a, 3);
    QCOMPARE(model.rowCount(), 3);
}

void TestItemModels::failureModel()
{
    auto f = testsupport::makeTwoModelProject();
    const std::int64_t a = f.versions[0].id, b = f.versions[1].id;
    ReviewSession session(f.folder, QStringLiteral("ana"));
    FailureModel model(&session);
    QAbstractItemModelTester tester(&model, kFatal);
    model.configure(a, b, FailureModel::WorstOfA, QString());
    QCOMPARE(model.rowCount(), 0); // nothing graded: no query has a metric yet
    // Grade two queries so that A is perfect on one and wrong on the other.
    for (std::size_t i = 0; i < 2; ++i) {
        const qint64 query = f.queries[i];
        for (const Candidate &c : session.candidates(query, a))
            if (c.rank <= 5)
                QVERIFY(session.grade(query, c.itemId, (i == 0) == (c.rank == 1) ? 3 : 0));
    }
    model.reload();
    QCOMPARE(model.rowCount(), 2); // the queries A has a metric for
    // Worst of A first: the query whose top candidate is wrong, then the perfect one.
    QCOMPARE(model.queryAt(0), static_cast<qint64>(f.queries[1]));
    QCOMPARE(model.queryAt(1), static_cast<qint64>(f.queries[0]));
    QVERIFY(model.index(0, FailureModel::AColumn).data().toDouble() < 1.0);
    QCOMPARE(model.index(1, FailureModel::AColumn).data().toString(), QStringLiteral("1.000"));
    model.configure(a, b, FailureModel::LargestGap, QString());
    model.setBlind(true);
    QVERIFY(!model.headerData(FailureModel::AColumn, Qt::Horizontal).toString().contains(QStringLiteral("model-a")));
    model.configure(a, b, FailureModel::WorstOfB, QStringLiteral("no such category"));
    QCOMPARE(model.rowCount(), 0);
}

QTEST_MAIN(TestItemModels)
#include "tst_itemmodels.moc"
