// SiglipConfig: Hugging Face defaults for missing keys, the three model types, the
// architecture checks, and one bad-input row per rule (file and key named).
#include "core/Error.h"
#include "core/checkpoint/SiglipConfig.h"
#include "core/checkpoint/SiglipNames.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace lookalike;

class TestSiglipConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tinyCheckpointGetsDefaults();
    void emptySubConfigsAreBaseDefaults();
    void visionOnlyConfigAtTopLevel();
    void projectionSizeSetsTextEmbeddingWidth();
    void roundTripThroughHuggingFaceJson();
    void siglip2NaflexConfig();
    void rejectsBadConfigs_data();
    void rejectsBadConfigs();
    void missingFileIsNamed();
    void expectedTensorsMatchTheReferenceCheckpoint();
};

void TestSiglipConfig::tinyCheckpointGetsDefaults()
{
    const auto c = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    QVERIFY(c.isDualEncoder());
    // Every effective value equals what transformers reported for the same file.
    const QJsonObject ref = testsupport::reference().value(QStringLiteral("model")).toObject();
    const QJsonObject v = ref.value(QStringLiteral("vision")).toObject();
    const QJsonObject t = ref.value(QStringLiteral("text")).toObject();
    QCOMPARE(c.vision->hiddenSize, v.value(QStringLiteral("hidden_size")).toInt());
    QCOMPARE(c.vision->intermediateSize, v.value(QStringLiteral("intermediate_size")).toInt());
    QCOMPARE(c.vision->numHiddenLayers, v.value(QStringLiteral("num_hidden_layers")).toInt());
    QCOMPARE(c.vision->numAttentionHeads, v.value(QStringLiteral("num_attention_heads")).toInt());
    QCOMPARE(c.vision->numChannels, v.value(QStringLiteral("num_channels")).toInt());
    QCOMPARE(c.vision->imageSize, v.value(QStringLiteral("image_size")).toInt());
    QCOMPARE(c.vision->patchSize, v.value(QStringLiteral("patch_size")).toInt());
    QCOMPARE(QString::fromStdString(c.vision->hiddenAct), v.value(QStringLiteral("hidden_act")).toString());
    QCOMPARE(c.vision->layerNormEps, v.value(QStringLiteral("layer_norm_eps")).toDouble());
    QCOMPARE(c.text->vocabSize, t.value(QStringLiteral("vocab_size")).toInt());
    QCOMPARE(c.text->maxPositionEmbeddings, t.value(QStringLiteral("max_position_embeddings")).toInt());
    QCOMPARE(QString::fromStdString(c.text->hiddenAct), t.value(QStringLiteral("hidden_act")).toString());
    QCOMPARE(c.text->layerNormEps, t.value(QStringLiteral("layer_norm_eps")).toDouble());
    QCOMPARE(c.vision->numPatches(), 16);
    QCOMPARE(c.embeddingSize(), 64);
}

void TestSiglipConfig::emptySubConfigsAreBaseDefaults()
{
    const auto c = SiglipConfig::fromJson(R"({"model_type": "siglip", "text_config": {}})", "config.json");
    QVERIFY(c.isDualEncoder());
    QCOMPARE(c.vision->hiddenSize, 768);
    QCOMPARE(c.vision->intermediateSize, 3072);
    QCOMPARE(c.vision->numHiddenLayers, 12);
    QCOMPARE(c.vision->numAttentionHeads, 12);
    QCOMPARE(c.vision->imageSize, 224);
    QCOMPARE(c.vision->patchSize, 16);
    QCOMPARE(c.vision->headDim(), 64);
    QCOMPARE(c.text->vocabSize, 32000);
    QCOMPARE(c.text->maxPositionEmbeddings, 64);
    QCOMPARE(c.text->embeddingSize(), 768);
    QCOMPARE(c.text->hiddenAct, std::string("gelu_pytorch_tanh"));
}

void TestSiglipConfig::visionOnlyConfigAtTopLevel()
{
    const auto c = SiglipConfig::fromJson(
        R"({"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
            "num_attention_heads": 16, "num_hidden_layers": 27, "image_size": 384, "patch_size": 14})",
        "config.json");
    QVERIFY(c.hasVision());
    QVERIFY(!c.hasText());
    QCOMPARE(c.vision->headDim(), 72);
    QCOMPARE(c.vision->numPatches(), 729);
    QCOMPARE(c.embeddingSize(), 1152);
}

