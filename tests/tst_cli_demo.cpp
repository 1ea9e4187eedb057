// `lookalike demo` end to end (a smaller catalog): it builds the project with three versions and
// a silver-graded query set, the shipped fine-tuned model beats its untrained baseline on nDCG@5
// and P@1 with intervals that exclude zero, and a second run reuses the project;
// `lookalike autojudge` and `lookalike finetune` through the executable; --help lists every
// command.
#include "support/CliRunner.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using testsupport::runLookalike;


class TestCliDemo : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void demoBuildsAComparableProject();
    void finetuneLowersTheLossAndWritesALoadableCheckpoint();
    void interruptedFinetuneContinuesToTheSameModel();
    void finetuneFromScratchTrainsAVocabulary();
    void helpListsEveryCommand();
};

void TestCliDemo::demoBuildsAComparableProject()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("cli-demo")) + QStringLiteral("/demo");
    const QStringList args{QStringLiteral("demo"), folder, QStringLiteral("--no-open"), QStringLiteral("--items"),
        QStringLiteral("600"), QStringLiteral("--queries"), QStringLiteral("60")};
    const auto first = runLookalike(args);
    CHECK_OK(first);
    QVERIFY2(first.out.contains("drawing 600 product photos"), first.out.constData());
    QVERIFY(first.out.contains("pairs judged as silver"));
    QVERIFY(first.out.contains("siglip-tiny-demo-finetuned vs siglip-tiny-random (baseline)"));
    QVERIFY(first.out.contains("the demo project is ready"));
    QVERIFY2(first.err.isEmpty() || !first.err.contains("not defined"), first.err.constData());
    const QString project = folder + QStringLiteral("/project");

    const auto eval = runLookalike({QStringLiteral("eval"), project, QStringLiteral("--json"),
        QStringLiteral("--resamples"), QStringLiteral("200")});
    CHECK_OK(eval);
    const QJsonObject doc = QJsonDocument::fromJson(eval.out).object();
    const QJsonArray models = doc.value(QStringLiteral("models")).toArray();
    QCOMPARE(models.size(), 3);
    for (const QJsonValue &m : models) {
        QCOMPARE(m.toObject().value(QStringLiteral("queries")).toInt(), 60); // every query judged by the silver judge
        QCOMPARE(
            m.toObject().value(QStringLiteral("mean")).toObject().value(QStringLiteral("judged@5")).toDouble(), 1.0);
    }
    // The paper's claim, on the demo: fine-tuning beats the baseline, and not by chance.
    const QJsonObject comparison = doc.value(QStringLiteral("comparisons")).toArray().at(0).toObject();
    QCOMPARE(comparison.value(QStringLiteral("baseline")).toString(), QStringLiteral("siglip-tiny-random"));
    QCOMPARE(comparison.value(QStringLiteral("model")).toString(), QStringLiteral("siglip-tiny-demo-finetuned"));
    for (const char *metric : {"ndcg@5", "p@1"}) {
        const QJsonObject m
            = comparison.value(QStringLiteral("metrics")).toObject().value(QLatin1String(metric)).toObject();
        QVERIFY2(m.value(QStringLiteral("delta")).toDouble() > 0, metric);
        QVERIFY2(m.value(QStringLiteral("ci")).toArray().at(0).toDouble() > 0, metric); // the interval excludes zero
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

void TestCliDemo::finetuneLowersTheLossAndWritesALoadableCheckpoint()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("cli-finetune"));
    const auto demo
        = runLookalike({QStringLiteral("demo"), folder + QStringLiteral("/demo"), QStringLiteral("--no-open"),
            QStringLiteral("--items"), QStringLiteral("400"), QStringLiteral("--queries"), QStringLiteral("12")});
    CHECK_OK(demo);
    const QString project = folder + QStringLiteral("/demo/project"), out = folder + QStringLiteral("/tuned");
    const auto tune = runLookalike({QStringLiteral("finetune"), project, QStringLiteral("--model"),
        testsupport::tinyCheckpointDir(), QStringLiteral("--out"), out, QStringLiteral("--epochs"), QStringLiteral("4"),
        QStringLiteral("--batch-size"), QStringLiteral("32"), QStringLiteral("--lr"), QStringLiteral("3e-3")});
    CHECK_OK(tune);
    QVERIFY2(tune.out.contains("held out"), tune.out.constData());
    QVERIFY(tune.err.contains("progress:")); // not a terminal: plain progress lines with the loss
    QVERIFY(tune.err.contains("loss"));
    // The table: start, then epochs 1-4. The validation loss ends below where it started, and
    // the training loss falls from the first epoch to the last.
    double start = -1, last = -1, firstTrain = -1, lastTrain = -1;
    for (const QByteArray &line : tune.out.split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() == 4 && f[0] == "start")
            start = f[2].toDouble();
        if (f.size() == 4 && f[0] == "1")
            firstTrain = f[1].toDouble();
        if (f.size() == 4 && f[0] == "4") {
            last = f[2].toDouble();
            lastTrain = f[1].toDouble();
        }
    }
    QVERIFY2(start > 0 && last > 0 && last < start, tune.out.constData());
    QVERIFY2(lastTrain < firstTrain, tune.out.constData());
    for (const char *file : {"config.json", "model.safetensors", "preprocessor_config.json", "tokenizer_config.json",
             "special_tokens_map.json", "spiece.model", "lookalike_finetune.json"})
        QVERIFY2(QFile::exists(out + QLatin1Char('/') + QLatin1String(file)), file);
    // The engine loads it back.
    const auto embed = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), out, QStringLiteral("--text"),
        QStringLiteral("red mug"), QStringLiteral("--json")});
    CHECK_OK(embed);
    // An output folder in use is refused and left alone.
    const auto again = runLookalike(
        {QStringLiteral("finetune"), project, QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
            QStringLiteral("--out"), out, QStringLiteral("--epochs"), QStringLiteral("1")});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("exists and is not empty"), again.err.constData());
    QVERIFY(QFile::exists(out + QStringLiteral("/model.safetensors")));
}

