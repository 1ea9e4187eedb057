// `lookalike finetune`: fine-tune a SigLIP checkpoint on a project's image-title pairs with the
// sigmoid loss and write a Hugging Face folder that `lookalike index` (and transformers) load.
#include "core/Error.h"
#include "cli/Cli.h"
#include "cli/CliOutput.h"
#include "cli/Progress.h"

#include "core/checkpoint/SiglipConfig.h"
#include "core/project/FineTuneJob.h"
#include "core/project/Project.h"
#include "core/util/RegularFile.h"

#include <QCommandLineParser>
#include <QFile>

#include <atomic>
#include <csignal>
#include <filesystem>

namespace lookalike::cli {

namespace {

// Ctrl-C (or SIGTERM) asks the training loop to stop before its next step; a second one kills.
std::atomic<bool> interrupted{false};

extern "C" void onFinetuneInterrupt(int signal)
{
    interrupted.store(true);
    std::signal(signal, SIG_DFL);
}

// What a run that ends without its model leaves, for the one-line message.
QString leftBehind(const QString &out)
{
    QString text = QStringLiteral("nothing was written to %1 and the project is unchanged").arg(out);
    if (QFile::exists(out + QStringLiteral(".partial/state.json")))
        text += QStringLiteral("; the state after the last completed epoch is kept in %1.partial, and the same "
                               "command continues from it")
                    .arg(out);
    return text;
}

} // namespace

int finetuneCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fine-tune a SigLIP checkpoint on the project's catalog (each item's image and title are a matching pair) with "
        "the SigLIP pairwise sigmoid loss, AdamW, warm-up and cosine decay, and gradient clipping. A seeded held-out "
        "split "
        "reports validation loss and image-to-text recall@1 after each epoch. Writes a Hugging Face folder to --out. "
        "An interrupted run continues from its last completed epoch when the same command is run again."));
    const QCommandLineOption modelOpt(QStringLiteral("model"),
        QStringLiteral("The checkpoint to start from (a Hugging Face SigLIP folder)."), QStringLiteral("DIR"));
    const QCommandLineOption outOpt(QStringLiteral("out"),
        QStringLiteral("Where to write the fine-tuned checkpoint (must not exist, or be empty)."),
        QStringLiteral("DIR"));
    const QCommandLineOption epochsOpt(QStringLiteral("epochs"),
        QStringLiteral("Passes over the training pairs (default 3)."), QStringLiteral("N"), QStringLiteral("3"));
    const QCommandLineOption batchOpt(QStringLiteral("batch-size"), QStringLiteral("Pairs per step (default 32)."),
        QStringLiteral("N"), QStringLiteral("32"));
    const QCommandLineOption lrOpt(QStringLiteral("lr"), QStringLiteral("Peak learning rate (default 1e-4)."),
        QStringLiteral("RATE"), QStringLiteral("1e-4"));
    const QCommandLineOption wdOpt(QStringLiteral("weight-decay"), QStringLiteral("AdamW weight decay (default 1e-4)."),
        QStringLiteral("W"), QStringLiteral("1e-4"));
    const QCommandLineOption warmupOpt(QStringLiteral("warmup"),
        QStringLiteral("Share of the steps spent warming up (default 0.1)."), QStringLiteral("F"),
        QStringLiteral("0.1"));
    const QCommandLineOption clipOpt(QStringLiteral("clip"),
        QStringLiteral("Gradient norm clip, 0 for none (default 1)."), QStringLiteral("C"), QStringLiteral("1"));
    const QCommandLineOption valOpt(QStringLiteral("validation"),
        QStringLiteral("Share of the pairs held out (default 0.1)."), QStringLiteral("F"), QStringLiteral("0.1"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"),
        QStringLiteral("Seed of the split and the batch order (default 1)."), QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption freezeTextOpt(
        QStringLiteral("freeze-text"), QStringLiteral("Do not train the text tower."));
    const QCommandLineOption visionLayersOpt(QStringLiteral("train-vision-layers"),
        QStringLiteral("Train only the last N vision layers (and the head)."), QStringLiteral("N"));
    const QCommandLineOption threadsOpt(QStringLiteral("threads"),
        QStringLiteral("LibTorch threads (default: one per core)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption scratchOpt(QStringLiteral("from-scratch"),
        QStringLiteral(
            "Train a new model instead of --model: CONFIG is a Hugging Face SigLIP config.json (a file, or the JSON "
            "itself; missing keys take transformers' defaults). Its vocabulary is trained on the catalog's titles."),
        QStringLiteral("CONFIG"));
    const QCommandLineOption stopOpt(QStringLiteral("stop-after"),
        QStringLiteral("Stop after N epochs of this run; the same command continues later."), QStringLiteral("N"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No progress bar."));
    parser.addOptions({modelOpt, outOpt, epochsOpt, batchOpt, lrOpt, wdOpt, warmupOpt, clipOpt, valOpt, seedOpt,
        freezeTextOpt, visionLayersOpt, threadsOpt, scratchOpt, stopOpt, quietOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (parser.isSet(modelOpt) == parser.isSet(scratchOpt) || !parser.isSet(outOpt)) {
        printError(QStringLiteral("finetune needs --out DIR and one of --model DIR or --from-scratch CONFIG"));
        return UsageError;
    }
    FineTuneOptions options;
    const auto epochs = intOption(parser, QStringLiteral("epochs"), 1);
    const auto batch = intOption(parser, QStringLiteral("batch-size"), 2);
    const auto seed = intOption(parser, QStringLiteral("seed"), 0);
    const auto threads = intOption(parser, QStringLiteral("threads"), 0, kMaxThreads);
    if (!epochs || !batch || !seed || !threads)
        return UsageError;
    options.epochs = static_cast<int>(*epochs);
    options.batchSize = static_cast<int>(*batch);
    options.seed = static_cast<std::uint64_t>(*seed);
    options.threads = static_cast<int>(*threads);
    auto real = [&](const QCommandLineOption &opt, double low, double high, double *out) {
        const std::optional<double> v = realOption(parser, opt.names().first(), low, high);
        if (v)
            *out = *v;
        return v.has_value();
    };
    if (!real(lrOpt, 1e-9, 1.0, &options.training.learningRate) || !real(wdOpt, 0, 1, &options.training.weightDecay)
        || !real(warmupOpt, 0, 1, &options.warmupFraction) || !real(clipOpt, 0, 1e6, &options.training.gradientClip)
        || !real(valOpt, 0, 0.9, &options.validationFraction))
        return UsageError;
    options.training.freezeText = parser.isSet(freezeTextOpt);
    if (parser.isSet(stopOpt)) {
        const auto stop = intOption(parser, QStringLiteral("stop-after"), 1);
        if (!stop)
            return UsageError;
        options.stopAfterEpochs = static_cast<int>(*stop);
    }
    if (parser.isSet(visionLayersOpt)) {
        const auto layers = intOption(parser, QStringLiteral("train-vision-layers"), 0);
        if (!layers)
            return UsageError;
        options.training.trainableVisionLayers = static_cast<int>(*layers);
    }

    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        std::filesystem::path base = parser.value(modelOpt).toStdString();
        if (parser.isSet(scratchOpt)) {
            // The config: a file, or the JSON given inline.
            QString json = parser.value(scratchOpt);
            QString source = QStringLiteral("--from-scratch");
            const bool inline_ = json.trimmed().startsWith(QLatin1Char('{'));
            if (!inline_ && QFile::exists(json))
                requireRegularFile(json.toStdString(), kJsonSettingsLimit);
            if (QFile file(json); !inline_ && file.open(QIODevice::ReadOnly)) {
                source = json;
                json = QString::fromUtf8(file.readAll());
            }
            const SiglipConfig config = SiglipConfig::fromJson(json.toStdString(), source.toStdString());
            base = parser.value(outOpt).toStdString() + ".scratch";
            std::filesystem::remove_all(base);
            try {
                writeScratchCheckpoint(project, config, base, options.seed);
            } catch (const std::exception &e) {
                std::filesystem::remove_all(base); // never a half-made starting model
                printError(QString::fromStdString(oneLineMessage(e)) + QStringLiteral(" (") + leftBehind(parser.value(outOpt))
                    + QLatin1Char(')'));
                return int(Failure);
            }
            if (!parser.isSet(quietOpt))
                printOut(QStringLiteral("a new model with a vocabulary trained on the catalog's titles: %1\n")
                             .arg(QString::fromStdString(base.string())));
        }
        Progress bar(QStringLiteral("steps"), !parser.isSet(quietOpt));
        const auto start = std::chrono::steady_clock::now();
        auto onProgress = [&](const FineTuneProgress &p) {
            const std::int64_t done = static_cast<std::int64_t>(p.epoch - 1) * p.stepsPerEpoch + p.step;
            const std::int64_t total = static_cast<std::int64_t>(p.epochs) * p.stepsPerEpoch;
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double rate = seconds > 0 ? done / seconds : 0;
            bar.update(done, total, rate, rate > 0 ? (total - done) / rate : -1,
                QStringLiteral("epoch %1/%2  loss %3  lr %4  %5 pairs/s")
                    .arg(p.epoch)
                    .arg(p.epochs)
                    .arg(p.loss, 0, 'f', 4)
                    .arg(p.learningRate, 0, 'g', 3)
                    .arg(p.pairsPerSecond, 0, 'f', 1));
        };
        options.cancel = &interrupted;
        std::signal(SIGINT, onFinetuneInterrupt);
        std::signal(SIGTERM, onFinetuneInterrupt);
        FineTuneReport report;
        try {
            report = fineTune(project, base, parser.value(outOpt).toStdString(), options, onProgress);
        } catch (const std::exception &e) {
            bar.finish();
            if (parser.isSet(scratchOpt))
                std::filesystem::remove_all(base); // made again by the next run
            printError(QString::fromStdString(oneLineMessage(e)) + QStringLiteral(" (") + leftBehind(parser.value(outOpt))
                + QLatin1Char(')'));
            return int(Failure);
        }
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        bar.finish();
        if (report.cancelled) {
            if (parser.isSet(scratchOpt))
                std::filesystem::remove_all(base);
            printError(QStringLiteral("cancelled after %1 completed epochs of %2: %3")
                           .arg(report.epochs.size())
                           .arg(options.epochs)
                           .arg(leftBehind(parser.value(outOpt))));
            return 130; // the shell's status for an interrupted command
        }
        QString out
            = QStringLiteral("%1 training pairs, %2 held out\n").arg(report.trainPairs).arg(report.validationPairs);
        if (report.resumedAfterEpoch > 0)
            out += QStringLiteral("continued an interrupted run after epoch %1\n").arg(report.resumedAfterEpoch);
        TextTable table({QStringLiteral("epoch"), QStringLiteral("train loss"), QStringLiteral("validation loss"),
            QStringLiteral("recall@1")});
        table.addRow({QStringLiteral("start"), QStringLiteral("-"),
            QString::number(report.initialValidationLoss, 'f', 4), QString::number(report.initialRecallAt1, 'f', 3)});
        for (const EpochReport &e : report.epochs)
            table.addRow({QString::number(e.epoch), QString::number(e.trainLoss, 'f', 4),
                QString::number(e.validationLoss, 'f', 4), QString::number(e.recallAt1, 'f', 3)});
        out += table.render();
        if (report.finished && parser.isSet(scratchOpt))
            std::filesystem::remove_all(base); // its config and vocabulary are in the output now
        if (report.finished)
            out += QStringLiteral("wrote %1\n").arg(parser.value(outOpt));
        else
            out += QStringLiteral("stopped after epoch %1 of %2; run the same command again to continue\n")
                       .arg(report.epochs.size())
                       .arg(options.epochs);
        printOut(out);
        return int(Success);
    });
}

} // namespace lookalike::cli
