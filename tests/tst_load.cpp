// Load test: 8 rater processes grade at once into one judgment database (the project's SQLite
// file; a PostgreSQL database of the test cluster). Every acknowledged judgment must be stored
// exactly once and nothing else stored; judgments/s and latency percentiles are printed (no
// timing assertions). LOOKALIKE_LOAD_COUNT (default 60) judgments per worker.
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "support/JudgmentBackend.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>

using namespace lookalike;

class TestLoad : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eightRatersAtOnceLoseAndDuplicateNothing_data();
    void eightRatersAtOnceLoseAndDuplicateNothing();
};

void TestLoad::eightRatersAtOnceLoseAndDuplicateNothing_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("sqlite") << false;
    QTest::newRow("postgresql") << true;
}

void TestLoad::eightRatersAtOnceLoseAndDuplicateNothing()
{
    QFETCH(bool, postgres);
    constexpr int kWorkers = 8;
    const int count = qEnvironmentVariableIsSet("LOOKALIKE_LOAD_COUNT") ? qEnvironmentVariableIntValue("LOOKALIKE_LOAD_COUNT") : 60;
    const QString worker = qEnvironmentVariable("LOOKALIKE_LOAD_RATER");
    QVERIFY2(!worker.isEmpty(), "LOOKALIKE_LOAD_RATER (the load_rater executable) is not set");

    const auto catalog = testsupport::makeTestCatalog({});
    const QString folder = testsupport::scratchDir(QStringLiteral("load")) + QStringLiteral("/p");
    {
        Project project = Project::create(folder.toStdString());
        project.importCatalog(catalog.manifest.toStdString(), {});
        if (postgres)
            project.setJudgmentDatabase(testsupport::freshPostgresDatabase());
    }

    std::vector<std::unique_ptr<QProcess>> workers;
    QElapsedTimer wall;
    wall.start();
    for (int w = 0; w < kWorkers; ++w) {
        workers.push_back(std::make_unique<QProcess>());
        workers.back()->start(worker, {folder, QStringLiteral("rater%1").arg(w), QString::number(count), QString::number(w)});
    }
    std::map<std::int64_t, QString> acknowledged; // event id -> rater
    std::vector<double> latencies;
    long retries = 0;
    qint64 firstReady = std::numeric_limits<qint64>::max(), lastAck = 0; // ms since the epoch
    for (int w = 0; w < kWorkers; ++w) {
        QProcess &p = *workers[static_cast<std::size_t>(w)];
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());
        for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
            const QList<QByteArray> f = line.split(' ');
            if (f.size() == 2 && f[0] == "ready")
                firstReady = std::min(firstReady, f[1].toLongLong());
            if (f.size() == 4 && f[0] == "ack") {
                const auto id = f[1].toLongLong();
                QVERIFY2(!acknowledged.count(id), qPrintable(QStringLiteral("event %1 acknowledged twice").arg(id)));
                acknowledged[id] = QStringLiteral("rater%1").arg(w);
                latencies.push_back(f[2].toDouble() / 1000.0);
                lastAck = std::max(lastAck, f[3].toLongLong());
            } else if (f.size() == 2 && f[0] == "done") {
                retries += f[1].toLong();
            }
        }
    }
    const double wallSeconds = static_cast<double>(wall.nsecsElapsed()) / 1e9;
    // Grading time: from the first worker ready (project open) to the last acknowledgment.
    const double seconds = std::max(static_cast<double>(lastAck - firstReady) / 1000.0, 1e-3);
    QCOMPARE(static_cast<int>(acknowledged.size()), kWorkers * count);

    Project project = Project::open(folder.toStdString());
    const std::vector<JudgmentEvent> history = JudgmentStore(project).history();
    std::set<std::int64_t> stored;
    for (const JudgmentEvent &e : history) {
        QVERIFY2(stored.insert(e.id).second, "an event id is stored twice");
        const auto it = acknowledged.find(e.id);
        QVERIFY2(it != acknowledged.end(), qPrintable(QStringLiteral("event %1 stored but never acknowledged").arg(e.id)));
        QCOMPARE(QString::fromStdString(e.rater), it->second);
    }
    QCOMPARE(history.size(), acknowledged.size()); // every acknowledged one is stored

    std::sort(latencies.begin(), latencies.end());
    auto percentile = [&](double p) { return latencies[static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1))]; };
    qInfo().noquote() << QStringLiteral("%1: %2 workers x %3 judgments in %4 s (%10 s with process start-up): %5 judgments/s; "
                                        "latency p50 %6 ms, p99 %7 ms, max %8 ms; %9 retries after DatabaseLocked")
                             .arg(QLatin1String(postgres ? "postgresql" : "sqlite"))
                             .arg(kWorkers)
                             .arg(count)
                             .arg(seconds, 0, 'f', 2)
                             .arg(static_cast<double>(kWorkers * count) / seconds, 0, 'f', 0)
                             .arg(percentile(0.5), 0, 'f', 1)
                             .arg(percentile(0.99), 0, 'f', 1)
                             .arg(latencies.back(), 0, 'f', 1)
                             .arg(retries)
                             .arg(wallSeconds, 0, 'f', 2);
}

QTEST_GUILESS_MAIN(TestLoad)
#include "tst_load.moc"
