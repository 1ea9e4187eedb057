// SiglipPipeline on the checkpoints a team brings today, against transformers 5.17's own outputs
// (tests/data/siglip2_ref, see its README): SigLIP 2 FixRes and NaFlex in the hub's layout and in
// transformers 5's, and a SigLIP 1 folder saved by transformers 5. Token ids exactly; pixel
// values, embeddings and logits within 1e-4; a NaFlex batch of mixed shapes within 1e-5 of each
// image alone; what `embed` reports it loaded.
#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/model/SiglipPipeline.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include <filesystem>
#include <map>
#include <set>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;

QString refRoot()
{
    return testsupport::dataDir() + QStringLiteral("/siglip2_ref");
}

// ref_<checkpoint>.json, parsed once per file.
const QJsonObject &reference(const QString &checkpoint)
{
    static std::map<QString, QJsonObject> cache;
    auto it = cache.find(checkpoint);
    if (it == cache.end()) {
        const QByteArray bytes = testsupport::readFileBytes(refRoot() + QStringLiteral("/ref_") + checkpoint
                                                            + QStringLiteral(".json"));
        it = cache.emplace(checkpoint, QJsonDocument::fromJson(bytes).object()).first;
    }
    return it->second;
}

// Every folder and the reference it must reproduce: both layouts of one checkpoint share one.
const std::vector<std::pair<QString, QString>> &folders()
{
    static const std::vector<std::pair<QString, QString>> list{
        {QStringLiteral("s2fix_a"), QStringLiteral("s2fix_a")},
        {QStringLiteral("s2fix_a_hub"), QStringLiteral("s2fix_a")},
        {QStringLiteral("s2naf_a"), QStringLiteral("s2naf_a")},
        {QStringLiteral("s2naf_a_hub"), QStringLiteral("s2naf_a")},
        {QStringLiteral("s1t5_a"), QStringLiteral("s1t5_a")},
    };
    return list;
}

const SiglipPipeline &pipeline(const QString &folder)
{
    static std::map<QString, SiglipPipeline> cache;
    auto it = cache.find(folder);
    if (it == cache.end()) {
        SiglipPipeline::Options options;
        options.threads = 1;
        it = cache.emplace(folder, SiglipPipeline::load((refRoot() + QLatin1Char('/') + folder).toStdString(), options))
                 .first;
    }
    return it->second;
}

std::vector<float> rowOf(const FloatMatrix &m, std::int64_t r)
{
    return {m.row(r).begin(), m.row(r).end()};
}

fs::path imageFile(const QJsonObject &image)
{
    // Paths are relative to ../siglip_ref (the six shared images).
    return (testsupport::refDir() + QLatin1Char('/') + image.value(QStringLiteral("file")).toString()).toStdString();
}

void addFolderRows()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("ref");
    for (const auto &[folder, ref] : folders())
        QTest::newRow(qPrintable(folder)) << folder << ref;
}

} // namespace

class TestSiglipPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tokenizerCases_data();
    void tokenizerCases();
    void textEmbeddings_data() { addFolderRows(); }
    void textEmbeddings();
    void fixResImages_data();
    void fixResImages();
    void naflexImages_data();
    void naflexImages();
    void naflexBatchOfMixedShapesEqualsEachAlone_data();
    void naflexBatchOfMixedShapesEqualsEachAlone();
    void logits_data();
    void logits();
    void describesWhatItLoaded_data();
    void describesWhatItLoaded();
    void lanesAreTheOnesAskedFor();
    void folderWithoutSettingsIsRefusedWithTheFileNamed();
};

void TestSiglipPipeline::tokenizerCases_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("ref");
    QTest::addColumn<int>("index");
    for (const auto &[folder, ref] : folders()) {
        const QJsonArray cases = reference(ref).value(QStringLiteral("tokenizer_cases")).toArray();
        for (int i = 0; i < cases.size(); ++i)
            QTest::addRow("%s/%d", qPrintable(folder), i) << folder << ref << i;
    }
}

