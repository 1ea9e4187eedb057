// SiglipModel and SiglipPipeline against transformers' own outputs for tiny_a: embeddings,
// logits and per-layer hidden states within 1e-4; single-tower checkpoints; F16/BF16 weights;
// missing or misshapen tensors named in the error.
#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/model/SiglipModel.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipPipeline.h"
#include "core/util/VectorMath.h"
#include "support/RefData.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <cmath>

#include <filesystem>
#include <functional>
#include <optional>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;

QJsonArray refImages()
{
    return testsupport::reference().value(QStringLiteral("images")).toArray();
}

QJsonArray refTexts()
{
    return testsupport::reference().value(QStringLiteral("texts")).toArray();
}

std::vector<float> refPixels(int i)
{
    return testsupport::tensorData(refImages().at(i).toObject().value(QStringLiteral("pixel_values")));
}

std::vector<std::int64_t> refIds(int i)
{
    return testsupport::intArray(refTexts().at(i).toObject().value(QStringLiteral("input_ids")));
}

std::vector<float> rowOf(const FloatMatrix &m, std::int64_t r)
{
    return {m.row(r).begin(), m.row(r).end()};
}

// A copy of tiny_a whose weights are filtered/converted, with the given config.json.
fs::path derivedCheckpoint(const QString &name, const std::string &configJson,
    const std::function<bool(const std::string &)> &keep, SafetensorsDtype dtype = SafetensorsDtype::F32)
{
    const fs::path src = testsupport::tinyCheckpointPath();
    const fs::path dir = (testsupport::scratchDir(name)).toStdString();
    for (const auto &entry : fs::directory_iterator(src))
        if (entry.path().filename() != "model.safetensors")
            fs::copy_file(entry.path(), dir / entry.path().filename(), fs::copy_options::overwrite_existing);
    if (!configJson.empty()) {
        QFile f(QString::fromStdString((dir / "config.json").string()));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write config");
        f.write(QByteArray::fromStdString(configJson));
    }
    const auto weights = SafetensorsFile::open(src / "model.safetensors");
    SafetensorsWriter writer;
    for (const std::string &t : weights.tensorNames())
        if (keep(t))
            writer.add(t, weights.info(t).shape, weights.readFloat32(t), dtype);
    writer.write(dir / "model.safetensors");
    return dir;
}

} // namespace

class TestSiglipModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void imageEmbeddingsFromReferencePixels();
    void textEmbeddingsFromReferenceIds();
    void logitsMatchReference();
    void visionHiddenStatesMatchReference();
    void textHiddenStatesMatchReference();
    void batchEqualsOneAtATime();
    void lanesGiveTheOnePassResults();
    void bf16ProductsStayCloseAndSwitchBack();
    void pipelineEmbedsFilesAndTexts();
    void visionOnlyCheckpoint();
    void dualConfigWithVisionWeightsOnly();
    void halfPrecisionWeightsAreUpcast_data();
    void halfPrecisionWeightsAreUpcast();
    void missingTensorIsNamed();
    void wrongShapeIsNamed();
    void badInputsToTheTowers();
    void missingSideFilesAreReportedOnUse();

private:
    std::optional<SiglipModel> m_model;
};

void TestSiglipModel::initTestCase()
{
    const auto config = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    m_model.emplace(SiglipModel::load(fs::path(testsupport::tinyCheckpointPath()) / "model.safetensors", config));
}

void TestSiglipModel::imageEmbeddingsFromReferencePixels()
{
    for (int i = 0; i < refImages().size(); ++i) {
        const auto pixels = refPixels(i);
        const FloatMatrix emb = m_model->embedImages(pixels, 1);
        QCOMPARE(emb.rows, 1);
        QCOMPARE(emb.cols, 64);
        const auto expected
            = testsupport::floatArray(refImages().at(i).toObject().value(QStringLiteral("image_embeds")));
        const double diff = testsupport::maxAbsDiff(rowOf(emb, 0), expected);
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("image %1: max diff %2").arg(i).arg(diff)));
    }
}

void TestSiglipModel::textEmbeddingsFromReferenceIds()
{
    for (int i = 0; i < refTexts().size(); ++i) {
        const FloatMatrix emb = m_model->embedTexts({refIds(i)});
        const auto expected = testsupport::floatArray(refTexts().at(i).toObject().value(QStringLiteral("text_embeds")));
        const double diff = testsupport::maxAbsDiff(rowOf(emb, 0), expected);
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("text %1: max diff %2").arg(i).arg(diff)));
    }
}

