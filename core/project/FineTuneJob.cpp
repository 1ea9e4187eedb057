// The fine-tuning loop over a project's image-title pairs.
#include "core/project/FineTuneJob.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/model/RandomCheckpoint.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/text/SentencePiece.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipPipeline.h"
#include "core/text/SiglipTokenizer.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/util/SeededRandom.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

struct Pair {
    fs::path image;
    std::vector<std::int64_t> ids;
};

void shuffle(std::vector<std::size_t> &v, std::uint64_t seed)
{
    SeededRandom r(seed);
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[r.below(i)]);
}

// Checked: a full disk must not leave a truncated file that looks complete.
void writeTextFile(const fs::path &file, const std::string &text)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
        throw Error(ErrorCode::FileUnreadable, file.string(), "cannot write the file (disk full or not writable)");
}

// When a run ends without its output (an error, a cancel, a stop): <out>.partial/ keeps a
// complete state to continue from and nothing else, or goes. Never throws.
struct KeepOnlyResumableState {
    fs::path partial;
    ~KeepOnlyResumableState()
    {
        std::error_code ec;
        if (!fs::exists(partial, ec))
            return;
        if (!fs::exists(partial / "state.safetensors", ec) || !fs::exists(partial / "state.json", ec)) {
            fs::remove_all(partial, ec);
            return;
        }
        std::vector<fs::path> other; // temporary files, a half-written model
        for (fs::directory_iterator it(partial, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().filename() != "state.safetensors" && it->path().filename() != "state.json")
                other.push_back(it->path());
        for (const fs::path &path : other)
            fs::remove_all(path, ec);
    }
};

} // namespace

void writeScratchCheckpoint(Project &project, const SiglipConfig &config, const fs::path &folder, std::uint64_t seed)
{
    config.validate("--from-scratch");
    if (!config.vision || !config.text)
        throw Error(ErrorCode::InvalidConfig, "--from-scratch",
            "training from scratch needs both towers (vision_config and text_config)");
    std::vector<std::int64_t> ids;
    for (const auto &[id, category] : project.itemCategories())
        ids.push_back(id);
    std::vector<std::string> titles;
    for (const Item &item : project.items(ids))
        titles.push_back(SiglipTokenizer::canonicalText(item.title));
    fs::create_directories(folder);
    const fs::path vocabulary = folder / "catalog-spiece.model";
    SentencePiece::train(titles, config.text->vocabSize, vocabulary);
    RandomCheckpointOptions options;
    options.seed = seed;
    options.sentencePieceModel = vocabulary;
    writeRandomCheckpoint(folder, config, options);
    fs::remove(vocabulary); // copied in as spiece.model
}

namespace {

// A run whose loss or weights stopped being finite (a learning rate far too high, usually): it
// stops, and no model is written. The state of the last good epoch, if any, stays to continue from.
[[noreturn]] void diverged(int epoch, int step, double learningRate, const char *what)
{
    throw Error(ErrorCode::InvalidArgument, {}, "fine-tuning",
                std::string("the ") + what + " became NaN or infinite at epoch " + std::to_string(epoch) + ", step "
                    + std::to_string(step) + " (learning rate " + std::to_string(learningRate)
                    + "; try a lower --lr); no model was written");
}

} // namespace