void TestSiglipConfig::projectionSizeSetsTextEmbeddingWidth()
{
    const auto c = SiglipConfig::fromJson(
        R"({"model_type": "siglip", "vision_config": {"hidden_size": 96, "num_attention_heads": 4},
            "text_config": {"hidden_size": 64, "num_attention_heads": 4, "projection_size": 96}})",
        "config.json");
    QCOMPARE(c.text->embeddingSize(), 96);
    const auto specs = siglip::expectedTensors(c);
    const auto head
        = std::find_if(specs.begin(), specs.end(), [](const auto &s) { return s.name == "text_model.head.weight"; });
    QVERIFY(head != specs.end());
    QCOMPARE(head->shape, (std::vector<std::int64_t>{96, 64}));
}

void TestSiglipConfig::roundTripThroughHuggingFaceJson()
{
    auto c = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    c.vision->hiddenAct = "gelu";
    c.text->layerNormEps = 1e-5;
    const auto again = SiglipConfig::fromJson(c.toHuggingFaceJson(), "written.json");
    QCOMPARE(again.toJson(), c.toJson());
    QCOMPARE(again.vision->hiddenAct, std::string("gelu"));
    QCOMPARE(again.text->layerNormEps, 1e-5);

    SiglipConfig vision;
    vision.modelType = siglip::kModelTypeVision;
    vision.vision = SiglipVisionConfig{};
    vision.vision->imageSize = 384;
    const auto visionAgain = SiglipConfig::fromJson(vision.toHuggingFaceJson(), "written.json");
    QVERIFY(!visionAgain.hasText());
    QCOMPARE(visionAgain.vision->imageSize, 384);
}

void TestSiglipConfig::siglip2NaflexConfig()
{
    // Siglip2VisionConfig's defaults: a 16 x 16 position grid, patches of 16, no image_size.
    const auto c = SiglipConfig::fromJson(R"({"model_type": "siglip2", "vision_config": {}, "text_config": {}})", "c.json");
    QVERIFY(c.isSiglip2());
    QVERIFY(c.vision->isNaflex());
    QCOMPARE(c.vision->numPatches(), std::int64_t{256});
    QCOMPARE(c.vision->patchesPerSide(), 16);
    // The patch embedding is a Linear over p * p * 3 values.
    bool found = false;
    for (const siglip::TensorSpec &t : siglip::expectedTensors(c))
        if (t.name == "vision_model.embeddings.patch_embedding.weight") {
            QCOMPARE(t.shape, (std::vector<std::int64_t>{768, 768}));
            found = true;
        }
    QVERIFY(found);
    // Written back as Siglip2Model with num_patches, and read again the same.
    const std::string written = c.toHuggingFaceJson();
    QVERIFY(written.find("Siglip2Model") != std::string::npos);
    QVERIFY(written.find("siglip2_vision_model") != std::string::npos);
    QCOMPARE(SiglipConfig::fromJson(written, "w.json").toJson(), c.toJson());
    // The shared reference folder (num_patches 16, patch 8).
    const auto ref = SiglipConfig::fromFile(testsupport::dataDir().toStdString() + "/siglip2_ref/s2naf_a/config.json");
    QCOMPARE(ref.vision->numPatches(), std::int64_t{16});
    QCOMPARE(ref.vision->patchValues(), std::int64_t{192});
    // A grid that is not square cannot be resized as transformers does.
    try {
        (void)SiglipConfig::fromJson(R"({"model_type": "siglip2", "vision_config": {"num_patches": 200}})", "c.json");
        QFAIL("no error");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("vision_config.num_patches") != std::string::npos, e.what());
    }
}