void TestSiglipPipeline::tokenizerCases()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    QFETCH(int, index);
    const QJsonObject c = reference(ref).value(QStringLiteral("tokenizer_cases")).toArray().at(index).toObject();
    const std::string text = c.value(QStringLiteral("text")).toString().toStdString();
    const TextTokenizer &tok = pipeline(folder).tokenizer();
    QCOMPARE(tok.encode(text, true), testsupport::intArray(c.value(QStringLiteral("input_ids_max_length"))));
    QCOMPARE(tok.encode(text, false), testsupport::intArray(c.value(QStringLiteral("input_ids_no_padding"))));
    if (ref != QLatin1String("s1t5_a")) // SigLIP 1's pieces are checked in tst_sigliptokenizer
        QCOMPARE(tok.tokenize(text), testsupport::stringArray(c.value(QStringLiteral("tokens"))));
}

void TestSiglipPipeline::textEmbeddings()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    const QJsonArray texts = reference(ref).value(QStringLiteral("texts")).toArray();
    std::vector<std::string> strings;
    for (const QJsonValue t : texts)
        strings.push_back(t.toObject().value(QStringLiteral("text")).toString().toStdString());
    std::vector<std::vector<std::int64_t>> ids;
    const FloatMatrix emb = pipeline(folder).embedTexts(strings, &ids);
    for (int i = 0; i < texts.size(); ++i) {
        const QJsonObject t = texts.at(i).toObject();
        QCOMPARE(ids[static_cast<std::size_t>(i)], testsupport::intArray(t.value(QStringLiteral("input_ids"))));
        const double diff = testsupport::maxAbsDiff(rowOf(emb, i), testsupport::floatArray(t.value(QStringLiteral("text_embeds"))));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("text %1 differs by %2").arg(i).arg(diff)));
    }
}

void TestSiglipPipeline::fixResImages_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("ref");
    for (const auto &[folder, ref] : folders())
        if (!ref.startsWith(QLatin1String("s2naf")))
            QTest::newRow(qPrintable(folder)) << folder << ref;
}

void TestSiglipPipeline::fixResImages()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    const SiglipPipeline &p = pipeline(folder);
    const QJsonArray images = reference(ref).value(QStringLiteral("images")).toArray();
    std::vector<fs::path> files;
    for (int i = 0; i < images.size(); ++i) {
        const QJsonObject im = images.at(i).toObject();
        files.push_back(imageFile(im));
        // Pillow's BILINEAR (SigLIP 2) or BICUBIC (SigLIP 1), bit-exact before rescaling.
        std::vector<float> pixels(p.imagePreprocessor().pixelValueCount());
        p.imagePreprocessor().pixelValues(decodeImageFile(files.back()), pixels);
        const double pixelDiff = testsupport::maxAbsDiff(pixels, testsupport::tensorData(im.value(QStringLiteral("pixel_values"))));
        QVERIFY2(pixelDiff < 1e-6, qPrintable(QStringLiteral("image %1 pixels differ by %2").arg(i).arg(pixelDiff)));
    }
    const FloatMatrix emb = p.embedImageFiles(files);
    for (int i = 0; i < images.size(); ++i) {
        const double diff = testsupport::maxAbsDiff(
            rowOf(emb, i), testsupport::floatArray(images.at(i).toObject().value(QStringLiteral("image_embeds"))));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("image %1 differs by %2").arg(i).arg(diff)));
    }
}

void TestSiglipPipeline::naflexImages_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("ref");
    for (const auto &[folder, ref] : folders())
        if (ref.startsWith(QLatin1String("s2naf")))
            QTest::newRow(qPrintable(folder)) << folder << ref;
}

