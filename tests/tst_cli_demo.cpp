// `lookalike demo` end to end (a small catalog): it builds the project with two versions and a
// silver-graded query set, prints the comparison, and a second run reuses the project;
// `lookalike autojudge` through the executable; --help lists every command.
#include "support/CliRunner.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using testsupport::runLookalike;

#define CHECK_OK(result) QVERIFY2((result).exitCode == 0, (result).err.constData())

class TestCliDemo : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void demoBuildsAComparableProject();
    void helpListsEveryCommand();
};

void TestCliDemo::demoBuildsAComparableProject()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("cli-demo")) + QStringLiteral("/demo");
    const QStringList args{QStringLiteral("demo"), folder, QStringLiteral("--no-open"), QStringLiteral("--items"),
        QStringLiteral("150"), QStringLiteral("--queries"), QStringLiteral("24")};
    const auto first = runLookalike(args);
    CHECK_OK(first);
    QVERIFY2(first.out.contains("drawing 150 product photos"), first.out.constData());
    QVERIFY(first.out.contains("pairs judged as silver"));
    QVERIFY(first.out.contains("siglip-tiny-random vs handcrafted-colour-shape (baseline)"));
    QVERIFY(first.out.contains("the demo project is ready"));
    QVERIFY2(first.err.isEmpty() || !first.err.contains("not defined"), first.err.constData());
    const QString project = folder + QStringLiteral("/project");

    const auto eval = runLookalike({QStringLiteral("eval"), project, QStringLiteral("--json"),
        QStringLiteral("--resamples"), QStringLiteral("200")});
    CHECK_OK(eval);
    const QJsonObject doc = QJsonDocument::fromJson(eval.out).object();
    const QJsonArray models = doc.value(QStringLiteral("models")).toArray();
    QCOMPARE(models.size(), 2);
    for (const QJsonValue &m : models) {
        QCOMPARE(m.toObject().value(QStringLiteral("queries")).toInt(), 24); // every query judged by the silver judge
        QCOMPARE(
            m.toObject().value(QStringLiteral("mean")).toObject().value(QStringLiteral("judged@5")).toDouble(), 1.0);
    }
    const auto agreement = runLookalike({QStringLiteral("agreement"), project});
    CHECK_OK(agreement);
    QVERIFY(agreement.out.contains("1 raters: silver"));

    // A second run finds the project ready and does not draw again.
    const auto second = runLookalike(args);
    CHECK_OK(second);
    QVERIFY(!second.out.contains("drawing"));
    QVERIFY(second.out.contains("the demo project is ready"));

    // autojudge with another rule, as another rater.
    const auto judge = runLookalike({QStringLiteral("autojudge"), project, QStringLiteral("--rule"),
        QStringLiteral("category=2,*=0"), QStringLiteral("--rater"), QStringLiteral("coarse")});
    CHECK_OK(judge);
    QVERIFY2(judge.out.contains("judged as coarse"), judge.out.constData());
    const auto bad
        = runLookalike({QStringLiteral("autojudge"), project, QStringLiteral("--rule"), QStringLiteral("material=3")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("no item has a field 'material'"), bad.err.constData());
}

void TestCliDemo::helpListsEveryCommand()
{
    const auto demoHelp = runLookalike({QStringLiteral("demo"), QStringLiteral("--help")});
    CHECK_OK(demoHelp);
    QVERIFY(demoHelp.out.contains("--rebuild"));
    QVERIFY(demoHelp.err.isEmpty());
    const auto help = runLookalike({QStringLiteral("--help")});
    CHECK_OK(help);
    for (const char *command : {"demo", "init", "import", "index", "queries", "neighbours", "models", "judge", "eval",
             "export", "import-qrels", "agreement", "autojudge", "settings", "embed"})
        QVERIFY2(help.out.contains(QByteArray("\n  ") + command + ' '), command);
}

QTEST_MAIN(TestCliDemo)
#include "tst_cli_demo.moc"
