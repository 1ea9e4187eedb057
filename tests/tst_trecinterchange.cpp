// A project's judgments and lists as TREC files and back: exported qrels hold the resolved
// grades under catalog ids, run files the frozen lists in rank order; imported qrels become one
// rater's grades, all or nothing, with unmatched ids and off-scale grades reported. Also the
// bulk grade import it rests on, rater agreement gathered from a project, and query groups.
#include "core/Error.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/RaterAgreement.h"
#include "core/project/TrecInterchange.h"
#include "support/ErrorOf.h"
#include "support/TwoModelProject.h"

#include <QTest>

#include <cmath>

using namespace lookalike;

namespace {

std::int64_t idOf(Project &p, const char *key)
{
    return p.requireItem(key).id;
}

using testsupport::errorOf;

} // namespace

class TestTrecInterchange : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exportedQrelsHoldResolvedGradesUnderCatalogIds();
    void exportedRunFollowsFrozenRankOrder();
    void importRecordsOneRaterAndReportsUnmatched();
    void strictImportRefusesAndRecordsNothing();
    void importGradesIsAllOrNothing();
    void scaleChangeThatStrandsGradesIsRefused();
    void agreementFromProjectGrades();
    void queryGroupsByCategoryAndAttribute();
};

void TestTrecInterchange::exportedQrelsHoldResolvedGradesUnderCatalogIds()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    store.grade(idOf(p, "red-0"), idOf(p, "red-5"), "ana", 3);
    store.grade(idOf(p, "red-0"), idOf(p, "red-5"), "ben", 1); // latest wins by default
    store.grade(idOf(p, "red-0"), idOf(p, "blue-3"), "ana", 0);
    store.grade(idOf(p, "green-1"), idOf(p, "green-2"), "ana", 2);
    const TrecQrels qrels = exportQrels(p);
    QCOMPARE(qrels.size(), std::size_t(2));
    QCOMPARE(qrels.at("red-0").at("red-5"), 1);
    QCOMPARE(qrels.at("red-0").at("blue-3"), 0);
    QCOMPARE(qrels.at("green-1").at("green-2"), 2);
    store.setResolutionRule(ResolutionRule::Adjudicator, "ana");
    QCOMPARE(exportQrels(p).at("red-0").at("red-5"), 3);
}

void TestTrecInterchange::exportedRunFollowsFrozenRankOrder()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    for (const ModelVersion &v : f.versions) {
        const TrecRun run = exportRun(p, v);
        QCOMPARE(run.tag, v.name);
        QCOMPARE(run.rankings.size(), f.queries.size());
        for (std::int64_t q : f.queries) {
            const auto list = frozenResultList(p, v, q);
            const auto &ranking = run.rankings.at(p.item(q).key);
            QCOMPARE(ranking.size(), list.size());
            for (std::size_t r = 0; r < list.size(); ++r)
                QCOMPARE(ranking[r], p.item(list[r].candidateItemId).key);
        }
        // What trec_eval would read back ranks the same way.
        const TrecRun parsed = parseRun(formatRun(run), "run");
        QCOMPARE(parsed.rankings, run.rankings);
    }
}

void TestTrecInterchange::importRecordsOneRaterAndReportsUnmatched()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    store.grade(idOf(p, "red-0"), idOf(p, "red-5"), "vendor", 2);
    const TrecQrels qrels = parseQrels("red-0 0 red-5 2\n" // unchanged
                                       "red-0 0 red-6 3\n" // new
                                       "red-0 0 nope-1 1\n" // unknown document
                                       "ghost 0 red-1 1\n" // unknown query
                                       "blue-0 0 blue-1 7\n", // off the scale
        "vendor.qrels");
    const QrelsImportReport r = importQrels(p, qrels, "vendor", "vendor.qrels", false);
    QCOMPARE(r.lines, std::size_t(5));
    QCOMPARE(r.imported, std::size_t(1));
    QCOMPARE(r.unchanged, std::size_t(1));
    QCOMPARE(r.skipped, std::size_t(3));
    QCOMPARE(r.unknownQueryIds, std::vector<std::string>{"ghost"});
    QCOMPARE(r.unknownCandidateIds, std::vector<std::string>{"nope-1"});
    QCOMPARE(r.offScaleGrades, std::vector<int>{7});
    const auto vendor = store.judgments({}, "vendor");
    QCOMPARE(vendor.size(), std::size_t(2));
    const auto history = store.history(idOf(p, "red-0"));
    QCOMPARE(history.back().kind, std::string("import"));
    QCOMPARE(history.back().rater, std::string("vendor"));
    QCOMPARE(*history.back().newGrade, 3);
    // Importing the same file again changes nothing.
    const QrelsImportReport again = importQrels(p, qrels, "vendor", "vendor.qrels", false);
    QCOMPARE(again.imported, std::size_t(0));
    QCOMPARE(again.unchanged, std::size_t(2));
    QCOMPARE(store.history().size(), history.size());
}

void TestTrecInterchange::strictImportRefusesAndRecordsNothing()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const TrecQrels qrels = parseQrels("red-0 0 red-6 3\nred-0 0 nope-1 1\n", "x.qrels");
    const auto error = errorOf([&] { importQrels(p, qrels, "vendor", "x.qrels", true); });
    QVERIFY(error);
    QCOMPARE(error->code(), ErrorCode::InvalidArgument);
    QVERIFY2(
        QString::fromUtf8(error->what()).contains(QLatin1String("x.qrels: document id 'nope-1' is not in the catalog")),
        error->what());
    QVERIFY(JudgmentStore(p).history().empty());
}