// bf16 products: every reference image and text within cosine 0.999 of transformers' float32
// embedding (and not bit-identical: the bf16 path ran); back to fp32, exact again.
void TestSiglipModel::bf16ProductsStayCloseAndSwitchBack()
{
    const auto config = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    SiglipModel model = SiglipModel::load(fs::path(testsupport::tinyCheckpointPath()) / "model.safetensors", config);
    model.setPrecision(Precision::Bf16);
    QCOMPARE(model.precision(), Precision::Bf16);
    // The yardstick first: a vector against itself, its opposite and one at right angles.
    const std::vector<float> x{3, 4}, minusX{-3, -4}, across{-4, 3};
    QVERIFY(std::abs(cosine(x, x) - 1.0) < 1e-12 && std::abs(cosine(x, minusX) + 1.0) < 1e-12 && cosine(x, across) == 0.0);
    double largestDiff = 0;
    for (int i = 0; i < refImages().size(); ++i) {
        const FloatMatrix emb = model.embedImages(refPixels(i), 1);
        const auto expected = testsupport::floatArray(refImages().at(i).toObject().value(QStringLiteral("image_embeds")));
        const double c = cosine(emb.row(0), expected);
        QVERIFY2(c >= 0.999, qPrintable(QStringLiteral("image %1: cosine %2").arg(i).arg(c)));
        largestDiff = std::max(largestDiff, testsupport::maxAbsDiff(rowOf(emb, 0), expected));
    }
    for (int i = 0; i < refTexts().size(); ++i) {
        const FloatMatrix emb = model.embedTexts({refIds(i)});
        const auto expected = testsupport::floatArray(refTexts().at(i).toObject().value(QStringLiteral("text_embeds")));
        const double c = cosine(emb.row(0), expected);
        QVERIFY2(c >= 0.999, qPrintable(QStringLiteral("text %1: cosine %2").arg(i).arg(c)));
    }
    QVERIFY2(largestDiff > 1e-6, "bf16 gave float32's numbers: its products did not run in bf16");
    model.setPrecision(Precision::Fp32);
    const FloatMatrix back = model.embedImages(refPixels(0), 1);
    const auto expected = testsupport::floatArray(refImages().at(0).toObject().value(QStringLiteral("image_embeds")));
    QVERIFY(testsupport::maxAbsDiff(rowOf(back, 0), expected) < kTolerance);
}

void TestSiglipModel::logitsMatchReference()
{
    std::vector<float> pixels;
    for (int i = 0; i < refImages().size(); ++i) {
        const auto p = refPixels(i);
        pixels.insert(pixels.end(), p.begin(), p.end());
    }
    std::vector<std::vector<std::int64_t>> ids;
    for (int i = 0; i < refTexts().size(); ++i)
        ids.push_back(refIds(i));
    const FloatMatrix logits = siglipLogits(m_model->embedImages(pixels, refImages().size()), m_model->embedTexts(ids),
        m_model->logitScale(), m_model->logitBias());
    const QJsonObject ref = testsupport::reference().value(QStringLiteral("logits_per_image")).toObject();
    QCOMPARE(logits.rows, 6);
    QCOMPARE(logits.cols, 6);
    const double diff
        = testsupport::maxAbsDiff(logits.data, testsupport::floatArray(ref.value(QStringLiteral("rows"))));
    QVERIFY2(diff < kTolerance, qPrintable(QString::number(diff)));
    const QJsonObject model = testsupport::reference().value(QStringLiteral("model")).toObject();
    QCOMPARE(m_model->logitScale(), float(model.value(QStringLiteral("logit_scale")).toDouble()));
    QCOMPARE(m_model->logitBias(), float(model.value(QStringLiteral("logit_bias")).toDouble()));
}