void TestSiglipConfig::rejectsBadConfigs_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not JSON") << QStringLiteral("{\"model_type\": ") << int(ErrorCode::MalformedConfig)
                              << QStringLiteral("not valid JSON");
    QTest::newRow("a JSON array") << QStringLiteral("[]") << int(ErrorCode::MalformedConfig)
                                  << QStringLiteral("JSON object");
    QTest::newRow("not a SigLIP model") << QStringLiteral(R"({"model_type": "clip"})") << int(ErrorCode::InvalidConfig)
                                        << QStringLiteral("'clip'");
    QTest::newRow("hidden size is a string")
        << QStringLiteral(R"({"model_type": "siglip", "vision_config": {"hidden_size": "768"}})")
        << int(ErrorCode::MalformedConfig) << QStringLiteral("vision_config.hidden_size");
    QTest::newRow("fractional layer count")
        << QStringLiteral(R"({"model_type": "siglip", "text_config": {"num_hidden_layers": 2.5}})")
        << int(ErrorCode::MalformedConfig) << QStringLiteral("text_config.num_hidden_layers");
    QTest::newRow("zero heads") << QStringLiteral(
        R"({"model_type": "siglip", "vision_config": {"num_attention_heads": 0}})")
                                << int(ErrorCode::MalformedConfig) << QStringLiteral("num_attention_heads");
    QTest::newRow("hidden not divisible by heads")
        << QStringLiteral(R"({"model_type": "siglip", "vision_config": {"hidden_size": 100, "num_attention_heads": 12},
                              "text_config": {"hidden_size": 100, "num_attention_heads": 10}})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("not divisible");
    QTest::newRow("unknown activation") << QStringLiteral(
        R"({"model_type": "siglip", "text_config": {"hidden_act": "swishy"}})")
                                        << int(ErrorCode::InvalidConfig) << QStringLiteral("swishy");
    QTest::newRow("embedding widths differ")
        << QStringLiteral(R"({"model_type": "siglip", "vision_config": {"hidden_size": 768},
                              "text_config": {"hidden_size": 512, "num_attention_heads": 8}})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("cannot be compared");
    QTest::newRow("vision_config not an object") << QStringLiteral(R"({"model_type": "siglip", "vision_config": 3})")
                                                 << int(ErrorCode::MalformedConfig) << QStringLiteral("vision_config");
    QTest::newRow("four channels") << QStringLiteral(R"({"model_type": "siglip_vision_model", "num_channels": 4})")
                                   << int(ErrorCode::InvalidConfig) << QStringLiteral("num_channels");
    QTest::newRow("patch larger than image")
        << QStringLiteral(R"({"model_type": "siglip_vision_model", "image_size": 16, "patch_size": 32})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("patch_size");
    // Sizes whose products overflowed 32 bits once (a negative shape in the message).
    QTest::newRow("image_size 1e9")
        << QStringLiteral(R"({"model_type": "siglip_vision_model", "image_size": 1000000000})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("vision_config.image_size: image_size 1000000000 is too large");
    QTest::newRow("image_size at the int limit")
        << QStringLiteral(R"({"model_type": "siglip_vision_model", "image_size": 2147483647, "patch_size": 1})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("is too large");
    QTest::newRow("image_size beyond int")
        << QStringLiteral(R"({"model_type": "siglip_vision_model", "image_size": 3000000000})")
        << int(ErrorCode::MalformedConfig) << QStringLiteral("image_size");
    // Found by fuzz/fuzz_config: listing the tensors of 2e9 layers ran out of memory.
    QTest::newRow("two billion layers")
        << QStringLiteral(R"({"model_type": "siglip_vision_model", "num_hidden_layers": 2000000000})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("vision_config.num_hidden_layers: 2000000000 is too large");
    QTest::newRow("a vocabulary of a billion")
        << QStringLiteral(R"({"model_type": "siglip_text_model", "vocab_size": 1000000000})")
        << int(ErrorCode::InvalidConfig) << QStringLiteral("text_config.vocab_size");
    QTest::newRow("negative epsilon") << QStringLiteral(R"({"model_type": "siglip_text_model", "layer_norm_eps": -1})")
                                      << int(ErrorCode::InvalidConfig) << QStringLiteral("layer_norm_eps");
}

void TestSiglipConfig::rejectsBadConfigs()
{
    QFETCH(QString, json);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    try {
        SiglipConfig::fromJson(json.toStdString(), "/models/x/config.json");
        QFAIL("a bad config was accepted");
    } catch (const Error &e) {
        QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode(code)));
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.startsWith(QStringLiteral("/models/x/config.json: ")), qPrintable(what));
        QVERIFY2(what.contains(mentions), qPrintable(what));
    }
}

void TestSiglipConfig::missingFileIsNamed()
{
    try {
        SiglipConfig::fromFile("/nonexistent/model/config.json");
        QFAIL("missing file accepted");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::MissingConfig);
        QVERIFY(QString::fromUtf8(e.what()).startsWith(QStringLiteral("/nonexistent/model/config.json: ")));
    }
}

void TestSiglipConfig::expectedTensorsMatchTheReferenceCheckpoint()
{
    // The tensor list derived from the config is exactly the state_dict transformers saved.
    const auto c = SiglipConfig::fromFile(testsupport::tinyCheckpointPath() + "/config.json");
    const auto specs = siglip::expectedTensors(c);
    QCOMPARE(specs.size(), std::size_t(88));
    QFile f(testsupport::tinyCheckpointDir() + QStringLiteral("/model.safetensors"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    std::uint64_t n = 0;
    f.read(reinterpret_cast<char *>(&n), 8);
    const QJsonObject header = QJsonDocument::fromJson(f.read(qint64(n))).object();
    for (const auto &spec : specs) {
        const QJsonObject entry = header.value(QString::fromStdString(spec.name)).toObject();
        QVERIFY2(!entry.isEmpty(), spec.name.c_str());
        QCOMPARE(testsupport::intArray(entry.value(QStringLiteral("shape"))), spec.shape);
    }
}

QTEST_MAIN(TestSiglipConfig)
#include "tst_siglipconfig.moc"
