// fineTune on its own (core/project/FineTuneJob.h), without the CLI: the held-out split and the
// steps follow the options, progress reports every step in order, the written folder loads as
// a SigLIP checkpoint, the same seed gives the same weights, a cancel stops before the next step
// and leaves no output folder, and an output folder in use is refused untouched; a SigLIP 2
// FixRes folder (either layout) comes out in its own layout, and NaFlex is refused up front.
#include "core/Error.h"
#include "core/checkpoint/SiglipConfig.h"
#include "core/model/SiglipModel.h"
#include "core/model/SiglipPipeline.h"
#include "core/project/FineTuneJob.h"
#include "core/project/Project.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <cmath>
#include <optional>
#include <set>

using namespace lookalike;
namespace fs = std::filesystem;

class TestFineTuneJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void splitStepsAndProgressFollowTheOptions();
    void sameSeedSameWeights();
    void cancelLeavesNoOutput();
    void outputInUseIsRefused();
    void divergenceWritesNoModel();
    void siglip2FixResKeepsItsLayout_data();
    void siglip2FixResKeepsItsLayout();
    void naflexIsRefusedBeforeAnyWork();

private:
    FineTuneOptions options() const;
    std::optional<Project> m_project;
    QString m_scratch;
};

void TestFineTuneJob::initTestCase()
{
    m_scratch = testsupport::scratchDir(QStringLiteral("finetunejob"));
    const auto catalog = testsupport::makeTestCatalog({}); // 30 items, 3 colours
    m_project.emplace(Project::create((m_scratch + QStringLiteral("/p")).toStdString()));
    m_project->importCatalog(catalog.manifest.toStdString(), {});
}

FineTuneOptions TestFineTuneJob::options() const
{
    FineTuneOptions o;
    o.epochs = 2;
    o.batchSize = 8;
    o.validationFraction = 0.2;
    o.warmupFraction = 0.5;
    o.threads = 1;
    o.training.learningRate = 2e-3;
    return o;
}

void TestFineTuneJob::splitStepsAndProgressFollowTheOptions()
{
    const fs::path out = (m_scratch + QStringLiteral("/tuned")).toStdString();
    std::vector<FineTuneProgress> seen;
    const FineTuneReport report = fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out, options(),
                                           [&](const FineTuneProgress &p) { seen.push_back(p); });
    QVERIFY(report.finished);
    QVERIFY(!report.cancelled);
    QCOMPARE(report.validationPairs, 6); // 20 % of 30
    QCOMPARE(report.trainPairs, 24);
    QCOMPARE(report.epochs.size(), std::size_t(2));
    QCOMPARE(seen.size(), std::size_t(6)); // 2 epochs x 24 / 8 steps
    for (std::size_t i = 0; i < seen.size(); ++i) {
        QCOMPARE(seen[i].epoch, static_cast<int>(i / 3) + 1);
        QCOMPARE(seen[i].step, static_cast<int>(i % 3) + 1);
        QCOMPARE(seen[i].stepsPerEpoch, 3);
        QVERIFY(std::isfinite(seen[i].loss) && seen[i].loss > 0);
    }
    QVERIFY(seen.front().learningRate < seen[1].learningRate); // the warm-up...
    QVERIFY(seen.back().learningRate < seen[3].learningRate);  // ...then the cosine decay
    for (const EpochReport &e : report.epochs) {
        QVERIFY(std::isfinite(e.trainLoss) && std::isfinite(e.validationLoss));
        QVERIFY(e.recallAt1 >= 0 && e.recallAt1 <= 1);
    }
    const SiglipConfig config = SiglipConfig::fromFile(out / "config.json");
    const SiglipModel model = SiglipModel::load(out / "model.safetensors", config);
    QCOMPARE(model.config().vision->imageSize, config.vision->imageSize);
    QVERIFY(!fs::exists(fs::path(out.string() + ".partial")));
}

void TestFineTuneJob::sameSeedSameWeights()
{
    const QString a = m_scratch + QStringLiteral("/seed-a"), b = m_scratch + QStringLiteral("/seed-b"),
                  c = m_scratch + QStringLiteral("/seed-c");
    FineTuneOptions o = options();
    o.epochs = 1;
    fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), a.toStdString(), o);
    fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), b.toStdString(), o);
    o.seed = 2;
    fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), c.toStdString(), o);
    const QByteArray wa = testsupport::readFileBytes(a + QStringLiteral("/model.safetensors"));
    QVERIFY(!wa.isEmpty());
    QCOMPARE(testsupport::readFileBytes(b + QStringLiteral("/model.safetensors")), wa);
    QVERIFY(testsupport::readFileBytes(c + QStringLiteral("/model.safetensors")) != wa); // another split and order
    QVERIFY(testsupport::readFileBytes(testsupport::tinyCheckpointDir() + QStringLiteral("/model.safetensors")) != wa);
}

