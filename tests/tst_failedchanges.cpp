// Bad input never corrupts a project: a `lookalike import` that fails (a bad row in strict mode
// thousands of rows in, bytes that are not UTF-8, a write that fails half-way, an unreadable
// manifest) leaves every table and the rejected-rows report exactly as they were, and its
// one-line error says so; a `lookalike finetune` that fails (a bad checkpoint, no readable
// image, an output folder that cannot be made, a full disk) or is cancelled leaves no output
// folder, nothing in the project, and <out>.partial only as a complete state to continue from.
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

#include <csignal>
#include <sys/resource.h>

using testsupport::CliResult;
using testsupport::runLookalike;


namespace {

// Every row of every table, in rowid order, through a raw SQLite connection.
QString dumpDatabase(const QString &project)
{
    static int counter = 0;
    const QString name = QStringLiteral("dump-%1").arg(++counter);
    QString out;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(project + QStringLiteral("/lookalike.db"));
        if (!db.open())
            return QStringLiteral("<cannot open: %1>").arg(db.lastError().text());
        QStringList tables;
        QSqlQuery t(db);
        t.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
        while (t.next())
            tables << t.value(0).toString();
        for (const QString &table : tables) {
            out += QStringLiteral("== %1\n").arg(table);
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("SELECT * FROM \"%1\" ORDER BY rowid").arg(table)))
                q.exec(QStringLiteral("SELECT * FROM \"%1\"").arg(table)); // WITHOUT ROWID
            while (q.next()) {
                QStringList cells;
                for (int c = 0; c < q.record().count(); ++c)
                    cells << (q.value(c).isNull() ? QStringLiteral("NULL") : q.value(c).toString());
                out += cells.join(QLatin1Char('|')) + QLatin1Char('\n');
            }
        }
        QSqlQuery check(db);
        check.exec(QStringLiteral("PRAGMA integrity_check"));
        out += QStringLiteral("integrity: %1\n").arg(check.next() ? check.value(0).toString() : QStringLiteral("?"));
    }
    QSqlDatabase::removeDatabase(name);
    return out;
}

// The files of a folder (not recursive), without SQLite's own -wal and -shm.
QStringList listing(const QString &folder)
{
    QStringList names = QDir(folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name);
    names.removeIf(
        [](const QString &n) { return n.endsWith(QLatin1String("-wal")) || n.endsWith(QLatin1String("-shm")); });
    return names;
}

// Runs one statement on the project's database through a connection of its own.
bool execOn(const QString &project, const QString &sql)
{
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("exec"));
        db.setDatabaseName(project + QStringLiteral("/lookalike.db"));
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("exec"));
    return ok;
}

// The error line of a command (stderr also carries progress lines).
QByteArray errorLine(const QByteArray &err)
{
    for (const QByteArray &line : err.split('\n'))
        if (line.startsWith("lookalike: error:"))
            return line;
    return {};
}

// A project made from the test catalog (30 items unless told), with a rejected-rows report from
// its import.
QString makeProject(QString *imageOf = nullptr, int perCategory = 10)
{
    testsupport::TestCatalogOptions options;
    options.perCategory = perCategory;
    const auto catalog = testsupport::makeTestCatalog(options);
    QFile manifest(catalog.manifest);
    manifest.open(QIODevice::Append);
    manifest.write("broken-0,images/missing.ppm,\"a row without an image\",red,seller-0\n");
    manifest.close();
    const QString project = testsupport::scratchDir(QStringLiteral("failed")) + QStringLiteral("/project");
    const CliResult init
        = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest});
    if (init.exitCode != 0)
        qFatal("init failed: %s", init.err.constData());
    if (imageOf)
        *imageOf = catalog.folder + QStringLiteral("/images/red-0.ppm");
    return project;
}

// A manifest of `rows` rows: the project's 30 items with new titles, then new items; `line`
// (1-based data row, 0 for none) is replaced by `badRow`.
QString bigManifest(const QString &image, int rows, int line, const QByteArray &badRow)
{
    QByteArray csv = "id,image,title,category,seller\n";
    const char *categories[] = {"red", "green", "blue"};
    for (int i = 1; i <= rows; ++i) {
        if (i == line) {
            csv += badRow + '\n';
            continue;
        }
        const QByteArray id = i <= 30 ? QByteArray(categories[(i - 1) / 10]) + '-' + QByteArray::number((i - 1) % 10)
                                      : "new-" + QByteArray::number(i);
        csv += id + ',' + image.toUtf8() + ",\"renamed item " + QByteArray::number(i) + "\",red,seller-1\n";
    }
    return testsupport::writeScratchFile(QStringLiteral("big-%1-%2.csv").arg(rows).arg(line), csv);
}

} // namespace