void TestSiglipModel::visionHiddenStatesMatchReference()
{
    const QJsonObject debug = testsupport::reference().value(QStringLiteral("debug")).toObject();
    const auto trace = m_model->traceImage(refPixels(0));
    const QJsonArray states = debug.value(QStringLiteral("image0_vision_hidden_states")).toArray();
    QCOMPARE(trace.hiddenStates.size(), std::size_t(states.size()));
    for (int l = 0; l < states.size(); ++l) {
        const auto shape = testsupport::tensorShape(states.at(l)); // [1, L, D]
        QCOMPARE(std::vector<std::int64_t>({trace.hiddenStates[l].rows, trace.hiddenStates[l].cols}),
            std::vector<std::int64_t>(shape.end() - 2, shape.end()));
        const double diff = testsupport::maxAbsDiff(trace.hiddenStates[l].data, testsupport::tensorData(states.at(l)));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("layer %1: %2").arg(l).arg(diff)));
    }
    QVERIFY(testsupport::maxAbsDiff(trace.finalNorm.data,
                testsupport::tensorData(debug.value(QStringLiteral("image0_vision_post_layernorm"))))
        < kTolerance);
    QVERIFY(testsupport::maxAbsDiff(
                trace.pooled.data, testsupport::tensorData(debug.value(QStringLiteral("image0_pooler_output"))))
        < kTolerance);
}

void TestSiglipModel::textHiddenStatesMatchReference()
{
    const QJsonObject debug = testsupport::reference().value(QStringLiteral("debug")).toObject();
    const auto trace = m_model->traceText(refIds(0));
    const QJsonArray states = debug.value(QStringLiteral("text0_hidden_states")).toArray();
    QCOMPARE(trace.hiddenStates.size(), std::size_t(states.size()));
    for (int l = 0; l < states.size(); ++l) {
        const double diff = testsupport::maxAbsDiff(trace.hiddenStates[l].data, testsupport::tensorData(states.at(l)));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("layer %1: %2").arg(l).arg(diff)));
    }
    QVERIFY(testsupport::maxAbsDiff(
                trace.finalNorm.data, testsupport::tensorData(debug.value(QStringLiteral("text0_final_layer_norm"))))
        < kTolerance);
    QVERIFY(testsupport::maxAbsDiff(
                trace.pooled.data, testsupport::tensorData(debug.value(QStringLiteral("text0_pooler_output"))))
        < kTolerance);
}

void TestSiglipModel::batchEqualsOneAtATime()
{
    std::vector<float> pixels;
    for (int i = 0; i < refImages().size(); ++i) {
        const auto p = refPixels(i);
        pixels.insert(pixels.end(), p.begin(), p.end());
    }
    const FloatMatrix batch = m_model->embedImages(pixels, refImages().size());
    for (int i = 0; i < refImages().size(); ++i)
        QVERIFY(testsupport::maxAbsDiff(rowOf(batch, i), rowOf(m_model->embedImages(refPixels(i), 1), 0)) < 1e-5);
}

// Lanes (how index runs the model): the same embeddings as one pass, up to float rounding; a
// row's result depends on its chunk only, so other lane counts give the same bits; bad input
// is refused before the batch is cut.
void TestSiglipModel::lanesGiveTheOnePassResults()
{
    const auto config = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    const fs::path weights = fs::path(testsupport::tinyCheckpointPath()) / "model.safetensors";
    SiglipModel two = SiglipModel::load(weights, config), three = SiglipModel::load(weights, config);
    two.setLanes({2, 2, false});
    three.setLanes({3, 2, true});
    QCOMPARE(two.lanes().count, 2);
    QVERIFY(three.lanes().followFreeCores);
    QVERIFY(two.describeLanes("rows").find("2 lanes of one thread, 2 rows per pass") == 0);

    std::vector<float> pixels;
    for (int i = 0; i < refImages().size(); ++i) {
        const auto p = refPixels(i);
        pixels.insert(pixels.end(), p.begin(), p.end());
    }
    const std::int64_t n = refImages().size();
    QVERIFY(n >= 5); // enough for several chunks on every lane
    const FloatMatrix onePass = m_model->embedImages(pixels, n);
    const FloatMatrix inLanes = two.embedImages(pixels, n);
    QCOMPARE(inLanes.rows, n);
    QVERIFY(testsupport::maxAbsDiff(inLanes.data, onePass.data) < 1e-5);
    for (std::int64_t i = 0; i < n; ++i) { // and transformers' numbers still
        const auto expected = testsupport::floatArray(refImages().at(static_cast<int>(i)).toObject().value(QStringLiteral("image_embeds")));
        QVERIFY(testsupport::maxAbsDiff(rowOf(inLanes, static_cast<int>(i)), expected) < kTolerance);
    }
    QCOMPARE(three.embedImages(pixels, n).data, inLanes.data);
    // One image: fewer chunks than lanes, one pass (on the cores left free for `three`).
    QVERIFY(testsupport::maxAbsDiff(three.embedImages(refPixels(0), 1).data, rowOf(onePass, 0)) < 1e-5);

    std::vector<std::vector<std::int64_t>> ids;
    for (int i = 0; i < refTexts().size(); ++i)
        ids.push_back(refIds(i));
    const FloatMatrix texts = two.embedTexts(ids);
    QVERIFY(testsupport::maxAbsDiff(texts.data, m_model->embedTexts(ids).data) < 1e-5);
    QCOMPARE(three.embedTexts(ids).data, texts.data);

    QVERIFY_THROWS_EXCEPTION(Error, two.embedImages(std::vector<float>(pixels.begin(), pixels.end() - 1), n));
    ids.back() = {1, 2, 400}; // the last chunk's text is bad: nothing is embedded
    QVERIFY_THROWS_EXCEPTION(Error, two.embedTexts(ids));
}