void TestSiglipPipeline::naflexImages()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    const SiglipPipeline &p = pipeline(folder);
    const QJsonArray images = reference(ref).value(QStringLiteral("images")).toArray();
    QCOMPARE(images.size(), 6);
    for (int i = 0; i < images.size(); ++i) {
        const QJsonObject im = images.at(i).toObject();
        const PatchedImage patched = p.imagePreprocessor().patchedImage(decodeImageFile(imageFile(im)));
        const std::vector<std::int64_t> shape = testsupport::intArray(im.value(QStringLiteral("spatial_shapes")));
        QCOMPARE(std::vector<std::int64_t>({patched.rows, patched.cols}), shape);
        QCOMPARE(patched.patchCount(), static_cast<std::int64_t>(im.value(QStringLiteral("valid_patches")).toInt()));
        const double pixelDiff = testsupport::maxAbsDiff(patched.values,
                                                         testsupport::tensorData(im.value(QStringLiteral("pixel_values_valid"))));
        QVERIFY2(pixelDiff < 1e-6, qPrintable(QStringLiteral("image %1 patches differ by %2").arg(i).arg(pixelDiff)));
        // Alone (a batch of one).
        const FloatMatrix alone = p.embedImageFiles({imageFile(im)});
        const double diff = testsupport::maxAbsDiff(rowOf(alone, 0), testsupport::floatArray(im.value(QStringLiteral("image_embeds"))));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("image %1 differs by %2").arg(i).arg(diff)));
    }
}

void TestSiglipPipeline::naflexBatchOfMixedShapesEqualsEachAlone_data()
{
    naflexImages_data();
}

void TestSiglipPipeline::naflexBatchOfMixedShapesEqualsEachAlone()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    const SiglipPipeline &p = pipeline(folder);
    const QJsonArray images = reference(ref).value(QStringLiteral("images")).toArray();
    std::vector<fs::path> files;
    std::set<std::pair<int, int>> shapes;
    for (const QJsonValue v : images) {
        files.push_back(imageFile(v.toObject()));
        const auto s = testsupport::intArray(v.toObject().value(QStringLiteral("spatial_shapes")));
        shapes.insert({static_cast<int>(s[0]), static_cast<int>(s[1])});
    }
    QVERIFY2(shapes.size() >= 3, "the six images must have several patch-grid shapes for this test to mean anything");
    const FloatMatrix batch = p.embedImageFiles(files); // one padded forward pass
    for (int i = 0; i < images.size(); ++i) {
        const FloatMatrix alone = p.embedImageFiles({files[static_cast<std::size_t>(i)]});
        const double selfDiff = testsupport::maxAbsDiff(rowOf(batch, i), rowOf(alone, 0));
        QVERIFY2(selfDiff < 1e-5, qPrintable(QStringLiteral("image %1: batch and alone differ by %2").arg(i).arg(selfDiff)));
        const double refDiff = testsupport::maxAbsDiff(
            rowOf(batch, i), testsupport::floatArray(images.at(i).toObject().value(QStringLiteral("image_embeds_in_batch"))));
        QVERIFY2(refDiff < kTolerance, qPrintable(QStringLiteral("image %1 in a batch differs by %2").arg(i).arg(refDiff)));
    }
}

void TestSiglipPipeline::logits_data()
{
    fixResImages_data();
}

void TestSiglipPipeline::logits()
{
    QFETCH(QString, folder);
    QFETCH(QString, ref);
    const SiglipPipeline &p = pipeline(folder);
    const QJsonObject r = reference(ref);
    std::vector<fs::path> files;
    for (const QJsonValue v : r.value(QStringLiteral("images")).toArray())
        files.push_back(imageFile(v.toObject()));
    std::vector<std::string> texts;
    for (const QJsonValue v : r.value(QStringLiteral("texts")).toArray())
        texts.push_back(v.toObject().value(QStringLiteral("text")).toString().toStdString());
    const FloatMatrix logits = p.logitsPerImage(p.embedImageFiles(files), p.embedTexts(texts));
    const QJsonArray rows = r.value(QStringLiteral("logits_per_image")).toObject().value(QStringLiteral("rows")).toArray();
    QCOMPARE(logits.rows, rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        const double diff = testsupport::maxAbsDiff(rowOf(logits, i), testsupport::floatArray(rows.at(i)));
        QVERIFY2(diff < kTolerance, qPrintable(QStringLiteral("logits row %1 differ by %2").arg(i).arg(diff)));
    }
    QCOMPARE(p.model().logitScale(), static_cast<float>(r.value(QStringLiteral("logit_scale")).toDouble()));
}

