// The project commands end to end through the `lookalike` executable: init, import, queries,
// index (also killed with SIGKILL and resumed), neighbours (--json, --text), models, errors.
#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/Project.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QProcess>
#include "core/model/SiglipModel.h"

#include <QTest>

#include <filesystem>

using testsupport::runLookalike;
namespace fs = std::filesystem;

namespace {

QString newProject()
{
    return testsupport::scratchDir(QStringLiteral("cliproj")) + QStringLiteral("/project");
}

QString tiny()
{
    return testsupport::tinyCheckpointDir();
}


} // namespace

class TestCliProject : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fullWorkflow();
    void initReportsRejectedRowsAndStrictRefuses();
    void initWithoutUsableManifestLeavesNothing();
    void queriesFromFileReportsUnknownIds();
    void killedIndexResumesToTheSameEmbeddings();
    void terminatedIndexStopsPromptlyAndSaysWhatWasKept();
    void reusingANameForOtherWeightsIsRefused();
    void usageErrors();
};

void TestCliProject::fullWorkflow()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    const auto init = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest});
    CHECK_OK(init);
    QVERIFY(init.out.contains("30 rows accepted"));
    const auto queries
        = runLookalike({QStringLiteral("queries"), project, QStringLiteral("--sample"), QStringLiteral("6"),
            QStringLiteral("--seed"), QStringLiteral("3"), QStringLiteral("--by"), QStringLiteral("category")});
    CHECK_OK(queries);
    QVERIFY(queries.out.contains("added 6 queries"));
    const auto index = runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(),
        QStringLiteral("--name"), QStringLiteral("tiny-v1"), QStringLiteral("--batch-size"), QStringLiteral("8"),
        QStringLiteral("--depth"), QStringLiteral("5")});
    CHECK_OK(index);
    QVERIFY2(index.out.contains("30 embedded in all"), index.out.constData());
    QVERIFY(index.out.contains("6 frozen at depth 5"));
    QVERIFY(index.err.contains("progress:")); // not a terminal: plain progress lines
    // It says what it chose without being asked: the precision auto gave, and the batches.
    const QByteArray chosen = "embedding: " + QByteArray::fromStdString(lookalike::precisionInWords(lookalike::automaticPrecision())) + ", ";
    QVERIFY2(index.out.contains(chosen) && index.out.contains(", batches of 8\n"), index.out.constData());

    const auto json = runLookalike({QStringLiteral("neighbours"), project, QStringLiteral("--model"),
        QStringLiteral("tiny-v1"), QStringLiteral("--query"), QStringLiteral("red-3"), QStringLiteral("-k"),
        QStringLiteral("4"), QStringLiteral("--json")});
    CHECK_OK(json);
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(
        doc.value(QStringLiteral("query")).toObject().value(QStringLiteral("id")).toString(), QStringLiteral("red-3"));
    const QJsonArray list = doc.value(QStringLiteral("neighbours")).toArray();
    QCOMPARE(list.size(), 4);
    double previous = 2;
    for (const QJsonValue &n : list) {
        QVERIFY(n.toObject().value(QStringLiteral("id")).toString() != QStringLiteral("red-3"));
        QVERIFY(n.toObject().value(QStringLiteral("score")).toDouble() <= previous);
        previous = n.toObject().value(QStringLiteral("score")).toDouble();
    }
    // The tiny model's random weights still group the solid colours.
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("category")).toString(), QStringLiteral("red"));

    const auto text
        = runLookalike({QStringLiteral("neighbours"), project, QStringLiteral("--model"), QStringLiteral("tiny-v1"),
            QStringLiteral("--text"), QStringLiteral("red leather wallet"), QStringLiteral("--json")});
    CHECK_OK(text);
    QCOMPARE(QJsonDocument::fromJson(text.out).object().value(QStringLiteral("neighbours")).toArray().size(), 10);

    const auto table = runLookalike({QStringLiteral("neighbours"), project, QStringLiteral("--model"),
        QStringLiteral("tiny-v1"), QStringLiteral("--query"), QStringLiteral("blue-0")});
    CHECK_OK(table);
    QVERIFY(table.out.contains("Neighbours of blue-0"));

    const auto models = runLookalike({QStringLiteral("models"), project});
    CHECK_OK(models);
    QVERIFY(models.out.contains("tiny-v1"));
    QVERIFY(models.out.contains("siglip"));

    // bf16 products: recorded with the version, shown by models, noted by eval; a precision it
    // does not know is a usage error.
    QCOMPARE(runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(), QStringLiteral("--name"),
                           QStringLiteral("tiny-bf16"), QStringLiteral("--precision"), QStringLiteral("fp16")})
                 .exitCode,
             2);
    CHECK_OK(runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(), QStringLiteral("--name"),
                           QStringLiteral("tiny-bf16"), QStringLiteral("--precision"), QStringLiteral("bf16"),
                           QStringLiteral("--quiet")}));
    const auto withBf16 = runLookalike({QStringLiteral("models"), project});
    QVERIFY2(withBf16.out.contains(QByteArray("tiny-bf16").leftJustified(20) + "  siglip bf16"), withBf16.out.constData());
    const auto eval = runLookalike({QStringLiteral("eval"), project});
    QVERIFY2(eval.out.contains("note: tiny-bf16 was embedded with bf16 products"), eval.out.constData());

    // Running index again changes nothing and keeps the frozen lists.
    const auto again = runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(),
        QStringLiteral("--name"), QStringLiteral("tiny-v1")});
    CHECK_OK(again);
    QVERIFY2(again.out.contains("embedded 0 images"), again.out.constData());
    QVERIFY(again.out.contains("6 already frozen"));
}