void TestSiglipModel::pipelineEmbedsFilesAndTexts()
{
    SiglipPipeline::Options options;
    options.batchSize = 4; // 6 images: one full batch and one partial
    const auto pipeline = SiglipPipeline::load(testsupport::tinyCheckpointPath(), options);
    QVERIFY(pipeline.hasVision());
    QVERIFY(pipeline.hasText());
    std::vector<fs::path> files;
    for (const QJsonValue &img : refImages())
        files.push_back(fs::path(testsupport::refDir().toStdString())
            / img.toObject().value(QStringLiteral("file")).toString().toStdString());
    const FloatMatrix images = pipeline.embedImageFiles(files);
    std::vector<std::string> texts;
    for (const QJsonValue &t : refTexts())
        texts.push_back(t.toObject().value(QStringLiteral("text")).toString().toStdString());
    std::vector<std::vector<std::int64_t>> ids;
    const FloatMatrix textEmb = pipeline.embedTexts(texts, &ids);
    for (int i = 0; i < refImages().size(); ++i)
        QVERIFY(testsupport::maxAbsDiff(rowOf(images, i),
                    testsupport::floatArray(refImages().at(i).toObject().value(QStringLiteral("image_embeds"))))
            < kTolerance);
    for (int i = 0; i < refTexts().size(); ++i) {
        QCOMPARE(ids[std::size_t(i)], refIds(i));
        QVERIFY(testsupport::maxAbsDiff(rowOf(textEmb, i),
                    testsupport::floatArray(refTexts().at(i).toObject().value(QStringLiteral("text_embeds"))))
            < kTolerance);
    }
    const FloatMatrix logits = pipeline.logitsPerImage(images, textEmb);
    const QJsonObject ref = testsupport::reference().value(QStringLiteral("logits_per_image")).toObject();
    QVERIFY(
        testsupport::maxAbsDiff(logits.data, testsupport::floatArray(ref.value(QStringLiteral("rows")))) < kTolerance);
}

void TestSiglipModel::visionOnlyCheckpoint()
{
    const auto full = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    SiglipConfig visionOnly;
    visionOnly.modelType = siglip::kModelTypeVision;
    visionOnly.vision = full.vision;
    const fs::path dir = derivedCheckpoint(QStringLiteral("vision-only"), visionOnly.toHuggingFaceJson(),
        [](const std::string &n) { return n.rfind("vision_model.", 0) == 0; });
    const auto pipeline = SiglipPipeline::load(dir);
    QVERIFY(pipeline.hasVision());
    QVERIFY(!pipeline.hasText());
    const FloatMatrix emb = pipeline.model().embedImages(refPixels(2), 1);
    QVERIFY(testsupport::maxAbsDiff(rowOf(emb, 0),
                testsupport::floatArray(refImages().at(2).toObject().value(QStringLiteral("image_embeds"))))
        < kTolerance);
    QVERIFY_THROWS_EXCEPTION(Error, pipeline.embedTexts({"red shirt"}));
    QVERIFY_THROWS_EXCEPTION(Error, pipeline.logitsPerImage(emb, emb));
}

void TestSiglipModel::dualConfigWithVisionWeightsOnly()
{
    // A SiglipVisionModel's weights saved next to the full model's config.json.
    const fs::path dir = derivedCheckpoint(
        QStringLiteral("vision-weights"), {}, [](const std::string &n) { return n.rfind("vision_model.", 0) == 0; });
    const auto pipeline = SiglipPipeline::load(dir);
    QVERIFY(pipeline.hasVision());
    QVERIFY(!pipeline.hasText());
    QCOMPARE(pipeline.config().modelType, std::string(siglip::kModelTypeVision));
}

