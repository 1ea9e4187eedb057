// Special files where a user file is expected, through the `lookalike` executable: a FIFO (which
// blocks open() for ever), /dev/zero (which never ends), a folder, or a regular file beyond its
// reader's stated limit. Every reader refuses it at once with one line naming the file and
// what it is, exit status 1, and never hangs (each run has a 60 s budget; a hang fails it).
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <sys/stat.h>

using testsupport::runLookalike;

class TestSpecialFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refusedNamingTheFile_data();
    void refusedNamingTheFile();
    void fifoImageInACatalogIsARejectedRow();

private:
    QString m_dir;
    QString m_project;
    QString fifo(const QString &name) const;
    QString checkpointWith(const QString &name, const QString &replaced, const QString &by) const;
};

QString TestSpecialFiles::fifo(const QString &name) const
{
    const QString path = m_dir + QLatin1Char('/') + name;
    QFile::remove(path);
    if (::mkfifo(QFile::encodeName(path).constData(), 0600) != 0)
        qFatal("cannot make a FIFO at %s", qPrintable(path));
    return path;
}

// A copy of the tiny checkpoint whose file `replaced` is `by` ("fifo", "zero" or "big").
QString TestSpecialFiles::checkpointWith(const QString &name, const QString &replaced, const QString &by) const
{
    const QString dir = m_dir + QLatin1Char('/') + name;
    QDir().mkpath(dir);
    for (const QFileInfo &fi : QDir(testsupport::tinyCheckpointDir()).entryInfoList(QDir::Files))
        if (fi.fileName() != replaced)
            QFile::copy(fi.absoluteFilePath(), dir + QLatin1Char('/') + fi.fileName());
    const QString target = dir + QLatin1Char('/') + replaced;
    if (by == QLatin1String("fifo"))
        ::mkfifo(QFile::encodeName(target).constData(), 0600);
    else if (by == QLatin1String("zero"))
        QFile::link(QStringLiteral("/dev/zero"), target);
    else { // a sparse file just over the JSON settings limit (64 MiB): no disk is used
        QFile f(target);
        if (!f.open(QIODevice::WriteOnly) || !f.resize(65 * 1024 * 1024))
            qFatal("cannot make %s", qPrintable(target));
    }
    return dir;
}

void TestSpecialFiles::initTestCase()
{
    m_dir = testsupport::scratchDir(QStringLiteral("special"));
    const auto catalog = testsupport::makeTestCatalog({});
    m_project = m_dir + QStringLiteral("/p");
    CHECK_OK(runLookalike({QStringLiteral("init"), m_project, QStringLiteral("--catalog"), catalog.manifest}));
    QVERIFY(QFile::link(QStringLiteral("/dev/zero"), m_dir + QStringLiteral("/zero.jpg")));
}