void TestCliProject::initReportsRejectedRowsAndStrictRefuses()
{
    const auto catalog = testsupport::makeTestCatalog({});
    QFile f(catalog.manifest);
    QVERIFY(f.open(QIODevice::Append));
    f.write("ghost,images/ghost.ppm,missing image,red,s\n");
    f.close();
    const QString project = newProject();
    const auto init = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest});
    CHECK_OK(init);
    QVERIFY(init.out.contains("1 rejected"));
    QVERIFY(init.out.contains("rejected-rows.csv"));
    QVERIFY(QFile::exists(project + QStringLiteral("/rejected-rows.csv")));

    const QString strictProject = newProject();
    const auto strict = runLookalike({QStringLiteral("init"), strictProject, QStringLiteral("--catalog"),
        catalog.manifest, QStringLiteral("--strict")});
    QVERIFY(strict.exitCode != 0);
    QVERIFY2(strict.err.contains("catalog.csv") && strict.err.count('\n') == 1, strict.err.constData());
    QVERIFY(!QFile::exists(strictProject + QStringLiteral("/lookalike.db")));
}

void TestCliProject::initWithoutUsableManifestLeavesNothing()
{
    const QString manifest = testsupport::writeScratchFile(QStringLiteral("notitle.csv"), "id,image\na,b.png\n");
    const QString project = newProject();
    const auto r = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), manifest});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("notitle.csv") && r.err.contains("title"), r.err.constData());
    QVERIFY(!QFile::exists(project));
}

void TestCliProject::queriesFromFileReportsUnknownIds()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest}));
    const QString ids = testsupport::writeScratchFile(QStringLiteral("queries.txt"), "red-1\n\nblue-2\nnope-9\n");
    const auto r = runLookalike({QStringLiteral("queries"), project, QStringLiteral("--from"), ids});
    CHECK_OK(r);
    QVERIFY(r.out.contains("added 2 queries"));
    QVERIFY2(r.out.contains("1 ids of") && r.out.contains("nope-9"), r.out.constData());
}

void TestCliProject::terminatedIndexStopsPromptlyAndSaysWhatWasKept()
{
    testsupport::TestCatalogOptions big;
    big.perCategory = 120;
    const auto catalog = testsupport::makeTestCatalog(big);
    const QString project = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest}));
    QProcess p;
    p.start(testsupport::lookalikeExecutable(),
            {QStringLiteral("index"), project, QStringLiteral("--model"), tiny(), QStringLiteral("--name"),
             QStringLiteral("tiny"), QStringLiteral("--batch-size"), QStringLiteral("2"), QStringLiteral("--workers"),
             QStringLiteral("1"), QStringLiteral("--threads"), QStringLiteral("1")});
    QVERIFY(p.waitForStarted());
    QByteArray err;
    while (!err.contains("progress:") && p.state() == QProcess::Running) {
        p.waitForReadyRead(100);
        err += p.readAllStandardError();
    }
    QElapsedTimer clock;
    clock.start();
    p.terminate(); // SIGTERM, as `timeout` or a service manager sends
    QVERIFY2(p.waitForFinished(20000), "index ignored SIGTERM");
    const QByteArray out = p.readAllStandardOutput();
    if (p.exitCode() == 0 && !out.contains("interrupted"))
        QSKIP("the index run finished before it could be stopped");
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QStringLiteral("took %1 ms to stop").arg(clock.elapsed())));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // it stopped itself, after its batch in flight
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(out.contains("interrupted: ") && out.contains("run the same command again to continue"), out.constData());
}