void TestSiglipModel::halfPrecisionWeightsAreUpcast_data()
{
    QTest::addColumn<int>("dtype");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("F16") << int(SafetensorsDtype::F16) << 5e-3;
    QTest::newRow("BF16") << int(SafetensorsDtype::BF16) << 5e-2;
}

void TestSiglipModel::halfPrecisionWeightsAreUpcast()
{
    QFETCH(int, dtype);
    QFETCH(double, tolerance);
    const fs::path dir = derivedCheckpoint(
        QStringLiteral("half"), {}, [](const std::string &) { return true; }, SafetensorsDtype(dtype));
    const auto weights = SafetensorsFile::open(dir / "model.safetensors");
    QCOMPARE(weights.info("vision_model.head.probe").dtype, SafetensorsDtype(dtype));
    const auto model = SiglipModel::load(weights, SiglipConfig::fromFile(dir / "config.json"));
    const auto expected = testsupport::floatArray(refImages().at(0).toObject().value(QStringLiteral("image_embeds")));
    const double diff = testsupport::maxAbsDiff(rowOf(model.embedImages(refPixels(0), 1), 0), expected);
    QVERIFY2(diff < tolerance, qPrintable(QString::number(diff)));
    QVERIFY(diff > 0); // rounded weights: really the half-precision path
}

void TestSiglipModel::missingTensorIsNamed()
{
    const fs::path dir = derivedCheckpoint(QStringLiteral("missing"), {},
        [](const std::string &n) { return n != "text_model.encoder.layers.1.mlp.fc2.bias"; });
    try {
        SiglipPipeline::load(dir);
        QFAIL("loaded a checkpoint with a missing tensor");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::MissingTensor);
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QStringLiteral("model.safetensors")), qPrintable(what));
        QVERIFY2(what.contains(QStringLiteral("text_model.encoder.layers.1.mlp.fc2.bias")), qPrintable(what));
    }
}

void TestSiglipModel::wrongShapeIsNamed()
{
    // The config claims 3 layers and a larger MLP than the weights hold.
    const std::string config = R"({"model_type": "siglip",
        "vision_config": {"hidden_size": 64, "image_size": 32, "intermediate_size": 256, "num_attention_heads": 4, "num_hidden_layers": 2, "patch_size": 8},
        "text_config": {"hidden_size": 64, "intermediate_size": 128, "max_position_embeddings": 16, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 400}})";
    const fs::path dir = derivedCheckpoint(QStringLiteral("shape"), config, [](const std::string &) { return true; });
    try {
        SiglipPipeline::load(dir);
        QFAIL("loaded weights that do not fit the config");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::WrongShape);
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QStringLiteral("vision_model.encoder.layers.0.mlp.fc1.weight")), qPrintable(what));
        QVERIFY2(
            what.contains(QStringLiteral("[128, 64]")) && what.contains(QStringLiteral("[256, 64]")), qPrintable(what));
    }
}

void TestSiglipModel::badInputsToTheTowers()
{
    QVERIFY_THROWS_EXCEPTION(Error, m_model->embedImages(std::vector<float>(10), 1)); // wrong pixel count
    QVERIFY_THROWS_EXCEPTION(Error, m_model->embedTexts({{1, 2, 400}})); // id outside vocab
    QVERIFY_THROWS_EXCEPTION(Error, m_model->embedTexts({std::vector<std::int64_t>(17, 1)})); // longer than positions
    QVERIFY_THROWS_EXCEPTION(Error, m_model->embedTexts({{1, 1}, {1, 1, 1}})); // ragged batch
    QCOMPARE(m_model->embedImages({}, 0).rows, 0);
}

void TestSiglipModel::missingSideFilesAreReportedOnUse()
{
    const fs::path dir = derivedCheckpoint(QStringLiteral("nospiece"), {}, [](const std::string &) { return true; });
    fs::remove(dir / "spiece.model");
    fs::remove(dir / "preprocessor_config.json");
    const auto pipeline = SiglipPipeline::load(dir);
    QVERIFY(!pipeline.hasText());
    QVERIFY(!pipeline.hasVision());
    try {
        pipeline.embedTexts({"hello"});
        QFAIL("embedded text without a tokenizer");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("spiece.model")), e.what());
    }
    try {
        pipeline.embedImages({RgbImage(32, 32)});
        QFAIL("embedded an image without preprocessing settings");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("preprocessor_config.json")), e.what());
    }
}

QTEST_MAIN(TestSiglipModel)
#include "tst_siglipmodel.moc"