class TestFailedChanges : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void failedImportLeavesTheProjectAsItWas_data();
    void failedImportLeavesTheProjectAsItWas();
    void failedFinetuneLeavesNothing_data();
    void failedFinetuneLeavesNothing();
    void failedFromScratchLeavesNoStartingModel();
    void finetuneOnAFullDiskLeavesNothingHalfWritten();
    void cancelledFinetuneKeepsOnlyACompleteState();
    void damagedStateIsRemovedAndTheRunStartsOver();
};

void TestFailedChanges::failedImportLeavesTheProjectAsItWas_data()
{
    QTest::addColumn<int>("badLine"); // data row of the big manifest replaced, 0 for none
    QTest::addColumn<QByteArray>("badRow");
    QTest::addColumn<bool>("strict");
    QTest::addColumn<QString>("failingKey"); // an insert of this id fails in SQLite (empty: none)
    QTest::addColumn<QString>("manifestOverride"); // "dir": the manifest is a folder
    QTest::addColumn<QString>("expected"); // in the error line

    QTest::newRow("strict, a row without a title at line 4000")
        << 4000 << QByteArray("bad-1,images/x.ppm,,red,seller-0") << true << QString() << QString()
        << QStringLiteral("missing title");
    QTest::newRow("strict, bytes that are not UTF-8 at line 4500")
        << 4500 << QByteArray("bad-2,images/x.ppm,\"caf\xe9\",red,seller-0") << true << QString() << QString()
        << QStringLiteral("invalid UTF-8");
    QTest::newRow("a write that fails at row 3000, rejected rows too")
        << 10 << QByteArray("bad-3,,\"no image\",red,seller-0") << false << QStringLiteral("new-3000") << QString()
        << QStringLiteral("simulated write failure");
    QTest::newRow("the manifest is a folder")
        << 0 << QByteArray() << false << QString() << QStringLiteral("dir") << QStringLiteral("is a directory");
}

void TestFailedChanges::failedImportLeavesTheProjectAsItWas()
{
    QFETCH(int, badLine);
    QFETCH(QByteArray, badRow);
    QFETCH(bool, strict);
    QFETCH(QString, failingKey);
    QFETCH(QString, manifestOverride);
    QFETCH(QString, expected);

    QString image;
    const QString project = makeProject(&image);
    QVERIFY(QFile::exists(project + QStringLiteral("/rejected-rows.csv")));
    if (!failingKey.isEmpty()) {
        // Stands in for an I/O error or a full disk: SQLite fails a statement in the middle of
        // the import's transaction, after thousands of rows were written in it.
        QVERIFY(execOn(project,
            QStringLiteral("CREATE TRIGGER fail_import BEFORE INSERT ON items WHEN NEW.item_key = '%1' "
                           "BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END")
                .arg(failingKey)));
    }
    const QString manifest = manifestOverride == QLatin1String("dir")
        ? testsupport::scratchDir(QStringLiteral("manifest-dir"))
        : bigManifest(image, 5000, badLine, badRow);

    const QString before = dumpDatabase(project);
    const QByteArray reportBefore = testsupport::readFileBytes(project + QStringLiteral("/rejected-rows.csv"));
    const QStringList filesBefore = listing(project);
    QVERIFY(before.contains(QLatin1String("integrity: ok")));

    QStringList args{QStringLiteral("import"), project, QStringLiteral("--catalog"), manifest};
    if (strict)
        args << QStringLiteral("--strict");
    const CliResult run = runLookalike(args);
    QCOMPARE(run.exitCode, 1);
    const QByteArray line = errorLine(run.err);
    QVERIFY2(line.contains(expected.toUtf8()), run.err.constData());
    QVERIFY2(line.contains("nothing was imported; the project is unchanged"), run.err.constData());
    QCOMPARE(run.err.count('\n'), 1);
    QVERIFY(run.out.isEmpty());

    QCOMPARE(dumpDatabase(project), before);
    QCOMPARE(testsupport::readFileBytes(project + QStringLiteral("/rejected-rows.csv")), reportBefore);
    QCOMPARE(listing(project), filesBefore);

    if (!failingKey.isEmpty()) {
        // The same manifest goes in once the failure is gone, with its own report.
        QVERIFY(execOn(project, QStringLiteral("DROP TRIGGER fail_import")));
        const CliResult again = runLookalike(args);
        CHECK_OK(again);
        QVERIFY2(again.out.contains("4999 rows accepted (4970 added, 29 updated, 0 unchanged), 1 rejected"),
            again.out.constData());
        QVERIFY(testsupport::readFileBytes(project + QStringLiteral("/rejected-rows.csv")).contains("bad-3"));
        QCOMPARE(listing(project), filesBefore);
    }
}