void TestCliProject::killedIndexResumesToTheSameEmbeddings()
{
    testsupport::TestCatalogOptions big;
    big.perCategory = 120; // 360 images, batches of 2: long enough to be killed part way
    const auto catalog = testsupport::makeTestCatalog(big);
    const QString killed = newProject(), whole = newProject();
    for (const QString &p : {killed, whole})
        CHECK_OK(runLookalike({QStringLiteral("init"), p, QStringLiteral("--catalog"), catalog.manifest}));
    const QStringList indexArgs{QStringLiteral("--model"), tiny(), QStringLiteral("--name"), QStringLiteral("tiny"),
        QStringLiteral("--batch-size"), QStringLiteral("2"), QStringLiteral("--workers"), QStringLiteral("1"),
        QStringLiteral("--threads"), QStringLiteral("1")};

    QProcess p;
    p.setReadChannel(QProcess::StandardError);
    p.start(testsupport::lookalikeExecutable(), QStringList{QStringLiteral("index"), killed} + indexArgs);
    QVERIFY(p.waitForStarted());
    // Wait for the first committed batch (the first progress line), then SIGKILL.
    QByteArray err;
    while (!err.contains("progress:") && p.state() == QProcess::Running) {
        p.waitForReadyRead(100);
        err += p.readAllStandardError();
    }
    p.kill();
    p.waitForFinished();
    std::int64_t afterKill = 0;
    {
        lookalike::Project project = lookalike::Project::open(killed.toStdString());
        afterKill = static_cast<std::int64_t>(
            lookalike::embeddedItemIds(project, lookalike::requireModelVersion(project, "tiny")).size());
    }
    if (afterKill >= 360)
        QSKIP("the index run finished before it could be killed");
    QVERIFY(afterKill > 0);

    CHECK_OK(runLookalike(QStringList{QStringLiteral("index"), killed} + indexArgs));
    CHECK_OK(runLookalike(QStringList{QStringLiteral("index"), whole} + indexArgs));
    auto normalized = [](const QString &folder) {
        lookalike::Project project = lookalike::Project::open(folder.toStdString());
        const auto version = lookalike::requireModelVersion(project, "tiny");
        return std::make_pair(lookalike::embeddedItemIds(project, version),
            lookalike::readNpyMatrix(lookalike::normalizedEmbeddingsFile(project, version)).data);
    };
    const auto a = normalized(killed), b = normalized(whole);
    QCOMPARE(a.first.size(), std::size_t(360));
    QCOMPARE(a.first, b.first);
    QVERIFY(a.second == b.second); // bit for bit
}

void TestCliProject::reusingANameForOtherWeightsIsRefused()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString project = newProject();
    CHECK_OK(runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest}));
    CHECK_OK(runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), tiny(),
        QStringLiteral("--name"), QStringLiteral("v1")}));
    // The same name with a different checkpoint (here: the weights re-saved in BF16).
    const QString other = testsupport::scratchDir(QStringLiteral("other-model"));
    for (const char *name :
        {"config.json", "preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model"})
        QFile::copy(tiny() + QLatin1Char('/') + QLatin1String(name), other + QLatin1Char('/') + QLatin1String(name));
    QByteArray weights = testsupport::readFileBytes(tiny() + QStringLiteral("/model.safetensors"));
    weights[weights.size() - 1] = static_cast<char>(weights[weights.size() - 1] ^ 1); // one bit of one weight
    testsupport::writeScratchFile(QStringLiteral("w.safetensors"), weights);
    QVERIFY(QFile::copy(testsupport::writeScratchFile(QStringLiteral("w.safetensors"), weights),
        other + QStringLiteral("/model.safetensors")));
    const auto r = runLookalike({QStringLiteral("index"), project, QStringLiteral("--model"), other,
        QStringLiteral("--name"), QStringLiteral("v1")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("fingerprint") && r.err.contains("--name"), r.err.constData());
}

void TestCliProject::usageErrors()
{
    const auto noProject = runLookalike({QStringLiteral("index"), QStringLiteral("/no/such/project"),
        QStringLiteral("--model"), tiny(), QStringLiteral("--name"), QStringLiteral("x")});
    QCOMPARE(noProject.exitCode, 1);
    QVERIFY(noProject.err.contains("/no/such/project") && noProject.err.contains("lookalike init"));
    QCOMPARE(runLookalike({QStringLiteral("index"), newProject()}).exitCode, 2);
    QCOMPARE(runLookalike({QStringLiteral("queries"), newProject(), QStringLiteral("--sample"), QStringLiteral("3"),
                              QStringLiteral("--from"), QStringLiteral("x")})
                 .exitCode,
        2);
    QCOMPARE(runLookalike({QStringLiteral("neighbours"), newProject(), QStringLiteral("--model"), QStringLiteral("m")})
                 .exitCode,
        2);
    const auto help = runLookalike({QStringLiteral("index"), QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("--check-recall"));
}

QTEST_MAIN(TestCliProject)
#include "tst_cli_project.moc"