FineTuneReport fineTune(Project &project, const fs::path &modelFolder, const fs::path &outFolder,
    const FineTuneOptions &options, const std::function<void(const FineTuneProgress &)> &progress)
{
    // Written so that NaN fails them too (every comparison with NaN is false).
    if (options.epochs < 1 || options.batchSize < 2 || !(options.validationFraction >= 0)
        || !(options.validationFraction < 1) || !(options.warmupFraction >= 0) || !(options.warmupFraction <= 1))
        throw Error(ErrorCode::InvalidArgument, {}, "fine-tuning",
            "needs epochs >= 1, batch size >= 2, a validation fraction in [0, 1) and a warm-up fraction in [0, 1]");
    if (fs::exists(outFolder) && !fs::is_empty(outFolder))
        throw Error(ErrorCode::InvalidArgument, outFolder.string(), "the output folder exists and is not empty");
    SiglipPipeline::Options pipelineOptions;
    pipelineOptions.threads = options.threads;
    const SiglipPipeline pipeline = SiglipPipeline::load(modelFolder, pipelineOptions);
    if (!pipeline.hasVision() || !pipeline.hasText())
        throw Error(ErrorCode::Unsupported, modelFolder.string(), "fine-tuning needs a checkpoint with both towers");
    if (pipeline.config().vision->isNaflex())
        throw Error(ErrorCode::Unsupported, modelFolder.string(),
                    "fine-tuning a SigLIP 2 NaFlex checkpoint is not supported yet (SigLIP 1 and SigLIP 2 FixRes are)");

    // The pairs: every catalog item whose image decodes (the others are skipped).
    std::vector<std::int64_t> ids;
    for (const auto &[id, category] : project.itemCategories())
        ids.push_back(id);
    std::vector<Pair> pairs;
    for (const Item &item : project.items(ids))
        pairs.push_back({item.image, pipeline.tokenizer().encode(item.title)});
    const ImagePreprocessor &pre = pipeline.imagePreprocessor();
    const std::size_t perImage = pre.pixelValueCount();
    // Decode and preprocess once when the pixels fit in 512 MB, else batch by batch.
    const bool cache = pairs.size() * perImage * sizeof(float) <= (std::size_t(512) << 20);
    std::vector<std::vector<float>> cached;
    std::vector<std::size_t> usable;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        try {
            const RgbImage rgb = decodeImageFile(pairs[i].image);
            if (cache) {
                std::vector<float> px(perImage);
                pre.pixelValues(rgb, px);
                cached.push_back(std::move(px));
            }
            usable.push_back(i);
        } catch (const Error &) {
            if (cache)
                cached.emplace_back();
        }
    }
    if (usable.size() < 4)
        throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
            "fine-tuning needs at least 4 items with a readable image");
    auto fill = [&](const std::vector<std::size_t> &batch, std::vector<float> &pixels,
                    std::vector<std::vector<std::int64_t>> &texts) {
        pixels.resize(batch.size() * perImage);
        texts.clear();
        for (std::size_t b = 0; b < batch.size(); ++b) {
            std::span<float> out(pixels.data() + b * perImage, perImage);
            if (cache)
                std::copy(cached[batch[b]].begin(), cached[batch[b]].end(), out.begin());
            else
                pre.pixelValues(decodeImageFile(pairs[batch[b]].image), out);
            texts.push_back(pairs[batch[b]].ids);
        }
    };

    // The seeded split.
    shuffle(usable, options.seed);
    const std::size_t validation = options.validationFraction > 0
        ? std::max<std::size_t>(
            2, static_cast<std::size_t>(std::ceil(options.validationFraction * static_cast<double>(usable.size()))))
        : 0;
    const std::vector<std::size_t> val(usable.begin(), usable.begin() + static_cast<std::ptrdiff_t>(validation));
    std::vector<std::size_t> train(usable.begin() + static_cast<std::ptrdiff_t>(validation), usable.end());
    if (train.size() < 2)
        throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
            "too few items left to train on after the validation split");
    const int batch = std::min<int>(options.batchSize, static_cast<int>(train.size()));
    const int stepsPerEpoch = static_cast<int>(train.size()) / batch; // the last partial batch is dropped

    // What a saved state must match to be continued: the base weights and every setting.
    const std::string signature = sha256OfFile(modelFolder / siglip::kWeightsFile)
        + " epochs=" + std::to_string(options.epochs) + " batch=" + std::to_string(options.batchSize)
        + " val=" + std::to_string(options.validationFraction) + " warmup=" + std::to_string(options.warmupFraction)
        + " seed=" + std::to_string(options.seed) + " lr=" + std::to_string(options.training.learningRate) + " wd="
        + std::to_string(options.training.weightDecay) + " clip=" + std::to_string(options.training.gradientClip)
        + " freezeText=" + std::to_string(options.training.freezeText) + " visionLayers="
        + std::to_string(options.training.trainableVisionLayers) + " pairs=" + std::to_string(usable.size());

    SiglipTrainingOptions training = options.training;
    training.totalSteps = stepsPerEpoch * options.epochs;
    training.warmupSteps = static_cast<int>(std::round(options.warmupFraction * training.totalSteps));
    SiglipTrainer trainer(SafetensorsFile::open(modelFolder / siglip::kWeightsFile), pipeline.config(), training);

    std::vector<float> pixels;
    std::vector<std::vector<std::int64_t>> texts;
    auto evaluate = [&](double *loss, double *recall) {
        *loss = 0;
        *recall = 0;
        if (val.size() < 2)
            return;
        int batches = 0;
        std::vector<float> allImages, allTexts;
        for (std::size_t start = 0; start < val.size(); start += static_cast<std::size_t>(batch)) {
            const std::vector<std::size_t> part(val.begin() + static_cast<std::ptrdiff_t>(start),
                val.begin()
                    + static_cast<std::ptrdiff_t>(std::min(val.size(), start + static_cast<std::size_t>(batch))));
            fill(part, pixels, texts);
            if (part.size() >= 2) {
                *loss += trainer.loss(pixels, texts);
                ++batches;
            }
            const FloatMatrix xi = trainer.embedImages(pixels, static_cast<std::int64_t>(part.size()));
            const FloatMatrix yt = trainer.embedTexts(texts);
            allImages.insert(allImages.end(), xi.data.begin(), xi.data.end());
            allTexts.insert(allTexts.end(), yt.data.begin(), yt.data.end());
        }
        *loss /= std::max(1, batches);
        const std::size_t n = val.size(), dim = allImages.size() / n;
        auto normalise = [dim](std::vector<float> &m) {
            for (std::size_t r = 0; r < m.size() / dim; ++r) {
                double s = 0;
                for (std::size_t c = 0; c < dim; ++c)
                    s += double(m[r * dim + c]) * m[r * dim + c];
                const double inv = s > 0 ? 1.0 / std::sqrt(s) : 0.0;
                for (std::size_t c = 0; c < dim; ++c)
                    m[r * dim + c] = static_cast<float>(m[r * dim + c] * inv);
            }
        };
        normalise(allImages);
        normalise(allTexts);
        int hits = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t best = 0;
            double bestScore = -2;
            for (std::size_t j = 0; j < n; ++j) {
                double dot = 0;
                for (std::size_t c = 0; c < dim; ++c)
                    dot += double(allImages[i * dim + c]) * allTexts[j * dim + c];
                if (dot > bestScore) {
                    bestScore = dot;
                    best = j;
                }
            }
            // A title shared by several items (relistings) counts as found for any of them.
            hits += pairs[val[best]].ids == pairs[val[i]].ids;
        }
        *recall = static_cast<double>(hits) / static_cast<double>(n);
    };

    FineTuneReport report;
    report.trainPairs = static_cast<int>(train.size());
    report.validationPairs = static_cast<int>(val.size());
    const fs::path partial = outFolder.parent_path() / (outFolder.filename().string() + ".partial");
    const fs::path stateFile = partial / "state.safetensors", reportFile = partial / "state.json";
    const KeepOnlyResumableState tidy{partial}; // on every way out; after success there is no partial
    int firstEpoch = 1;
    if (fs::exists(reportFile) && fs::exists(stateFile)) {
        std::ifstream in(reportFile);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const QJsonObject saved = QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
        if (saved.value(QStringLiteral("signature")).toString().toStdString() == signature) {
            try {
                trainer.loadState(stateFile);
            } catch (const std::exception &e) {
                // Damaged from outside (it is written beside and renamed): keeping it would make
                // every later run fail the same way.
                const auto *error = dynamic_cast<const Error *>(&e);
                std::error_code ec;
                fs::remove_all(partial, ec);
                throw Error(error ? error->code() : ErrorCode::MalformedHeader, stateFile.string(),
                    "the saved training state cannot be read (" + (error ? error->problem() : std::string(e.what()))
                        + "); it was removed, so the same command starts over");
            }
            report.initialValidationLoss = saved.value(QStringLiteral("initial_validation_loss")).toDouble();
            report.initialRecallAt1 = saved.value(QStringLiteral("initial_recall_at_1")).toDouble();
            for (const QJsonValue &v : saved.value(QStringLiteral("epochs")).toArray()) {
                const QJsonObject o = v.toObject();
                report.epochs.push_back(
                    {o.value(QStringLiteral("epoch")).toInt(), o.value(QStringLiteral("train_loss")).toDouble(),
                        o.value(QStringLiteral("validation_loss")).toDouble(),
                        o.value(QStringLiteral("recall_at_1")).toDouble()});
            }
            firstEpoch = static_cast<int>(report.epochs.size()) + 1;
            report.resumedAfterEpoch = firstEpoch - 1;
        }
    }
    if (firstEpoch == 1) {
        fs::remove_all(partial); // nothing to continue (or a state of other settings)
        fs::create_directories(partial);
        evaluate(&report.initialValidationLoss, &report.initialRecallAt1);
    }
    auto epochsJson = [&report] {
        QJsonArray epochs;
        for (const EpochReport &e : report.epochs)
            epochs.append(QJsonObject{{QStringLiteral("epoch"), e.epoch}, {QStringLiteral("train_loss"), e.trainLoss},
                {QStringLiteral("validation_loss"), e.validationLoss}, {QStringLiteral("recall_at_1"), e.recallAt1}});
        return epochs;
    };
    int ranThisTime = 0;
    for (int epoch = firstEpoch; epoch <= options.epochs; ++epoch) {
        if (options.stopAfterEpochs > 0 && ranThisTime == options.stopAfterEpochs) {
            report.finished = false;
            return report;
        }
        // Each epoch's order comes from the split's order and the epoch alone, so a resumed run
        // takes the same batches as an uninterrupted one.
        std::vector<std::size_t> order = train;
        shuffle(order, options.seed * 1000003 + static_cast<std::uint64_t>(epoch));
        EpochReport e;
        e.epoch = epoch;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < stepsPerEpoch; ++s) {
            if (options.cancel && options.cancel->load()) {
                report.finished = false;
                report.cancelled = true;
                return report;
            }
            const std::vector<std::size_t> part(order.begin() + s * batch, order.begin() + (s + 1) * batch);
            fill(part, pixels, texts);
            const double lr = trainer.learningRate();
            const double loss = trainer.step(pixels, texts);
            if (!std::isfinite(loss))
                diverged(epoch, s + 1, lr, "training loss");
            e.trainLoss += loss;
            if (progress) {
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                progress({epoch, options.epochs, s + 1, stepsPerEpoch, loss, lr,
                    seconds > 0 ? (s + 1) * batch / seconds : 0});
            }
        }
        e.trainLoss /= std::max(1, stepsPerEpoch);
        evaluate(&e.validationLoss, &e.recallAt1);
        // Checked before the state is saved: a diverged epoch must not become the one to continue from.
        if ((report.validationPairs > 0 && !std::isfinite(e.validationLoss)) || !trainer.weightsFinite())
            diverged(epoch, stepsPerEpoch, trainer.learningRate(), "weights");
        report.epochs.push_back(e);
        ++ranThisTime;
        // The state after this epoch, written beside and renamed: a kill leaves the previous one.
        trainer.saveState(partial / "state.safetensors.tmp");
        fs::rename(partial / "state.safetensors.tmp", stateFile);
        const QJsonObject state{{QStringLiteral("signature"), QString::fromStdString(signature)},
            {QStringLiteral("initial_validation_loss"), report.initialValidationLoss},
            {QStringLiteral("initial_recall_at_1"), report.initialRecallAt1}, {QStringLiteral("epochs"), epochsJson()}};
        writeTextFile(partial / "state.json.tmp", QJsonDocument(state).toJson().toStdString());
        fs::rename(partial / "state.json.tmp", reportFile);
    }

    // The Hugging Face folder, written beside its final place and renamed when complete. The
    // training state stays until then: a run that fails here continues from it.
    const fs::path staging = partial / "model";
    fs::remove_all(staging);
    fs::create_directories(staging);
    // Every side file the base folder has, so the result keeps its layout (the hub's, or
    // transformers 5's with processor_config.json and tokenizer.json).
    for (const char *file : {siglip::kConfigFile, siglip::kPreprocessorFile, siglip::kProcessorFile,
             siglip::kTokenizerConfigFile, siglip::kSpecialTokensFile, siglip::kSentencePieceFile,
             siglip::kGemmaSentencePieceFile, siglip::kTokenizerJsonFile})
        if (fs::exists(modelFolder / file))
            fs::copy_file(modelFolder / file, staging / file, fs::copy_options::overwrite_existing);
    trainer.saveWeights(staging / siglip::kWeightsFile);
    const QJsonArray epochs = epochsJson();
    const QJsonObject log{{QStringLiteral("base_model"), QString::fromStdString(fs::absolute(modelFolder).string())},
        {QStringLiteral("project"), QString::fromStdString(project.folder().string())},
        {QStringLiteral("train_pairs"), report.trainPairs},
        {QStringLiteral("validation_pairs"), report.validationPairs}, {QStringLiteral("epochs"), epochs},
        {QStringLiteral("batch_size"), batch}, {QStringLiteral("learning_rate"), training.learningRate},
        {QStringLiteral("weight_decay"), training.weightDecay}, {QStringLiteral("warmup_steps"), training.warmupSteps},
        {QStringLiteral("total_steps"), training.totalSteps}, {QStringLiteral("gradient_clip"), training.gradientClip},
        {QStringLiteral("freeze_text"), training.freezeText},
        {QStringLiteral("trainable_vision_layers"), training.trainableVisionLayers},
        {QStringLiteral("seed"), static_cast<qint64>(options.seed)},
        {QStringLiteral("initial_validation_loss"), report.initialValidationLoss},
        {QStringLiteral("initial_recall_at_1"), report.initialRecallAt1}};
    writeTextFile(staging / "lookalike_finetune.json", QJsonDocument(log).toJson().toStdString());
    if (fs::exists(outFolder))
        fs::remove(outFolder); // empty, checked above
    fs::rename(staging, outFolder);
    fs::remove_all(partial);
    return report;
}

} // namespace lookalike