void TestTrecInterchange::importGradesIsAllOrNothing()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    const std::int64_t q = idOf(p, "red-0");
    // An unknown item in the middle: the first grade must not stay behind.
    const auto error = errorOf([&] { store.importGrades({{q, idOf(p, "red-1"), 2}, {q, 999999, 1}}, "bulk"); });
    QVERIFY(error);
    QVERIFY(store.history().empty());
    const auto offScale = errorOf([&] { store.importGrades({{q, idOf(p, "red-1"), 4}}, "bulk"); });
    QVERIFY(offScale);
    QVERIFY(QString::fromUtf8(offScale->what()).contains(QLatin1String("not on the project's scale")));
    QCOMPARE(store.importGrades({{q, idOf(p, "red-1"), 2}, {q, idOf(p, "red-2"), 0}}, "bulk"), std::size_t(2));
    // An import can be undone one pair at a time, like any change.
    QVERIFY(store.undo("bulk"));
    QCOMPARE(store.judgments({}, "bulk").size(), std::size_t(1));
}

void TestTrecInterchange::scaleChangeThatStrandsGradesIsRefused()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    store.grade(idOf(p, "red-0"), idOf(p, "red-1"), "ana", 3);
    const auto error = errorOf([&] { store.setGradeScale(GradeScale::binary()); });
    QVERIFY(error);
    QVERIFY(QString::fromUtf8(error->what()).contains(QLatin1String("has no grade 3")));
    QCOMPARE(store.gradeScale().highest(), 3);
    GradeScale stricter = GradeScale::fourLevel();
    stricter.relevantThreshold = 2;
    store.setGradeScale(stricter);
    QCOMPARE(store.gradeScale().relevantThreshold, 2);
}

void TestTrecInterchange::agreementFromProjectGrades()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    JudgmentStore store(p);
    // ana and ben on 4 pairs: agree on 2, differ by 1 and by 3. cid grades one pair only.
    const std::int64_t q = idOf(p, "red-0");
    const char *candidates[] = {"red-1", "red-2", "red-3", "red-4"};
    const int ana[] = {0, 1, 2, 3};
    const int ben[] = {0, 2, 2, 0};
    for (int i = 0; i < 4; ++i) {
        store.grade(q, idOf(p, candidates[i]), "ana", ana[i]);
        store.grade(q, idOf(p, candidates[i]), "ben", ben[i]);
    }
    store.grade(q, idOf(p, "red-1"), "cid", 0);
    store.grade(q, idOf(p, "green-0"), "cid", 1); // nobody else: not pairable

    const AgreementReport r = raterAgreement(store);
    QCOMPARE(r.raters, (std::vector<std::string>{"ana", "ben", "cid"}));
    QCOMPARE(r.pairs.size(), std::size_t(3));
    const RaterPairAgreement &ab = r.pairs[0];
    QCOMPARE(ab.raterA, std::string("ana"));
    QCOMPARE(ab.raterB, std::string("ben"));
    QCOMPARE(ab.linear.items, 4.0);
    // The same value straight from the statistics, on the grades as given.
    const KappaResult expected = cohensKappa({0, 1, 2, 3}, {0, 2, 2, 0}, 4, KappaWeights::Linear);
    QCOMPARE(ab.linear.kappa, expected.kappa);
    QCOMPARE(ab.unweighted.observedAgreement, 0.5);
    QCOMPARE(r.pairs[1].raterB, std::string("cid")); // ana-cid: one pair, both 0
    QCOMPARE(r.pairs[1].linear.items, 1.0);
    QCOMPARE(r.alpha.pairableUnits, std::size_t(4));
    QVERIFY(r.alpha.defined);
    // Two disagreements, the larger spread first.
    QCOMPARE(r.disagreements.size(), std::size_t(2));
    QCOMPARE(r.disagreements[0].candidateItemId, idOf(p, "red-4"));
    QCOMPARE(r.disagreements[0].spread, 3);
    QCOMPARE(r.disagreements[1].candidateItemId, idOf(p, "red-2"));
    QCOMPARE(r.disagreements[1].grades.size(), std::size_t(2));
    // Leaving ben out leaves nobody to disagree with ana on those pairs.
    const AgreementReport withoutBen = raterAgreement(store, {"ben"});
    QCOMPARE(withoutBen.raters.size(), std::size_t(2));
    QVERIFY(withoutBen.disagreements.empty());
}

void TestTrecInterchange::queryGroupsByCategoryAndAttribute()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    const auto groups = queryGroups(p, "category");
    QCOMPARE(groups.size(), f.queries.size());
    QCOMPARE(groups.at(idOf(p, "green-1")), std::string("green"));
    const auto sellers = queryGroups(p, "seller"); // a manifest column beyond the known ones
    QCOMPARE(sellers.at(idOf(p, "red-0")), std::string("seller-0"));
    QCOMPARE(sellers.at(idOf(p, "green-1")), std::string("seller-1"));
    const auto error = errorOf([&] { queryGroups(p, "brand"); });
    QVERIFY(error);
    QVERIFY(QString::fromUtf8(error->what()).contains(QLatin1String("no query item has an attribute 'brand'")));
}

QTEST_MAIN(TestTrecInterchange)
#include "tst_trecinterchange.moc"