void TestSiglipPipeline::describesWhatItLoaded_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("s2fix_a") << QStringLiteral("s2fix_a")
                             << QStringList{QStringLiteral("SigLIP 2 FixRes"), QStringLiteral("bilinear resize"),
                                            QStringLiteral("Gemma (tokenizer.json")};
    QTest::newRow("s2fix_a_hub") << QStringLiteral("s2fix_a_hub")
                                 << QStringList{QStringLiteral("SigLIP 2 FixRes"), QStringLiteral("Gemma (tokenizer.model")};
    QTest::newRow("s2naf_a") << QStringLiteral("s2naf_a")
                             << QStringList{QStringLiteral("SigLIP 2 NaFlex"), QStringLiteral("at most 24 patches of 8 px"),
                                            QStringLiteral("bilinear resize")};
    QTest::newRow("s1t5_a") << QStringLiteral("s1t5_a")
                            << QStringList{QStringLiteral("model: SigLIP (siglip)"), QStringLiteral("bicubic resize"),
                                           QStringLiteral("SigLIP (spiece.model")};
}

void TestSiglipPipeline::describesWhatItLoaded()
{
    QFETCH(QString, folder);
    QFETCH(QStringList, expected);
    QString all;
    for (const std::string &line : pipeline(folder).describe())
        all += QString::fromStdString(line) + QLatin1Char('\n');
    for (const QString &e : expected)
        QVERIFY2(all.contains(e), qPrintable(QStringLiteral("'%1' not in:\n%2").arg(e, all)));
}

// The measured lanes unless others are given, and following the free cores when asked either
// way (CatalogSearch asks it with the measured lanes: a query's text is not stored).
void TestSiglipPipeline::lanesAreTheOnesAskedFor()
{
    const std::string folder = (refRoot() + QStringLiteral("/s2fix_a")).toStdString();
    SiglipPipeline::Options options;
    options.threads = 2;
    const SiglipModel::Lanes measured = SiglipModel::measuredLanes(2);
    {
        const SiglipPipeline p = SiglipPipeline::load(folder, options);
        QCOMPARE(p.model().lanes().count, measured.count);
        QCOMPARE(p.model().lanes().chunk, measured.chunk);
        QVERIFY(!p.model().lanes().followFreeCores);
    }
    options.lanes.followFreeCores = true;
    {
        const SiglipPipeline p = SiglipPipeline::load(folder, options);
        QCOMPARE(p.model().lanes().count, measured.count);
        QVERIFY(p.model().lanes().followFreeCores);
        QVERIFY(p.describe().back().find("cores left free") != std::string::npos);
    }
    options.lanes = {3, 1, false};
    const SiglipPipeline p = SiglipPipeline::load(folder, options);
    QCOMPARE(p.model().lanes().count, 3);
    QCOMPARE(p.model().lanes().chunk, 1);
    QVERIFY(!p.model().lanes().followFreeCores);
}

void TestSiglipPipeline::folderWithoutSettingsIsRefusedWithTheFileNamed()
{
    // A NaFlex folder without its processor settings: the vision tower says which file is missing.
    const fs::path dir = testsupport::scratchDir(QStringLiteral("naflex_no_processor")).toStdString();
    for (const char *name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
        fs::copy_file(fs::path(refRoot().toStdString()) / "s2naf_a" / name, dir / name);
    const SiglipPipeline p = SiglipPipeline::load(dir);
    QVERIFY(p.hasText());
    QVERIFY(!p.hasVision());
    try {
        (void)p.imagePreprocessor();
        QFAIL("no error");
    } catch (const Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("preprocessor_config.json: file not found")), e.what());
    }
    // A tokenizer.json with a model type it cannot run is refused at load, naming the key.
    QFile f(QString::fromStdString((dir / "tokenizer.json").string()));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray json = f.readAll();
    f.close();
    json.replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\"");
    json.replace("\"type\":\"BPE\"", "\"type\":\"WordPiece\"");
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(json);
    f.close();
    try {
        (void)SiglipPipeline::load(dir);
        QFAIL("no error");
    } catch (const Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("model.type")), e.what());
    }
}

QTEST_GUILESS_MAIN(TestSiglipPipeline)
#include "tst_siglippipeline.moc"