namespace {

QStringList finetuneArgs(const QString &project, const QString &model, const QString &out, int epochs)
{
    return {QStringLiteral("finetune"), project, QStringLiteral("--model"), model, QStringLiteral("--out"), out,
        QStringLiteral("--epochs"), QString::number(epochs), QStringLiteral("--batch-size"), QStringLiteral("8"),
        QStringLiteral("--threads"), QStringLiteral("1")};
}

// What every failed or cancelled fine-tuning must leave: no output, the project as it was, and
// <out>.partial only with a complete state (when `stateKept`).
void checkNothingLeft(const CliResult &run, const QString &project, const QString &out, const QString &dumpBefore,
    const QStringList &parentBefore, bool stateKept)
{
    const QByteArray line = errorLine(run.err);
    QVERIFY2(
        line.contains("nothing was written to " + out.toUtf8() + " and the project is unchanged"), run.err.constData());
    QCOMPARE(line.contains("is kept in " + out.toUtf8() + ".partial"), stateKept);
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(dumpDatabase(project), dumpBefore);
    const QString parent = QFileInfo(out).absolutePath();
    QStringList expected = parentBefore;
    if (stateKept) {
        expected << QFileInfo(out).fileName() + QStringLiteral(".partial");
        expected.sort();
        QCOMPARE(listing(out + QStringLiteral(".partial")),
            (QStringList{QStringLiteral("state.json"), QStringLiteral("state.safetensors")}));
    }
    QCOMPARE(listing(parent), expected);
}

} // namespace

void TestFailedChanges::failedFinetuneLeavesNothing_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QString>("expected"); // in the error line
    QTest::newRow("a checkpoint folder that does not exist")
        << QStringLiteral("no checkpoint") << QStringLiteral("model folder not found");
    QTest::newRow("a checkpoint with truncated weights")
        << QStringLiteral("truncated weights") << QStringLiteral("model.safetensors");
    QTest::newRow("no catalog image can be read")
        << QStringLiteral("corrupt images") << QStringLiteral("at least 4 items with a readable image");
    QTest::newRow("the output's parent is a file")
        << QStringLiteral("parent is a file") << QStringLiteral("not a directory");
}