void TestSpecialFiles::refusedNamingTheFile_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("what");
    const QString tiny = testsupport::tinyCheckpointDir();
    const QString fifoText = QStringLiteral("is a FIFO (named pipe), not a regular file");
    const QString deviceText = QStringLiteral("is a character device, not a regular file");

    const QString image = fifo(QStringLiteral("photo.jpg"));
    QTest::newRow("embed: FIFO image") << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), tiny,
                                                      QStringLiteral("--image"), image}
                                       << image << fifoText;
    const QString zero = m_dir + QStringLiteral("/zero.jpg");
    QTest::newRow("embed: image linked to /dev/zero")
        << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), tiny, QStringLiteral("--image"), zero}
        << zero << deviceText;
    const QString manifest = fifo(QStringLiteral("catalog.csv"));
    QTest::newRow("init: FIFO manifest") << QStringList{QStringLiteral("init"), m_dir + QStringLiteral("/new1"),
                                                        QStringLiteral("--catalog"), manifest}
                                         << manifest << fifoText;
    QTest::newRow("init: /dev/zero manifest") << QStringList{QStringLiteral("init"), m_dir + QStringLiteral("/new2"),
                                                             QStringLiteral("--catalog"), QStringLiteral("/dev/zero")}
                                              << QStringLiteral("/dev/zero") << deviceText;
    const QString qrels = fifo(QStringLiteral("qrels.txt"));
    QTest::newRow("import-qrels: FIFO") << QStringList{QStringLiteral("import-qrels"), m_project, qrels,
                                                       QStringLiteral("--rater"), QStringLiteral("v")}
                                        << qrels << fifoText;
    QTest::newRow("import-qrels: /dev/zero")
        << QStringList{QStringLiteral("import-qrels"), m_project, QStringLiteral("/dev/zero"), QStringLiteral("--rater"),
                       QStringLiteral("v")}
        << QStringLiteral("/dev/zero") << deviceText;
    const QString ids = fifo(QStringLiteral("ids.txt"));
    QTest::newRow("queries --from: FIFO") << QStringList{QStringLiteral("queries"), m_project, QStringLiteral("--from"), ids}
                                          << ids << fifoText;
    for (const char *file : {"model.safetensors", "config.json", "spiece.model", "preprocessor_config.json"}) {
        const QString name = QLatin1String(file);
        const QString model = checkpointWith(QStringLiteral("fifo-") + name, name, QStringLiteral("fifo"));
        QTest::addRow("embed: FIFO %s", file)
            << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), model, QStringLiteral("--text"),
                           QStringLiteral("red"), QStringLiteral("--image"),
                           testsupport::refDir() + QStringLiteral("/images/img4_rgb_32x32.png")}
            << model + QLatin1Char('/') + name << fifoText;
    }
    const QString weights = checkpointWith(QStringLiteral("index-fifo"), QStringLiteral("model.safetensors"),
                                           QStringLiteral("fifo"));
    QTest::newRow("index: FIFO weights (fingerprinting)")
        << QStringList{QStringLiteral("index"), m_project, QStringLiteral("--model"), weights, QStringLiteral("--name"),
                       QStringLiteral("v")}
        << weights + QStringLiteral("/model.safetensors") << fifoText;
    const QString zeroWeights = checkpointWith(QStringLiteral("zero-weights"), QStringLiteral("model.safetensors"),
                                               QStringLiteral("zero"));
    QTest::newRow("embed: weights linked to /dev/zero")
        << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), zeroWeights, QStringLiteral("--text"),
                       QStringLiteral("red")}
        << zeroWeights + QStringLiteral("/model.safetensors") << deviceText;
    const QString big = checkpointWith(QStringLiteral("big-config"), QStringLiteral("config.json"), QStringLiteral("big"));
    QTest::newRow("embed: a 65 MiB config.json")
        << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), big, QStringLiteral("--text"), QStringLiteral("red")}
        << big + QStringLiteral("/config.json") << QStringLiteral("is 65 MiB; a JSON settings file is read up to 64 MiB");
    QTest::newRow("settings --scale: a folder")
        << QStringList{QStringLiteral("settings"), m_project, QStringLiteral("--scale"), m_dir}
        << m_dir << QStringLiteral("is a folder, not a regular file");
}

void TestSpecialFiles::refusedNamingTheFile()
{
    QFETCH(QStringList, args);
    QFETCH(QString, file);
    QFETCH(QString, what);
    const auto r = runLookalike(args, 60000);
    QVERIFY2(r.exitCode == 1, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromUtf8(r.err))));
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.count(QLatin1Char('\n')) == 1, qPrintable(err));
    QVERIFY2(err.contains(file + QStringLiteral(": ") + what), qPrintable(err));
}

// An image that is a FIFO is one rejected row of the import, with the reason, not a hang.
void TestSpecialFiles::fifoImageInACatalogIsARejectedRow()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const QString pipe = QFileInfo(catalog.manifest).absolutePath() + QStringLiteral("/images/pipe.ppm");
    QVERIFY(::mkfifo(QFile::encodeName(pipe).constData(), 0600) == 0);
    QFile m(catalog.manifest);
    QVERIFY(m.open(QIODevice::Append));
    m.write("pipe-1,images/pipe.ppm,a pipe,red,s\n");
    m.close();
    const QString project = m_dir + QStringLiteral("/with-pipe");
    const auto r = runLookalike({QStringLiteral("init"), project, QStringLiteral("--catalog"), catalog.manifest}, 60000);
    CHECK_OK(r);
    QVERIFY2(r.out.contains("1 rejected"), r.out.constData());
    const QByteArray report = testsupport::readFileBytes(project + QStringLiteral("/rejected-rows.csv"));
    QVERIFY2(report.contains("image is a FIFO (named pipe), not a regular file"), report.constData());
}

QTEST_MAIN(TestSpecialFiles)
#include "tst_specialfiles.moc"
