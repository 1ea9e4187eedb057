// Fine-tuning with the SigLIP sigmoid loss: the loss of a batch by hand, a few steps lower it,
// the gradients match finite differences, the schedule is warm-up then cosine, frozen towers and
// layers stay put, and saved weights load back into the inference engine with the same
// embeddings (the round trip that makes the output a usable Hugging Face checkpoint).
#include "core/Error.h"
#include "core/model/RandomCheckpoint.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/model/SiglipModel.h"
#include "core/model/SiglipTrainer.h"
#include "core/checkpoint/SiglipNames.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"

#include <QTest>

#include <cmath>
#include <filesystem>
#include <random>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

SiglipConfig tinyConfig()
{
    SiglipConfig c;
    c.vision = SiglipVisionConfig{};
    c.vision->hiddenSize = 16;
    c.vision->intermediateSize = 32;
    c.vision->numAttentionHeads = 2;
    c.vision->numHiddenLayers = 2;
    c.vision->patchSize = 4;
    c.vision->imageSize = 8;
    c.text = SiglipTextConfig{};
    c.text->hiddenSize = 16;
    c.text->intermediateSize = 32;
    c.text->numAttentionHeads = 2;
    c.text->numHiddenLayers = 1;
    c.text->vocabSize = 400;
    c.text->maxPositionEmbeddings = 6;
    return c;
}

struct Batch {
    std::vector<float> pixels;
    std::vector<std::vector<std::int64_t>> ids;
};

// n distinct random (image, text) pairs.
Batch randomBatch(const SiglipConfig &c, int n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    Batch b;
    b.pixels.resize(static_cast<std::size_t>(n * 3 * c.vision->imageSize * c.vision->imageSize));
    for (float &v : b.pixels)
        v = normal(rng);
    for (int i = 0; i < n; ++i) {
        std::vector<std::int64_t> seq;
        for (int j = 0; j < c.text->maxPositionEmbeddings; ++j)
            seq.push_back(3 + static_cast<std::int64_t>(rng() % 390));
        b.ids.push_back(seq);
    }
    return b;
}

fs::path checkpoint(const QString &name, const SiglipConfig &c)
{
    const fs::path dir = (testsupport::scratchDir(name) + QStringLiteral("/ckpt")).toStdString();
    RandomCheckpointOptions options;
    options.sentencePieceModel = testsupport::tinyCheckpointPath() + "/spiece.model";
    writeRandomCheckpoint(dir, c, options);
    return dir;
}

double logSigmoid(double x)
{
    return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

} // namespace

class TestSiglipTrainer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void lossByHand();
    void stepsLowerTheLoss();
    void gradientsMatchFiniteDifferences_data();
    void gradientsMatchFiniteDifferences();
    void scheduleWarmsUpThenDecays();
    void frozenPartsStayPut();
    void savedWeightsLoadBackWithTheSameEmbeddings();
    void refusesWhatCannotTrain();
};

void TestSiglipTrainer::lossByHand()
{
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-hand"), c);
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, {});
    const Batch b = randomBatch(c, 4, 1);
    // The loss from the embeddings, computed here in double precision.
    const FloatMatrix x = trainer.embedImages(b.pixels, 4), y = trainer.embedTexts(b.ids);
    const double t = std::exp(trainer.parameter(std::string(siglip::kLogitScale))[0]);
    const double bias = trainer.parameter(std::string(siglip::kLogitBias))[0];
    auto norm = [](std::span<const float> v) {
        double s = 0;
        for (float f : v)
            s += double(f) * f;
        return std::sqrt(s);
    };
    double expected = 0;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            double dot = 0;
            for (std::int64_t k = 0; k < x.cols; ++k)
                dot += double(x.row(i)[static_cast<std::size_t>(k)]) * y.row(j)[static_cast<std::size_t>(k)];
            dot /= norm(x.row(i)) * norm(y.row(j));
            expected -= logSigmoid((i == j ? 1.0 : -1.0) * (t * dot + bias));
        }
    expected /= 4;
    QVERIFY2(std::abs(trainer.loss(b.pixels, b.ids) - expected) < 1e-4 * std::max(1.0, expected),
        qPrintable(QStringLiteral("%1 vs %2").arg(trainer.loss(b.pixels, b.ids)).arg(expected)));
}