void TestFailedChanges::failedFinetuneLeavesNothing()
{
    QFETCH(QString, problem);
    QFETCH(QString, expected);
    QString image;
    const QString project = makeProject(&image);
    const QString work = testsupport::scratchDir(QStringLiteral("finetune-fail"));
    QString model = testsupport::tinyCheckpointDir(), out = work + QStringLiteral("/tuned");
    if (problem == QLatin1String("no checkpoint")) {
        model = work + QStringLiteral("/missing-checkpoint");
    } else if (problem == QLatin1String("truncated weights")) {
        model = work + QStringLiteral("/checkpoint");
        QVERIFY(QDir().mkpath(model));
        for (const QString &f : QDir(testsupport::tinyCheckpointDir()).entryList(QDir::Files))
            QVERIFY(QFile::copy(testsupport::tinyCheckpointDir() + QLatin1Char('/') + f, model + QLatin1Char('/') + f));
        QFile weights(model + QStringLiteral("/model.safetensors"));
        QVERIFY(weights.resize(weights.size() / 2));
    } else if (problem == QLatin1String("corrupt images")) {
        for (const QFileInfo &f : QDir(QFileInfo(image).absolutePath()).entryInfoList(QDir::Files)) {
            QFile file(f.absoluteFilePath());
            QVERIFY(file.open(QIODevice::ReadWrite));
            file.seek(3);
            file.write(QByteArray(8, 'z')); // the header's size field: no longer a PPM that decodes
        }
    } else if (problem == QLatin1String("parent is a file")) {
        QFile file(work + QStringLiteral("/a-file"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a folder");
        file.close();
        out = work + QStringLiteral("/a-file/tuned");
    }
    const QString dumpBefore = dumpDatabase(project);
    const QString parent = QFileInfo(out).absolutePath();
    const QStringList parentBefore = QFileInfo(parent).isDir() ? listing(parent) : QStringList();

    const CliResult run = runLookalike(finetuneArgs(project, model, out, 2));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(errorLine(run.err).contains(expected.toUtf8()), run.err.constData());
    if (problem == QLatin1String("parent is a file")) {
        QVERIFY(!QFileInfo::exists(out));
        QCOMPARE(dumpDatabase(project), dumpBefore);
        QCOMPARE(listing(work), (QStringList{QStringLiteral("a-file")}));
        QCOMPARE(testsupport::readFileBytes(work + QStringLiteral("/a-file")), QByteArray("not a folder"));
        QVERIFY2(errorLine(run.err).contains("nothing was written to"), run.err.constData());
        return;
    }
    checkNothingLeft(run, project, out, dumpBefore, parentBefore, false);
}

void TestFailedChanges::failedFromScratchLeavesNoStartingModel()
{
    // The new model (<out>.scratch: random weights, a vocabulary from the titles) is made, then
    // training fails: no image of the catalog can be read.
    QString image;
    const QString project = makeProject(&image);
    for (const QFileInfo &f : QDir(QFileInfo(image).absolutePath()).entryInfoList(QDir::Files)) {
        QFile file(f.absoluteFilePath());
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(3);
        file.write(QByteArray(8, 'z'));
    }
    const QString work = testsupport::scratchDir(QStringLiteral("finetune-scratch"));
    const QString out = work + QStringLiteral("/new");
    const QString dumpBefore = dumpDatabase(project);
    const CliResult run = runLookalike({QStringLiteral("finetune"), project, QStringLiteral("--from-scratch"),
        QStringLiteral(R"({"vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
            "num_attention_heads": 2, "image_size": 32, "patch_size": 8}, "text_config": {"hidden_size": 32,
            "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 250,
            "max_position_embeddings": 12}})"),
        QStringLiteral("--out"), out, QStringLiteral("--epochs"), QStringLiteral("1")});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.out.contains("a vocabulary trained on the catalog's titles"), run.out.constData());
    QVERIFY2(errorLine(run.err).contains("at least 4 items with a readable image"), run.err.constData());
    checkNothingLeft(run, project, out, dumpBefore, {}, false); // no new.scratch either
}

void TestFailedChanges::finetuneOnAFullDiskLeavesNothingHalfWritten()
{
    // A file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes every write past 1.2 MB fail with
    // EFBIG, as a full disk fails it: an epoch's state (weights and two AdamW moments, about
    // 2.6 MB) cannot be saved.
    const QString project = makeProject();
    const QString work = testsupport::scratchDir(QStringLiteral("finetune-full"));
    const QString out = work + QStringLiteral("/tuned");
    const QString dumpBefore = dumpDatabase(project);
    const QStringList parentBefore = listing(work);

    auto runOnFullDisk = [&](const QStringList &args) {
        QProcess process;
        process.setChildProcessModifier([] {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit{1200 * 1024, 1200 * 1024};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        });
        process.start(testsupport::lookalikeExecutable(), args);
        process.waitForFinished(120000);
        CliResult run;
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        return run;
    };
    const QStringList args = finetuneArgs(project, testsupport::tinyCheckpointDir(), out, 3)
        << QStringLiteral("--quiet");
    const CliResult first = runOnFullDisk(args);
    QCOMPARE(first.exitCode, 1);
    QVERIFY2(errorLine(first.err).contains("state.safetensors.tmp: cannot write"), first.err.constData());
    checkNothingLeft(first, project, out, dumpBefore, parentBefore, false);

    // The disk fills up after a completed epoch: that epoch's state stays, and once there is
    // room again the same command continues from it.
    const CliResult stopped = runLookalike(QStringList(args) << QStringLiteral("--stop-after") << QStringLiteral("1"));
    CHECK_OK(stopped);
    const CliResult second = runOnFullDisk(args);
    QCOMPARE(second.exitCode, 1);
    checkNothingLeft(second, project, out, dumpBefore, parentBefore, true);
    const CliResult rest = runLookalike(args);
    CHECK_OK(rest);
    QVERIFY2(rest.out.contains("continued an interrupted run after epoch 1"), rest.out.constData());
    QVERIFY(QFile::exists(out + QStringLiteral("/model.safetensors")));
    QVERIFY(!QFileInfo::exists(out + QStringLiteral(".partial")));
    QCOMPARE(dumpDatabase(project), dumpBefore);
}

