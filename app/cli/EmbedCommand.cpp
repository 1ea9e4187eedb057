// `lookalike embed`: images and texts through a SigLIP checkpoint, as JSON or a table.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/model/SiglipPipeline.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace lookalike::cli {

namespace {

QJsonArray toJsonArray(std::span<const float> values)
{
    QJsonArray a;
    for (float v : values)
        a.append(static_cast<double>(v)); // exact: every float is a double
    return a;
}

QJsonObject modelJson(const SiglipPipeline &p)
{
    QJsonObject m;
    m.insert(QStringLiteral("folder"), QString::fromStdString(p.folder().string()));
    m.insert(QStringLiteral("config"), QJsonDocument::fromJson(QByteArray::fromStdString(p.config().toJson())).object());
    if (p.hasVision())
        m.insert(QStringLiteral("preprocessing"),
                 QJsonDocument::fromJson(QByteArray::fromStdString(p.imagePreprocessor().config().toJson())).object());
    if (p.hasText()) {
        m.insert(QStringLiteral("max_length"), p.tokenizer().maxLength());
        m.insert(QStringLiteral("tokenizer"), QString::fromStdString(p.tokenizer().description()));
    }
    QJsonArray loaded;
    for (const std::string &line : p.describe())
        loaded.append(QString::fromStdString(line));
    m.insert(QStringLiteral("loaded"), loaded);
    if (p.config().isDualEncoder()) {
        m.insert(QStringLiteral("logit_scale"), static_cast<double>(p.model().logitScale()));
        m.insert(QStringLiteral("exp_logit_scale"), std::exp(static_cast<double>(p.model().logitScale())));
        m.insert(QStringLiteral("logit_bias"), static_cast<double>(p.model().logitBias()));
    }
    m.insert(QStringLiteral("threads"), SiglipModel::threadCount());
    return m;
}

double norm(std::span<const float> v)
{
    double s = 0;
    for (float x : v)
        s += static_cast<double>(x) * x;
    return std::sqrt(s);
}

QString preview(std::span<const float> v)
{
    QStringList parts;
    for (std::size_t i = 0; i < std::min<std::size_t>(4, v.size()); ++i)
        parts << QString::number(static_cast<double>(v[i]), 'f', 4);
    return QStringLiteral("[") + parts.join(QStringLiteral(", ")) + QStringLiteral(", ...]");
}

// Shortens to `width` characters: texts keep their start, file paths their end (the name).
QString ellipsize(const QString &s, int width, Qt::TextElideMode mode = Qt::ElideRight)
{
    QString oneLine = s.simplified();
    if (oneLine.size() <= width)
        return oneLine;
    return mode == Qt::ElideLeft ? QChar(0x2026) + oneLine.right(width - 1) : oneLine.left(width - 1) + QChar(0x2026);
}

QString table(const SiglipPipeline &p, const QStringList &files, const FloatMatrix &images, const QStringList &texts,
              const std::vector<std::vector<std::int64_t>> &ids, const FloatMatrix &textEmb, const FloatMatrix &logits)
{
    const SiglipConfig &c = p.config();
    QString out = QStringLiteral("Model    %1 (%2)\n").arg(QString::fromStdString(p.folder().string()),
                                                          QString::fromStdString(c.modelType));
    for (const std::string &line : p.describe()) // variant, preprocessing and tokenizer found
        out += QStringLiteral("  %1\n").arg(QString::fromStdString(line));
    if (c.vision && c.vision->isNaflex())
        out += QStringLiteral("Vision   hidden %1, %2 layers, %3 heads, patch %4, position grid %5x%5\n")
                   .arg(c.vision->hiddenSize).arg(c.vision->numHiddenLayers).arg(c.vision->numAttentionHeads)
                   .arg(c.vision->patchSize).arg(c.vision->patchesPerSide());
    else if (c.vision)
        out += QStringLiteral("Vision   hidden %1, %2 layers, %3 heads, patch %4, image %5x%5\n")
                   .arg(c.vision->hiddenSize).arg(c.vision->numHiddenLayers).arg(c.vision->numAttentionHeads)
                   .arg(c.vision->patchSize).arg(c.vision->imageSize);
    if (c.text)
        out += QStringLiteral("Text     hidden %1, %2 layers, %3 heads, vocab %4, length %5\n")
                   .arg(c.text->hiddenSize).arg(c.text->numHiddenLayers).arg(c.text->numAttentionHeads)
                   .arg(c.text->vocabSize).arg(p.tokenizer().maxLength());
    if (!files.isEmpty()) {
        out += QStringLiteral("\nImages (%1 dimensions)\n").arg(images.cols);
        for (int i = 0; i < files.size(); ++i)
            out += QStringLiteral("  %1  %2  norm %3  %4\n")
                       .arg(i, 2)
                       .arg(ellipsize(files[i], 40, Qt::ElideLeft).leftJustified(40))
                       .arg(norm(images.row(i)), 0, 'f', 4)
                       .arg(preview(images.row(i)));
    }
    if (!texts.isEmpty()) {
        out += QStringLiteral("\nTexts (%1 dimensions)\n").arg(textEmb.cols);
        for (int i = 0; i < texts.size(); ++i) {
            QStringList idList;
            for (auto id : ids[static_cast<std::size_t>(i)])
                idList << QString::number(id);
            out += QStringLiteral("  %1  %2  norm %3  ids %4\n")
                       .arg(i, 2)
                       .arg(ellipsize(texts[i], 40).leftJustified(40))
                       .arg(norm(textEmb.row(i)), 0, 'f', 4)
                       .arg(idList.join(QLatin1Char(' ')));
        }
    }
    if (logits.rows > 0 && logits.cols > 0) {
        out += QStringLiteral("\nLogits per image (sigmoid probability in brackets)\n");
        // Cells are 15 characters ("%7.3f (%5.3f)") after an 11-character row label, 2 apart.
        QStringList header;
        for (int j = 0; j < texts.size(); ++j)
            header << QStringLiteral("text %1").arg(j).leftJustified(15);
        out += QString(11, QLatin1Char(' ')) + header.join(QStringLiteral("  ")).trimmed() + QLatin1Char('\n');
        for (std::int64_t i = 0; i < logits.rows; ++i) {
            QStringList cells{QStringLiteral("  image %1").arg(i, -2)};
            for (std::int64_t j = 0; j < logits.cols; ++j) {
                const double l = logits.at(i, j);
                cells << QStringLiteral("%1 (%2)").arg(l, 7, 'f', 3).arg(1.0 / (1.0 + std::exp(-l)), 0, 'f', 3);
            }
            out += cells.join(QStringLiteral("  ")) + QLatin1Char('\n');
        }
    }
    return out;
}

} // namespace

int embedCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Embed images and texts with a Hugging Face SigLIP checkpoint folder, exactly as transformers does.\n"
        "Embeddings are unnormalised (get_image_features / get_text_features); logits_per_image has one row "
        "per image and one column per text."));
    const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("Checkpoint folder (config.json, model.safetensors, ...)."), QStringLiteral("DIR"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Image file to embed (repeatable)."), QStringLiteral("FILE"));
    const QCommandLineOption textOpt(QStringLiteral("text"), QStringLiteral("Text to embed (repeatable)."), QStringLiteral("STRING"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print one JSON document instead of a table."));
    const QCommandLineOption threadsOpt(QStringLiteral("threads"), QStringLiteral("Compute threads (default: one per core)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption batchOpt(QStringLiteral("batch-size"), QStringLiteral("Images or texts per forward pass (default 32)."), QStringLiteral("N"), QStringLiteral("32"));
    const QCommandLineOption precisionOpt(QStringLiteral("precision"),
        QStringLiteral("auto (default: bf16 where the CPU has AVX512-BF16 or AMX, else fp32), fp32 (Hugging Face's "
                       "numbers, what the parity checks use) or bf16 (the encoders' matrix products in bfloat16)."),
        QStringLiteral("P"), QStringLiteral("auto"));
    parser.addOptions({modelOpt, imageOpt, textOpt, jsonOpt, threadsOpt, batchOpt, precisionOpt});
    if (auto status = parseCommandLine(parser, args, {}))
        return *status;
    if (!parser.isSet(modelOpt)) {
        printError(QStringLiteral("embed needs --model DIR"));
        return UsageError;
    }
    const auto threads = intOption(parser, QStringLiteral("threads"), 0, kMaxThreads);
    const auto batch = intOption(parser, QStringLiteral("batch-size"), 1, 1 << 20);
    if (!threads || !batch)
        return UsageError;
    SiglipPipeline::Options options;
    options.threads = static_cast<int>(*threads);
    options.batchSize = static_cast<int>(*batch);
    try {
        options.precision = parsePrecisionChoice(parser.value(precisionOpt).toStdString()).value_or(automaticPrecision());
    } catch (const Error &e) {
        printError(QString::fromUtf8(e.what()));
        return UsageError;
    }
    const QStringList files = parser.values(imageOpt);
    const QStringList texts = parser.values(textOpt);

    return guarded([&] {
        const SiglipPipeline pipeline = SiglipPipeline::load(parser.value(modelOpt).toStdString(), options);
        std::vector<std::filesystem::path> paths;
        for (const QString &f : files)
            paths.emplace_back(f.toStdString());
        std::vector<std::string> textList;
        for (const QString &t : texts)
            textList.push_back(t.toStdString());

        const FloatMatrix images = paths.empty() ? FloatMatrix() : pipeline.embedImageFiles(paths);
        std::vector<std::vector<std::int64_t>> ids;
        const FloatMatrix textEmb = textList.empty() ? FloatMatrix() : pipeline.embedTexts(textList, &ids);
        const bool withLogits = !paths.empty() && !textList.empty() && pipeline.config().isDualEncoder();
        const FloatMatrix logits = withLogits ? pipeline.logitsPerImage(images, textEmb) : FloatMatrix();

        if (!parser.isSet(jsonOpt)) {
            printOut(table(pipeline, files, images, texts, ids, textEmb, logits));
            return int(Success);
        }
        QJsonObject doc;
        doc.insert(QStringLiteral("model"), modelJson(pipeline));
        QJsonArray imageArray;
        for (int i = 0; i < files.size(); ++i)
            imageArray.append(QJsonObject{{QStringLiteral("file"), files[i]},
                                          {QStringLiteral("embedding"), toJsonArray(images.row(i))}});
        doc.insert(QStringLiteral("images"), imageArray);
        QJsonArray textArray;
        for (int i = 0; i < texts.size(); ++i) {
            QJsonArray idArray;
            for (auto id : ids[static_cast<std::size_t>(i)])
                idArray.append(static_cast<qint64>(id));
            textArray.append(QJsonObject{{QStringLiteral("text"), texts[i]},
                                         {QStringLiteral("input_ids"), idArray},
                                         {QStringLiteral("embedding"), toJsonArray(textEmb.row(i))}});
        }
        doc.insert(QStringLiteral("texts"), textArray);
        if (withLogits) {
            QJsonArray rows;
            for (std::int64_t i = 0; i < logits.rows; ++i)
                rows.append(toJsonArray(logits.row(i)));
            doc.insert(QStringLiteral("logits_per_image"), rows);
        }
        printOut(QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
        return int(Success);
    });
}

} // namespace lookalike::cli