void TestFineTuneJob::cancelLeavesNoOutput()
{
    const fs::path out = (m_scratch + QStringLiteral("/cancelled")).toStdString();
    std::atomic<bool> cancel{false};
    FineTuneOptions o = options();
    o.cancel = &cancel;
    int steps = 0;
    const FineTuneReport report = fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out, o,
                                           [&](const FineTuneProgress &) {
                                               ++steps;
                                               cancel = true; // Ctrl-C during the first step
                                           });
    QCOMPARE(steps, 1);
    QVERIFY(report.cancelled);
    QVERIFY(!report.finished);
    QVERIFY(report.epochs.empty());
    QVERIFY(!fs::exists(out)); // nothing in place; no completed epoch, so no state either
    QVERIFY(!fs::exists(fs::path(out.string() + ".partial") / "state.safetensors"));
}

void TestFineTuneJob::outputInUseIsRefused()
{
    const QString out = m_scratch + QStringLiteral("/in-use");
    QVERIFY(QDir().mkpath(out));
    const QString keep = testsupport::writeScratchFile(QStringLiteral("in-use-note.txt"), "mine");
    QVERIFY(QFile::copy(keep, out + QStringLiteral("/note.txt")));
    try {
        fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out.toStdString(), options());
        QFAIL("an output folder in use was accepted");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("exists and is not empty") != std::string::npos, e.what());
    }
    QCOMPARE(testsupport::readFileBytes(out + QStringLiteral("/note.txt")), QByteArray("mine"));
    QCOMPARE(QDir(out).entryList(QDir::Files).size(), 1);
}

// A learning rate that makes the loss or the weights non-finite stops the run with a clear
// error: no model folder (NaN weights once were written as a complete model, exit 0).
void TestFineTuneJob::divergenceWritesNoModel()
{
    const fs::path out = (m_scratch + QStringLiteral("/diverged")).toStdString();
    FineTuneOptions o = options();
    o.training.learningRate = 1e30;
    try {
        fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out, o);
        QFAIL("a diverged run finished");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("became NaN or infinite at epoch 1") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("no model was written") != std::string::npos, e.what());
    }
    QVERIFY(!fs::exists(out));
    QVERIFY(!fs::exists(fs::path(out.string() + ".partial") / "state.safetensors")); // no diverged state kept
    // NaN options are refused before anything runs, not trained with.
    for (double FineTuneOptions::*field : {&FineTuneOptions::validationFraction, &FineTuneOptions::warmupFraction}) {
        FineTuneOptions bad = options();
        bad.*field = std::nan("");
        QVERIFY_THROWS_EXCEPTION(Error, fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out, bad));
    }
    FineTuneOptions badRate = options();
    badRate.training.learningRate = std::nan("");
    QVERIFY_THROWS_EXCEPTION(Error, fineTune(*m_project, testsupport::tinyCheckpointDir().toStdString(), out, badRate));
    QVERIFY(!fs::exists(out));
}


namespace {
std::set<std::string> fileNames(const fs::path &folder)
{
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(folder))
        names.insert(entry.path().filename().string());
    return names;
}
} // namespace

void TestFineTuneJob::siglip2FixResKeepsItsLayout_data()
{
    QTest::addColumn<QString>("folder");
    QTest::newRow("transformers 5 layout") << QStringLiteral("s2fix_a");
    QTest::newRow("hub layout") << QStringLiteral("s2fix_a_hub");
}

void TestFineTuneJob::siglip2FixResKeepsItsLayout()
{
    QFETCH(QString, folder);
    const fs::path base = (testsupport::dataDir() + QStringLiteral("/siglip2_ref/") + folder).toStdString();
    const fs::path out = (m_scratch + QStringLiteral("/tuned-") + folder).toStdString();
    FineTuneOptions o = options();
    o.epochs = 1;
    const FineTuneReport report = fineTune(*m_project, base, out, o);
    QVERIFY(report.finished);
    // The same files (and the run's log): a folder transformers' conventions and Lookalike accept.
    std::set<std::string> expected = fileNames(base);
    expected.insert("lookalike_finetune.json");
    QCOMPARE(fileNames(out), expected);
    const SiglipPipeline before = SiglipPipeline::load(base);
    const SiglipPipeline after = SiglipPipeline::load(out);
    QCOMPARE(after.describe(), before.describe()); // variant, preprocessing and tokenizer as read
    const std::string title = "red cotton t-shirt <eos> 42";
    QCOMPARE(after.tokenizer().encode(title), before.tokenizer().encode(title));
    const FloatMatrix a = before.embedTexts({title}), b = after.embedTexts({title});
    QVERIFY2(testsupport::maxAbsDiff({a.data.begin(), a.data.end()}, {b.data.begin(), b.data.end()}) > 1e-6,
             "the written weights are the base's: nothing was trained");
}

void TestFineTuneJob::naflexIsRefusedBeforeAnyWork()
{
    const fs::path base = (testsupport::dataDir() + QStringLiteral("/siglip2_ref/s2naf_a")).toStdString();
    const fs::path out = (m_scratch + QStringLiteral("/tuned-naflex")).toStdString();
    try {
        fineTune(*m_project, base, out, options());
        QFAIL("no error");
    } catch (const Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("NaFlex")), e.what());
    }
    QVERIFY(!fs::exists(out));
}

QTEST_MAIN(TestFineTuneJob)
#include "tst_finetunejob.moc"