void TestFailedChanges::cancelledFinetuneKeepsOnlyACompleteState()
{
    const QString project = makeProject();
    const QString work = testsupport::scratchDir(QStringLiteral("finetune-cancel"));
    const QString out = work + QStringLiteral("/tuned");
    const QString dumpBefore = dumpDatabase(project);
    const QStringList parentBefore = listing(work);

    // Ctrl-C once the first epoch's state is saved: the run stops before its next step.
    QProcess process;
    process.start(testsupport::lookalikeExecutable(),
        finetuneArgs(project, testsupport::tinyCheckpointDir(), out, 10000) << QStringLiteral("--quiet"));
    QVERIFY(process.waitForStarted());
    QElapsedTimer clock;
    clock.start();
    while (!QFile::exists(out + QStringLiteral(".partial/state.json")) && clock.elapsed() < 120000
        && process.state() == QProcess::Running)
        QTest::qWait(20);
    QVERIFY2(QFile::exists(out + QStringLiteral(".partial/state.json")), process.readAllStandardError().constData());
    ::kill(static_cast<pid_t>(process.processId()), SIGINT);
    QVERIFY(process.waitForFinished(60000));
    CliResult run;
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode, 130);
    QVERIFY2(errorLine(run.err).contains("cancelled after"), run.err.constData());
    checkNothingLeft(run, project, out, dumpBefore, parentBefore, true);

    // Cancelled at the first step of a long first epoch (600 items, batch 2: 270 steps):
    // nothing is kept.
    const QString big = makeProject(nullptr, 200);
    const QString bigOut = work + QStringLiteral("/tuned-big");
    const QString bigDumpBefore = dumpDatabase(big);
    const QStringList bigParentBefore = listing(work);
    QProcess second;
    second.start(testsupport::lookalikeExecutable(),
        finetuneArgs(big, testsupport::tinyCheckpointDir(), bigOut, 3)
            << QStringLiteral("--batch-size") << QStringLiteral("2"));
    QVERIFY(second.waitForStarted());
    clock.restart();
    while (!second.readAllStandardError().contains("progress:") && clock.elapsed() < 120000
        && second.state() == QProcess::Running)
        second.waitForReadyRead(20);
    ::kill(static_cast<pid_t>(second.processId()), SIGINT);
    QVERIFY(second.waitForFinished(60000));
    CliResult secondRun;
    secondRun.exitCode = second.exitCode();
    secondRun.err = second.readAllStandardError();
    QCOMPARE(secondRun.exitCode, 130);
    QVERIFY2(errorLine(secondRun.err).contains("cancelled after 0 completed epochs"), secondRun.err.constData());
    checkNothingLeft(secondRun, big, bigOut, bigDumpBefore, bigParentBefore, false);
}

void TestFailedChanges::damagedStateIsRemovedAndTheRunStartsOver()
{
    const QString project = makeProject();
    const QString work = testsupport::scratchDir(QStringLiteral("finetune-damaged"));
    const QString out = work + QStringLiteral("/tuned");
    const QString dumpBefore = dumpDatabase(project);
    const QStringList parentBefore = listing(work);
    const QStringList args = finetuneArgs(project, testsupport::tinyCheckpointDir(), out, 2)
        << QStringLiteral("--quiet");
    const CliResult stopped = runLookalike(QStringList(args) << QStringLiteral("--stop-after") << QStringLiteral("1"));
    CHECK_OK(stopped);
    QFile state(out + QStringLiteral(".partial/state.safetensors"));
    QVERIFY(state.resize(state.size() / 3)); // damaged from outside

    const CliResult damaged = runLookalike(args);
    QCOMPARE(damaged.exitCode, 1);
    QVERIFY2(errorLine(damaged.err).contains("the saved training state cannot be read"), damaged.err.constData());
    QVERIFY2(
        errorLine(damaged.err).contains("it was removed, so the same command starts over"), damaged.err.constData());
    checkNothingLeft(damaged, project, out, dumpBefore, parentBefore, false);

    const CliResult again = runLookalike(args);
    CHECK_OK(again);
    QVERIFY2(!again.out.contains("continued"), again.out.constData());
    QVERIFY(QFile::exists(out + QStringLiteral("/model.safetensors")));
}

QTEST_GUILESS_MAIN(TestFailedChanges)
#include "tst_failedchanges.moc"
