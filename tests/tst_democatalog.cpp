// The demo catalog: deterministic for a seed (byte-identical images and manifest), every type,
// colour and pattern drawn, relistings share their image bytes, titles carry seller noise; the
// hand-crafted embedding tells colours apart; the silver judge's rule by hand.
#include "core/Error.h"
#include "core/demo/DemoCatalog.h"
#include "core/project/AutoJudge.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"

#include <QCryptographicHash>
#include <QDir>
#include <QTest>

#include <set>

using namespace lookalike;
using testsupport::errorOf;

namespace {

QByteArray digestOfFolder(const QString &folder)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QDir dir(folder + QStringLiteral("/images"));
    for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
        hash.addData(name.toUtf8());
        hash.addData(testsupport::readFileBytes(dir.filePath(name)));
    }
    hash.addData(testsupport::readFileBytes(folder + QStringLiteral("/catalog.csv")));
    return hash.result();
}

} // namespace

class TestDemoCatalog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sameSeedSameBytes();
    void coversTypesColoursAndPatterns();
    void handcraftedEmbeddingSeparatesColours();
    void autojudgeRuleByHand();
    void autojudgeRefusesBadRules();
};

void TestDemoCatalog::sameSeedSameBytes()
{
    const QString a = testsupport::scratchDir(QStringLiteral("demo-a")),
                  b = testsupport::scratchDir(QStringLiteral("demo-b")),
                  c = testsupport::scratchDir(QStringLiteral("demo-c"));
    DemoCatalogOptions options;
    options.items = 60;
    int calls = 0;
    writeDemoCatalog(a.toStdString(), options, [&](int done, int total) {
        ++calls;
        QCOMPARE(total, 60);
        QVERIFY(done <= total);
    });
    QVERIFY(calls >= 2);
    writeDemoCatalog(b.toStdString(), options);
    QCOMPARE(digestOfFolder(a), digestOfFolder(b));
    options.seed = 2;
    writeDemoCatalog(c.toStdString(), options);
    QVERIFY(digestOfFolder(a) != digestOfFolder(c));
}

void TestDemoCatalog::coversTypesColoursAndPatterns()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("demo-cover"));
    DemoCatalogOptions options;
    options.items = 600;
    const std::vector<DemoItem> items = writeDemoCatalog(folder.toStdString(), options);
    QCOMPARE(items.size(), std::size_t(600));
    std::set<std::string> types, colours, patterns, ids;
    int relistings = 0, noisy = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const DemoItem &item = items[i];
        types.insert(item.type);
        colours.insert(item.colour);
        patterns.insert(item.pattern);
        ids.insert(item.id);
        QVERIFY(QFile::exists(folder + QLatin1Char('/') + QString::fromStdString(item.image.generic_string())));
        if (i > 0
            && testsupport::readFileBytes(
                   folder + QLatin1Char('/') + QString::fromStdString(item.image.generic_string()))
                == testsupport::readFileBytes(
                    folder + QLatin1Char('/') + QString::fromStdString(items[i - 1].image.generic_string()))) {
            ++relistings;
            QCOMPARE(item.seller, items[i - 1].seller); // a relisting is the same seller's
        }
        const QString title = QString::fromStdString(item.title);
        noisy += title.contains(QStringLiteral("brand new")) || title.contains(QStringLiteral("size"))
            || title.contains(QStringLiteral("NWT"));
    }
    QCOMPARE(types.size(), demoProductTypes().size());
    QVERIFY(types.size() >= 12);
    QCOMPARE(colours.size(), demoColours().size());
    QCOMPARE(patterns, (std::set<std::string>{"solid", "stripes", "dots", "checks"}));
    QCOMPARE(ids.size(), items.size());
    QVERIFY(relistings > 0);
    QVERIFY(noisy > 30);
    const QByteArray csv = testsupport::readFileBytes(folder + QStringLiteral("/catalog.csv"));
    QVERIFY(csv.startsWith("id,image,title,category,colour,pattern,seller\n"));
    QCOMPARE(csv.count('\n'), 601);
}

void TestDemoCatalog::handcraftedEmbeddingSeparatesColours()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("demo-embed"));
    DemoCatalogOptions options;
    options.items = 240;
    const std::vector<DemoItem> items = writeDemoCatalog(folder.toStdString(), options);
    std::vector<std::filesystem::path> files;
    for (const DemoItem &item : items)
        files.push_back(std::filesystem::path(folder.toStdString()) / item.image);
    const FloatMatrix e = handcraftedEmbeddings(files);
    QCOMPARE(e.rows, 240);
    QCOMPARE(e.cols, 160);
    // The nearest other item (cosine) has the same colour far more often than chance (1 in 10).
    int same = 0;
    for (std::int64_t i = 0; i < e.rows; ++i) {
        double best = -2;
        std::int64_t arg = -1;
        for (std::int64_t j = 0; j < e.rows; ++j) {
            if (j == i)
                continue;
            double dot = 0;
            for (std::int64_t c = 0; c < e.cols; ++c)
                dot += double(e.row(i)[static_cast<std::size_t>(c)]) * e.row(j)[static_cast<std::size_t>(c)];
            if (dot > best) {
                best = dot;
                arg = j;
            }
        }
        same += items[static_cast<std::size_t>(arg)].colour == items[static_cast<std::size_t>(i)].colour;
    }
    QVERIFY2(same > 240 / 2, qPrintable(QStringLiteral("%1 of 240").arg(same)));
}

void TestDemoCatalog::autojudgeRuleByHand()
{
    auto f = testsupport::makeTwoModelProject();
    Project &p = *f.project;
    // The test catalog: category red/green/blue, seller seller-(i % 3).
    const AutoJudgeRule rule = parseAutoJudgeRule("category+seller=3, category=2, seller=1");
    QCOMPARE(rule.clauses.size(), std::size_t(3));
    const AutoJudgeReport report = autoJudge(p, rule);
    QVERIFY(report.pairs > 0);
    QCOMPARE(report.changed, report.pairs);
    const auto grades = JudgmentStore(p).judgments({}, "silver");
    QCOMPARE(grades.size(), report.pairs);
    for (const Judgment &j : grades) {
        const Item q = p.item(j.queryItemId), c = p.item(j.candidateItemId);
        auto seller = [](const Item &i) { return i.attributes.at(0).second; };
        const int expected
            = q.category == c.category ? (seller(q) == seller(c) ? 3 : 2) : (seller(q) == seller(c) ? 1 : 0);
        QCOMPARE(j.grade, expected);
    }
    // Again: nothing changes.
    QCOMPARE(autoJudge(p, rule).changed, std::size_t(0));
    // The catch-all clause.
    QCOMPARE(parseAutoJudgeRule("category=3,*=1").otherwise, 1);
}

void TestDemoCatalog::autojudgeRefusesBadRules()
{
    for (const char *bad : {"", "category", "category=x", "=3", "category+=2", "category=-1"})
        QVERIFY2(errorOf([&] { parseAutoJudgeRule(bad); }), bad);
    auto f = testsupport::makeTwoModelProject();
    const auto unknown = errorOf([&] { autoJudge(*f.project, parseAutoJudgeRule("colour=3")); });
    QVERIFY(unknown);
    QVERIFY(QString::fromUtf8(unknown->what()).contains(QStringLiteral("no item has a field 'colour'")));
    const auto offScale = errorOf([&] { autoJudge(*f.project, parseAutoJudgeRule("category=5")); });
    QVERIFY(offScale);
    QVERIFY(JudgmentStore(*f.project).history().empty());
}

QTEST_MAIN(TestDemoCatalog)
#include "tst_democatalog.moc"
