// Nothing hard-coded: random-weight checkpoints at real SigLIP shapes (head_dim 64 and 72,
// patch 14 and 16, images 224 to 512, vocab 32000, text length 64, a text projection)
// load, give embeddings of the right shape, and batches equal one-at-a-time results.
#include "core/model/RandomCheckpoint.h"
#include "core/model/SiglipPipeline.h"
#include "support/RefData.h"

#include <QTest>

#include <random>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

struct Shape {
    int hidden, intermediate, heads, patch, image;
    int textHidden, textHeads, projection;
};

SiglipConfig configFor(const Shape &s)
{
    SiglipConfig c;
    c.vision = SiglipVisionConfig{};
    c.vision->hiddenSize = s.hidden;
    c.vision->intermediateSize = s.intermediate;
    c.vision->numAttentionHeads = s.heads;
    c.vision->numHiddenLayers = 1; // shapes, not depth, are under test
    c.vision->patchSize = s.patch;
    c.vision->imageSize = s.image;
    c.text = SiglipTextConfig{};
    c.text->hiddenSize = s.textHidden;
    c.text->intermediateSize = s.intermediate;
    c.text->numAttentionHeads = s.textHeads;
    c.text->numHiddenLayers = 1;
    c.text->projectionSize = s.projection;
    return c; // vocab 32000 and 64 positions: the defaults, as in the real checkpoints
}

RgbImage randomImage(int w, int h, std::mt19937 &rng)
{
    RgbImage img(w, h);
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto &p : img.pixels)
        p = static_cast<std::uint8_t>(byte(rng));
    return img;
}

double maxRelDiff(std::span<const float> a, std::span<const float> b)
{
    double scale = 1e-6, m = 0;
    for (float v : b)
        scale = std::max(scale, double(std::abs(v)));
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(double(a[i]) - double(b[i])));
    return m / scale;
}

} // namespace

Q_DECLARE_METATYPE(Shape)

class TestSiglipShapes : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void realShapes_data();
    void realShapes();
};

void TestSiglipShapes::realShapes_data()
{
    QTest::addColumn<Shape>("shape");
    QTest::addColumn<int>("dtype");
    //                                hidden inter heads patch image | text hidden, heads, projection
    QTest::newRow("base patch16 224 (head_dim 64)")
        << Shape{768, 3072, 12, 16, 224, 768, 12, 0} << int(SafetensorsDtype::F32);
    QTest::newRow("so400m patch14 384 (head_dim 72)")
        << Shape{1152, 4304, 16, 14, 384, 1152, 16, 0} << int(SafetensorsDtype::BF16);
    QTest::newRow("patch14 224") << Shape{384, 1536, 6, 14, 224, 384, 6, 0} << int(SafetensorsDtype::F16);
    QTest::newRow("patch16 512") << Shape{256, 1024, 4, 16, 512, 256, 4, 0} << int(SafetensorsDtype::F32);
    QTest::newRow("text projection to the vision width")
        << Shape{192, 384, 3, 16, 256, 128, 2, 192} << int(SafetensorsDtype::F32);
}

void TestSiglipShapes::realShapes()
{
    QFETCH(Shape, shape);
    QFETCH(int, dtype);
    const SiglipConfig config = configFor(shape);
    const fs::path dir = testsupport::scratchDir(QStringLiteral("shape")).toStdString();
    RandomCheckpointOptions options;
    options.dtype = SafetensorsDtype(dtype);
    options.sentencePieceModel = fs::path(testsupport::tinyCheckpointPath()) / "spiece.model";
    writeRandomCheckpoint(dir, config, options);

    SiglipPipeline::Options pipelineOptions;
    pipelineOptions.batchSize = 3;
    const auto pipeline = SiglipPipeline::load(dir, pipelineOptions);
    QCOMPARE(pipeline.config().vision->numPatches(), (shape.image / shape.patch) * (shape.image / shape.patch));
    QCOMPARE(pipeline.tokenizer().maxLength(), 64);

    std::mt19937 rng(7);
    // Odd sizes and aspect ratios: resizing to the model's size is part of the path.
    const std::vector<RgbImage> images{randomImage(shape.image + 13, shape.image / 2, rng), randomImage(31, 47, rng),
        randomImage(shape.image, shape.image, rng)};
    const FloatMatrix batch = pipeline.embedImages(images);
    QCOMPARE(batch.rows, 3);
    QCOMPARE(batch.cols, shape.hidden);
    for (std::size_t i = 0; i < images.size(); ++i) {
        const FloatMatrix one = pipeline.embedImages({images[i]});
        const double diff = maxRelDiff(batch.row(std::int64_t(i)), one.row(0));
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("image %1: relative diff %2").arg(i).arg(diff)));
    }
    for (float v : batch.data)
        QVERIFY(std::isfinite(v));

    const std::vector<std::string> texts{"red leather wallet", "", "a much longer product title about running shoes"};
    const FloatMatrix textBatch = pipeline.embedTexts(texts);
    QCOMPARE(textBatch.rows, 3);
    QCOMPARE(textBatch.cols, shape.projection ? shape.projection : shape.textHidden);
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const FloatMatrix one = pipeline.embedTexts({texts[i]});
        const double diff = maxRelDiff(textBatch.row(std::int64_t(i)), one.row(0));
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("text %1: relative diff %2").arg(i).arg(diff)));
    }
    const FloatMatrix logits = pipeline.logitsPerImage(batch, textBatch);
    QCOMPARE(logits.rows, 3);
    QCOMPARE(logits.cols, 3);
}

QTEST_MAIN(TestSiglipShapes)
#include "tst_siglipshapes.moc"