void TestCliDemo::interruptedFinetuneContinuesToTheSameModel()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("cli-resume"));
    CHECK_OK(runLookalike({QStringLiteral("demo"), folder + QStringLiteral("/demo"), QStringLiteral("--no-open"),
        QStringLiteral("--items"), QStringLiteral("200"), QStringLiteral("--queries"), QStringLiteral("8")}));
    const QString project = folder + QStringLiteral("/demo/project");
    auto tune = [&](const QString &out, const QStringList &extra) {
        return runLookalike(
            QStringList{QStringLiteral("finetune"), project, QStringLiteral("--model"),
                testsupport::tinyCheckpointDir(), QStringLiteral("--out"), out, QStringLiteral("--epochs"),
                QStringLiteral("3"), QStringLiteral("--batch-size"), QStringLiteral("32"), QStringLiteral("--lr"),
                QStringLiteral("2e-3"), QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--quiet")}
            + extra);
    };
    const QString straight = folder + QStringLiteral("/straight"), resumed = folder + QStringLiteral("/resumed");
    CHECK_OK(tune(straight, {}));
    const auto stopped = tune(resumed, {QStringLiteral("--stop-after"), QStringLiteral("1")});
    CHECK_OK(stopped);
    QVERIFY2(stopped.out.contains("stopped after epoch 1 of 3"), stopped.out.constData());
    QVERIFY(!QFile::exists(resumed + QStringLiteral("/model.safetensors"))); // nothing half-written in place
    QVERIFY(QFile::exists(resumed + QStringLiteral(".partial/state.safetensors")));
    const auto rest = tune(resumed, {});
    CHECK_OK(rest);
    QVERIFY2(rest.out.contains("continued an interrupted run after epoch 1"), rest.out.constData());
    QCOMPARE(testsupport::readFileBytes(resumed + QStringLiteral("/model.safetensors")),
        testsupport::readFileBytes(straight + QStringLiteral("/model.safetensors")));
    QVERIFY(!QFile::exists(resumed + QStringLiteral(".partial")));
}

void TestCliDemo::finetuneFromScratchTrainsAVocabulary()
{
    const QString folder = testsupport::scratchDir(QStringLiteral("cli-scratch"));
    CHECK_OK(runLookalike({QStringLiteral("demo"), folder + QStringLiteral("/demo"), QStringLiteral("--no-open"),
        QStringLiteral("--items"), QStringLiteral("300"), QStringLiteral("--queries"), QStringLiteral("8")}));
    const QString config = testsupport::writeScratchFile(QStringLiteral("scratch-config.json"),
        R"({"vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
             "image_size": 32, "patch_size": 8},
            "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
             "vocab_size": 250, "max_position_embeddings": 12}})");
    const QString out = folder + QStringLiteral("/new");
    const auto tune = runLookalike({QStringLiteral("finetune"), folder + QStringLiteral("/demo/project"),
        QStringLiteral("--from-scratch"), config, QStringLiteral("--out"), out, QStringLiteral("--epochs"),
        QStringLiteral("3"), QStringLiteral("--lr"), QStringLiteral("3e-3")});
    CHECK_OK(tune);
    QVERIFY2(tune.out.contains("a vocabulary trained on the catalog's titles"), tune.out.constData());
    QVERIFY(!QFile::exists(out + QStringLiteral(".scratch")));
    // The new vocabulary knows the catalog's words: no <unk> (id 2) in a title-like text, and
    // it is not the tiny checkpoint's.
    QVERIFY(testsupport::readFileBytes(out + QStringLiteral("/spiece.model"))
        != testsupport::readFileBytes(testsupport::tinyCheckpointDir() + QStringLiteral("/spiece.model")));
    const auto embed = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), out, QStringLiteral("--text"),
        QStringLiteral("Acme red striped mug - brand new"), QStringLiteral("--json")});
    CHECK_OK(embed);
    const QJsonArray ids = QJsonDocument::fromJson(embed.out)
                               .object()
                               .value(QStringLiteral("texts"))
                               .toArray()
                               .at(0)
                               .toObject()
                               .value(QStringLiteral("input_ids"))
                               .toArray();
    QCOMPARE(ids.size(), 12);
    for (const QJsonValue &id : ids) {
        QVERIFY(id.toInt() != 2);
        QVERIFY(id.toInt() < 250);
    }
    QVERIFY(QJsonDocument::fromJson(testsupport::readFileBytes(out + QStringLiteral("/config.json")))
                .object()
                .value(QStringLiteral("vision_config"))
                .toObject()
                .value(QStringLiteral("hidden_size"))
                .toInt()
        == 32);
}

void TestCliDemo::helpListsEveryCommand()
{
    const auto demoHelp = runLookalike({QStringLiteral("demo"), QStringLiteral("--help")});
    CHECK_OK(demoHelp);
    QVERIFY(demoHelp.out.contains("--rebuild"));
    QVERIFY(demoHelp.err.isEmpty());
    const auto help = runLookalike({QStringLiteral("--help")});
    CHECK_OK(help);
    for (const char *command : {"demo", "finetune", "init", "import", "index", "queries", "neighbours", "models",
             "judge", "eval", "export", "import-qrels", "agreement", "autojudge", "settings", "embed"})
        QVERIFY2(help.out.contains(QByteArray("\n  ") + command + ' '), command);
}

QTEST_MAIN(TestCliDemo)
#include "tst_cli_demo.moc"
