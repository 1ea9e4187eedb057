// GradeModel: the odds of an unjudged candidate's grade are a distribution over the scale that
// never rules a grade out, follow what was seen at the candidate's position, borrow from the
// other positions where little was seen, and forget a grade taken back.
#include "core/metrics/GradeModel.h"

#include <QTest>

#include <numeric>

using namespace lookalike;

class TestGradeModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void noGradesGiveEvenOdds();
    void oddsFollowThePosition();
    void rarePositionsBorrowFromTheRest();
    void removeUndoesAdd();
    void positionsAreRanksThenNeither();
};

void TestGradeModel::noGradesGiveEvenOdds()
{
    const GradeModel model; // 0..3
    QCOMPARE(model.levels(), 4);
    for (int p = 0; p < GradeModel::kPositions; ++p)
        for (double o : model.odds(p))
            QCOMPARE(o, 0.25);
}

void TestGradeModel::oddsFollowThePosition()
{
    GradeModel model;
    for (int i = 0; i < 200; ++i) {
        model.add(GradeModel::positionOf(0), 3);
        model.add(GradeModel::positionOf(8), 0);
    }
    const std::vector<double> top = model.odds(GradeModel::positionOf(0));
    const std::vector<double> deep = model.odds(GradeModel::positionOf(8));
    QVERIFY(top[3] > 0.95 && deep[0] > 0.95);
    for (const auto &odds : {top, deep}) {
        QVERIFY(std::abs(std::accumulate(odds.begin(), odds.end(), 0.0) - 1.0) < 1e-12);
        for (double o : odds)
            QVERIFY(o > 0); // never ruled out
    }
}

void TestGradeModel::rarePositionsBorrowFromTheRest()
{
    GradeModel model;
    for (int i = 0; i < 100; ++i)
        model.add(GradeModel::positionOf(1), 2);
    model.add(GradeModel::positionOf(-1), 0); // one grade seen in neither list
    const std::vector<double> neither = model.odds(GradeModel::positionOf(-1));
    // One 0 against kShrink pseudo-grades that lean to the 2s seen elsewhere.
    QVERIFY(neither[2] > 0.5);
    QVERIFY(neither[0] > model.odds(GradeModel::positionOf(1))[0]);
    // A position with nothing seen takes the overall odds.
    const std::vector<double> unseen = model.odds(GradeModel::positionOf(5));
    QCOMPARE(unseen[2], 101.0 / 105.0);
}

void TestGradeModel::removeUndoesAdd()
{
    GradeModel model;
    model.add(2, 1);
    const std::vector<double> before = model.odds(2);
    model.add(2, 3);
    model.add(2, 7);  // off the scale: ignored
    model.add(99, 1); // no such position: ignored
    QVERIFY(model.odds(2) != before);
    model.remove(2, 3);
    model.remove(2, 0); // never added: ignored
    QCOMPARE(model.odds(2), before);
}

void TestGradeModel::positionsAreRanksThenNeither()
{
    QCOMPARE(GradeModel::positionOf(0), 0);
    QCOMPARE(GradeModel::positionOf(9), 9);
    QCOMPARE(GradeModel::positionOf(10), GradeModel::kRanks - 1);
    QCOMPARE(GradeModel::positionOf(500), GradeModel::kRanks - 1);
    QCOMPARE(GradeModel::positionOf(-1), GradeModel::kPositions - 1);
}

QTEST_MAIN(TestGradeModel)
#include "tst_grademodel.moc"