void TestSiglipTrainer::stepsLowerTheLoss()
{
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-steps"), c);
    SiglipTrainingOptions options;
    options.learningRate = 3e-3;
    options.totalSteps = 40;
    options.warmupSteps = 4;
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, options);
    const Batch b = randomBatch(c, 8, 2);
    const double before = trainer.loss(b.pixels, b.ids);
    for (int i = 0; i < 40; ++i)
        trainer.step(b.pixels, b.ids);
    const double after = trainer.loss(b.pixels, b.ids);
    QCOMPARE(trainer.stepsDone(), 40);
    QVERIFY2(after < 0.5 * before, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
}

void TestSiglipTrainer::gradientsMatchFiniteDifferences_data()
{
    QTest::addColumn<QString>("parameter");
    QTest::addColumn<int>("index");
    QTest::newRow("logit bias") << QString::fromLatin1(siglip::kLogitBias) << 0;
    QTest::newRow("logit scale") << QString::fromLatin1(siglip::kLogitScale) << 0;
    QTest::newRow("patch embedding") << QStringLiteral("vision_model.embeddings.patch_embedding.weight") << 5;
    QTest::newRow("vision head in_proj (k rows)")
        << QStringLiteral("vision_model.head.attention.in_proj_weight") << 16 * 16 + 3;
    QTest::newRow("vision layer 1 fc2") << QStringLiteral("vision_model.encoder.layers.1.mlp.fc2.weight") << 7;
    QTest::newRow("token embedding") << QStringLiteral("text_model.embeddings.token_embedding.weight")
                                     << -1; // a used token
    QTest::newRow("text head bias") << QStringLiteral("text_model.head.bias") << 2;
}

void TestSiglipTrainer::gradientsMatchFiniteDifferences()
{
    QFETCH(QString, parameter);
    QFETCH(int, index);
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-grad"), c);
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, {});
    const Batch b = randomBatch(c, 4, 3);
    const std::string name = parameter.toStdString();
    if (index < 0)
        index = static_cast<int>(b.ids[0][1] * 16 + 3); // a coordinate of a token the batch uses
    const std::vector<float> grad = trainer.gradient(name, b.pixels, b.ids);
    std::vector<float> p = trainer.parameter(name);
    const float h = 1e-2f, original = p[static_cast<std::size_t>(index)];
    p[static_cast<std::size_t>(index)] = original + h;
    trainer.setParameter(name, p);
    const double plus = trainer.loss(b.pixels, b.ids);
    p[static_cast<std::size_t>(index)] = original - h;
    trainer.setParameter(name, p);
    const double minus = trainer.loss(b.pixels, b.ids);
    const double numeric = (plus - minus) / (2.0 * h);
    const double analytic = grad[static_cast<std::size_t>(index)];
    QVERIFY2(std::abs(analytic - numeric) <= 2e-3 + 0.05 * std::abs(numeric),
        qPrintable(QStringLiteral("analytic %1, finite difference %2").arg(analytic).arg(numeric)));
    QVERIFY(std::abs(numeric) > 1e-6 || std::abs(analytic) < 1e-5); // the case is not vacuous
}

void TestSiglipTrainer::scheduleWarmsUpThenDecays()
{
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-lr"), c);
    SiglipTrainingOptions options;
    options.learningRate = 1e-3;
    options.warmupSteps = 4;
    options.totalSteps = 12;
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, options);
    const Batch b = randomBatch(c, 2, 4);
    std::vector<double> rates;
    for (int i = 0; i < 12; ++i) {
        rates.push_back(trainer.learningRate());
        trainer.step(b.pixels, b.ids);
    }
    QVERIFY(std::abs(rates[0] - 0.25e-3) < 1e-12); // (step + 1) / warmup
    QVERIFY(std::abs(rates[3] - 1e-3) < 1e-12);
    QVERIFY(std::abs(rates[4] - 1e-3) < 1e-12); // the cosine starts at the peak
    QVERIFY(std::abs(rates[8] - 0.5e-3) < 1e-12); // half way through the decay
    for (int i = 5; i < 12; ++i)
        QVERIFY(rates[static_cast<std::size_t>(i)] < rates[static_cast<std::size_t>(i - 1)]);
    QVERIFY(trainer.learningRate() < 1e-12); // the end
}

void TestSiglipTrainer::frozenPartsStayPut()
{
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-freeze"), c);
    SiglipTrainingOptions options;
    options.freezeText = true;
    options.trainableVisionLayers = 1; // layer 1 learns, layer 0 and the embeddings do not
    options.learningRate = 1e-2;
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, options);
    const std::vector<std::string> watched{"text_model.head.weight", "vision_model.embeddings.patch_embedding.weight",
        "vision_model.encoder.layers.0.mlp.fc1.weight", "vision_model.encoder.layers.1.mlp.fc1.weight",
        "vision_model.head.probe"};
    std::vector<std::vector<float>> before;
    for (const std::string &n : watched)
        before.push_back(trainer.parameter(n));
    const Batch b = randomBatch(c, 4, 5);
    trainer.step(b.pixels, b.ids);
    QCOMPARE(trainer.parameter(watched[0]), before[0]);
    QCOMPARE(trainer.parameter(watched[1]), before[1]);
    QCOMPARE(trainer.parameter(watched[2]), before[2]);
    QVERIFY(trainer.parameter(watched[3]) != before[3]);
    QVERIFY(trainer.parameter(watched[4]) != before[4]);
    QVERIFY(testsupport::errorOf([&] { trainer.gradient(watched[0], b.pixels, b.ids); }));
}

void TestSiglipTrainer::savedWeightsLoadBackWithTheSameEmbeddings()
{
    const SiglipConfig c = tinyConfig();
    const fs::path dir = checkpoint(QStringLiteral("trainer-save"), c);
    SiglipTrainingOptions options;
    options.learningRate = 1e-2;
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), c, options);
    const Batch b = randomBatch(c, 4, 6);
    for (int i = 0; i < 3; ++i)
        trainer.step(b.pixels, b.ids);
    const fs::path saved = dir.parent_path() / "saved.safetensors";
    trainer.saveWeights(saved);
    const SiglipModel model = SiglipModel::load(saved, c);
    QCOMPARE(model.embedImages(b.pixels, 4).data, trainer.embedImages(b.pixels, 4).data);
    QCOMPARE(model.embedTexts(b.ids).data, trainer.embedTexts(b.ids).data);
    QCOMPARE(model.logitBias(), trainer.parameter(std::string(siglip::kLogitBias))[0]);
    // And the training changed them: the original checkpoint embeds differently.
    const SiglipModel original = SiglipModel::load(dir / siglip::kWeightsFile, c);
    QVERIFY(original.embedImages(b.pixels, 4).data != model.embedImages(b.pixels, 4).data);
}

void TestSiglipTrainer::refusesWhatCannotTrain()
{
    SiglipConfig visionOnly = tinyConfig();
    visionOnly.text.reset();
    visionOnly.modelType = std::string(siglip::kModelTypeVision);
    const fs::path dir = checkpoint(QStringLiteral("trainer-vision"), tinyConfig());
    const auto error = testsupport::errorOf(
        [&] { SiglipTrainer(SafetensorsFile::open(dir / siglip::kWeightsFile), visionOnly, {}); });
    QVERIFY(error);
    QVERIFY(QString::fromUtf8(error->what()).contains(QStringLiteral("both towers")));
    SiglipTrainer trainer(SafetensorsFile::open(dir / siglip::kWeightsFile), tinyConfig(), {});
    const Batch one = randomBatch(tinyConfig(), 1, 7);
    QVERIFY(testsupport::errorOf([&] { trainer.step(one.pixels, one.ids); }));
}

QTEST_APPLESS_MAIN(TestSiglipTrainer)
#include "tst_sigliptrainer.moc"
