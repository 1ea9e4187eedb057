// `lookalike index`: parses the options, runs indexVersion (IndexVersion.h: register, embed
// resumably, build the index, freeze the lists) with a progress bar and Ctrl-C wired, and
// prints what happened - or, with --shard I/N, embeds one slice of the catalog into a shard
// folder (joined later by `lookalike merge-shards`, MergeShardsCommand.cpp).
#include "cli/Cli.h"
#include "cli/CliOutput.h"
#include "cli/Progress.h"

#include "core/Error.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/EmbeddingShards.h"
#include "core/project/IndexVersion.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

#include <atomic>
#include <csignal>
#include <optional>

namespace lookalike::cli {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int)
{
    // First Ctrl-C: finish the batch in flight and stop cleanly. Second: the default (exit now);
    // nothing is lost either way, the next run resumes from the last committed batch.
    g_interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

// Runs `embed(options)` (a whole catalog or one shard) with a progress bar and Ctrl-C / SIGTERM
// wired to options.cancel; the bar is closed and the handlers restored however it ends.
template<typename Embed>
auto embedWithProgress(EmbeddingOptions options, bool quiet, Embed &&embed)
{
    Progress progress(QStringLiteral("images"), !quiet);
    options.cancel = &g_interrupted;
    options.onProgress = [&](const EmbeddingProgress &p) {
        progress.update(p.done, p.total, p.itemsPerSecond, p.etaSeconds);
    };
    struct Handlers {
        Handlers()
        {
            std::signal(SIGINT, onInterrupt);
            std::signal(SIGTERM, onInterrupt);
        }
        ~Handlers()
        {
            std::signal(SIGINT, SIG_DFL);
            std::signal(SIGTERM, SIG_DFL);
        }
    } handlers;
    struct Finish {
        Progress &bar;
        ~Finish() { bar.finish(); }
    } finish{progress};
    return embed(options);
}

// Test hook: makes `index` fail after the new index file is written and the lists computed,
// just before the commit, to show that a late failure leaves the project as it was.
void failIfAskedBeforeCommit()
{
    if (qEnvironmentVariableIsSet("LOOKALIKE_TEST_FAIL_BEFORE_COMMIT"))
        throw Error(ErrorCode::Internal, {}, "failing before the commit as LOOKALIKE_TEST_FAIL_BEFORE_COMMIT asks");
}

} // namespace

int indexCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Embed every catalog image with a model version, build its neighbour index and freeze the result lists of "
        "the query set. Interrupt it at any time (Ctrl-C, kill): running the same command again continues where it "
        "stopped and gives the same embeddings.\n\n"
        "--model is a Hugging Face SigLIP folder, a TorchScript module (.pt, with a .json beside it), or a float32 "
        ".npy of embeddings computed elsewhere (with --ids)."));
    const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("SigLIP folder, TorchScript module or .npy file."), QStringLiteral("PATH"));
    const QCommandLineOption nameOpt(QStringLiteral("name"), QStringLiteral("Name of the model version, e.g. siglip-ft-v2."), QStringLiteral("NAME"));
    const QCommandLineOption kindOpt(QStringLiteral("kind"), QStringLiteral("siglip, torchscript or precomputed (default: from --model)."), QStringLiteral("KIND"));
    const QCommandLineOption idsOpt(QStringLiteral("ids"), QStringLiteral("For a .npy: the catalog id of each row, one per line."), QStringLiteral("FILE"));
    const QCommandLineOption indexOpt(QStringLiteral("index"), QStringLiteral("exact (default), hnsw or ivfpq."), QStringLiteral("KIND"), QStringLiteral("exact"));
    const QCommandLineOption recallOpt(QStringLiteral("check-recall"), QStringLiteral("Report recall@10 of an approximate index against exact search."));
    const QCommandLineOption batchOpt(QStringLiteral("batch-size"), QStringLiteral("Images per forward pass (default 32)."), QStringLiteral("N"), QStringLiteral("32"));
    const QCommandLineOption threadsOpt(QStringLiteral("threads"), QStringLiteral("Model threads (default: one per core)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption workersOpt(QStringLiteral("workers"), QStringLiteral("Image decoding threads (default: one per core)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption limitOpt(QStringLiteral("limit"), QStringLiteral("Embed at most N more images in this run (whole batches)."), QStringLiteral("N"));
    const QCommandLineOption retryOpt(QStringLiteral("retry-failed"), QStringLiteral("Try again the images that failed before."));
    const QCommandLineOption depthOpt(QStringLiteral("depth"), QStringLiteral("Depth of the frozen result lists (default 10)."), QStringLiteral("K"));
    const QCommandLineOption refreezeOpt(QStringLiteral("refreeze"), QStringLiteral("Recompute the frozen result lists of every query."));
    const QCommandLineOption dupOpt(QStringLiteral("exclude-duplicates"), QStringLiteral("Leave items with the same embedding as the query (within 1e-4: the same photo) out of its list."));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No progress output."));
    const QCommandLineOption shardOpt(QStringLiteral("shard"),
        QStringLiteral("Embed only shard I of N (0 <= I < N) of the catalog into a shard folder; no index, no lists. "
                       "Join the N shards with `lookalike merge-shards`. 'auto' (with --shards N) takes I from "
                       "SLURM_ARRAY_TASK_ID (Slurm job arrays) or JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)."),
        QStringLiteral("I/N|auto"));
    const QCommandLineOption shardsOpt(QStringLiteral("shards"), QStringLiteral("With --shard auto: the number of shards N."),
                                       QStringLiteral("N"));
    const QCommandLineOption outOpt(QStringLiteral("out"),
        QStringLiteral("With --shard: the shard folder to write (default PROJECT/shards/NAME-I-of-N)."), QStringLiteral("DIR"));
    const QCommandLineOption precisionOpt(QStringLiteral("precision"),
        QStringLiteral("SigLIP: auto (default: bf16 where the CPU has AVX512-BF16 or AMX, else fp32; an existing version "
                       "keeps its own), fp32 (Hugging Face's numbers) or bf16 (the encoders' matrix products in bfloat16, "
                       "about 2.4x faster on such CPUs, embeddings within cosine 0.999). Recorded with the version: a "
                       "version is never continued in the other precision."),
        QStringLiteral("P"), QStringLiteral("auto"));
    parser.addOptions({modelOpt, nameOpt, kindOpt, idsOpt, indexOpt, recallOpt, batchOpt, threadsOpt, workersOpt,
                       limitOpt, retryOpt, depthOpt, refreezeOpt, dupOpt, quietOpt, shardOpt, shardsOpt, outOpt, precisionOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(modelOpt) || !parser.isSet(nameOpt)) {
        printError(QStringLiteral("index needs --model PATH and --name NAME"));
        return UsageError;
    }
    const auto batch = intOption(parser, QStringLiteral("batch-size"), 1, 1 << 20);
    const auto threads = intOption(parser, QStringLiteral("threads"), 0, kMaxThreads);
    const auto workers = intOption(parser, QStringLiteral("workers"), 0, kMaxThreads);
    if (!batch || !threads || !workers)
        return UsageError;
    std::optional<long long> limit, depthValue;
    if (parser.isSet(limitOpt) && !(limit = intOption(parser, QStringLiteral("limit"), 0)))
        return UsageError;
    if (parser.isSet(depthOpt) && !(depthValue = intOption(parser, QStringLiteral("depth"), 1)))
        return UsageError;

    std::optional<Precision> precision; // nullopt: auto
    try {
        precision = parsePrecisionChoice(parser.value(precisionOpt).toStdString());
    } catch (const Error &e) {
        printError(QString::fromUtf8(e.what()));
        return UsageError;
    }

    const bool autoShard = parser.isSet(shardOpt) && parser.value(shardOpt) == QLatin1String("auto");
    std::optional<long long> shardCount;
    if (autoShard != parser.isSet(shardsOpt)) {
        printError(autoShard ? QStringLiteral("--shard auto needs --shards N (the job array's size)")
                             : QStringLiteral("--shards N goes with --shard auto (or give --shard I/N)"));
        return UsageError;
    }
    if (autoShard && !(shardCount = intOption(parser, QStringLiteral("shards"), 1, 1000000)))
        return UsageError;
    if (parser.isSet(shardOpt) && (limit || parser.isSet(retryOpt))) {
        printError(QStringLiteral("--shard embeds its whole slice in one run: no --limit or --retry-failed"));
        return UsageError;
    }

    // What a failure leaves behind, for the error line: it changes as the command goes on.
    QString state = QStringLiteral("the project is unchanged");
    const auto body = [&]() -> int {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const fs::path source = parser.value(modelOpt).toStdString();
        const ModelKind kind = parser.isSet(kindOpt) ? parseModelKind(parser.value(kindOpt).toStdString())
                                                     : detectModelKind(source);
        IndexOptions indexOptions;
        indexOptions.kind = parseIndexKind(parser.value(indexOpt).toStdString());
        const bool quiet = parser.isSet(quietOpt);

        if (parser.isSet(shardOpt)) {
            std::string from;
            const ShardSpec spec = autoShard ? shardFromEnvironment(static_cast<int>(*shardCount), &from)
                                             : parseShardSpec(parser.value(shardOpt).toStdString());
            if (autoShard) // said even with --quiet: the log of a cluster job shows which slice it embedded
                printOut(QStringLiteral("shard %1 (from %2)\n")
                             .arg(QString::fromStdString(shardLabel(spec.index, spec.count)), QString::fromStdString(from)));
            if (kind == ModelKind::Precomputed)
                throw Error(ErrorCode::InvalidArgument, source.string(),
                            "precomputed embeddings are imported whole; --shard is for models that embed images");
            const std::string name = parser.value(nameOpt).toStdString();
            const fs::path folder = parser.isSet(outOpt)
                ? fs::path(parser.value(outOpt).toStdString())
                : project.folder() / "shards" / (name + "-" + std::to_string(spec.index) + "-of-" + std::to_string(spec.count));
            // Nothing is registered or written in the project: the shard folder is the whole output.
            const OpenedModel model = openModelVersion(name, kind, source, static_cast<int>(*threads),
                                                       static_cast<int>(*batch), fingerprintNotice(quiet),
                                                       resolvePrecision(project, name, kind, precision));
            if (!quiet)
                printOut(QStringLiteral("embedding: %1, batches of %2\n")
                             .arg(QString::fromStdString(model.encoder->schedule()))
                             .arg(*batch));
            EmbeddingOptions options;
            options.batchSize = static_cast<int>(*batch);
            options.workers = static_cast<int>(*workers);
            const ShardEmbedReport report = embedWithProgress(options, quiet, [&](const EmbeddingOptions &o) {
                return embedShard(project, model.candidate, *model.encoder, spec, folder, o);
            });
            if (report.summary.interrupted) {
                printOut(QStringLiteral("interrupted: shard %1 was not written; run the same command again to embed it\n")
                             .arg(QString::fromStdString(shardLabel(spec.index, spec.count))));
                return 130;
            }
            printOut(QStringLiteral("shard %1: %2 of %3 catalog items, %4 embedded, %5 failed, in %6\nwrote %7\n"
                                    "join the shards with: lookalike merge-shards PROJECT --model MODEL --name %8 SHARD_FOLDER...\n")
                         .arg(QString::fromStdString(shardLabel(spec.index, spec.count)))
                         .arg(report.items)
                         .arg(project.itemCount())
                         .arg(report.summary.embeddedThisRun)
                         .arg(report.summary.failedTotal)
                         .arg(Progress::formatDuration(report.summary.seconds))
                         .arg(QString::fromStdString(folder.string()), QString::fromStdString(name)));
            return int(Success);
        }

        IndexVersionRequest request;
        request.name = parser.value(nameOpt).toStdString();
        request.kind = kind;
        request.source = source;
        if (kind == ModelKind::Precomputed) {
            if (!parser.isSet(idsOpt)) {
                printError(QStringLiteral("a .npy of precomputed embeddings needs --ids FILE"));
                return int(UsageError);
            }
            request.ids = parser.value(idsOpt).toStdString();
        }
        request.threads = static_cast<int>(*threads);
        request.precision = precision; // auto: resolvePrecision; bf16 asked of another kind is refused by name
        request.embedding.batchSize = static_cast<int>(*batch);
        request.embedding.workers = static_cast<int>(*workers);
        request.embedding.limit = limit ? *limit : -1;
        request.embedding.retryFailed = parser.isSet(retryOpt);
        request.index = indexOptions;
        request.checkRecall = parser.isSet(recallOpt);
        if (depthValue)
            request.depth = static_cast<int>(*depthValue);
        request.refreeze = parser.isSet(refreezeOpt);
        request.excludeDuplicates = parser.isSet(dupOpt);
        request.beforeFingerprint = fingerprintNotice(quiet);
        request.beforeCommit = failIfAskedBeforeCommit;
        request.onRegistered = [&](const ModelVersion &, const std::string &schedule) {
            if (!quiet && !schedule.empty()) // what was chosen without being asked
                printOut(QStringLiteral("embedding: %1, batches of %2\n").arg(QString::fromStdString(schedule)).arg(*batch));
            state = QStringLiteral("the index and the result lists are unchanged; batches embedded before the failure "
                                   "are kept and the next run continues from them");
        };
        request.aroundEmbedding = [&](const IndexVersionRequest::EmbedStep &run) {
            return embedWithProgress(request.embedding, quiet, run);
        };
        const IndexVersionReport r = indexVersion(project, request);

        const ModelVersion &version = r.version;
        QString out = QStringLiteral("model version '%1' (%2, %3 dimensions, sha256 %4...)\n")
                          .arg(QString::fromStdString(version.name), QString::fromLatin1(modelKindName(version.kind)))
                          .arg(version.dimension)
                          .arg(QString::fromStdString(version.fingerprint.substr(0, 12)));
        if (r.imported) {
            if (r.imported->alreadyImported)
                out += QStringLiteral("embeddings already imported\n");
            else
                out += QStringLiteral("imported %1 embeddings; %2 ids not in the catalog%3; %4 catalog items have none\n")
                           .arg(r.imported->imported)
                           .arg(r.imported->unknownIds)
                           .arg(r.imported->unknownExamples.empty()
                                    ? QString()
                                    : QStringLiteral(" (e.g. %1)").arg(QString::fromStdString(r.imported->unknownExamples.front())))
                           .arg(r.imported->catalogItemsWithout);
        }
        if (r.embedded) {
            const EmbeddingSummary &summary = *r.embedded;
            out += QStringLiteral("embedded %1 images in %2 (%3 images/s); %4 embedded in all, %5 failed\n")
                       .arg(summary.embeddedThisRun)
                       .arg(Progress::formatDuration(summary.seconds))
                       .arg(summary.seconds > 0 ? summary.embeddedThisRun / summary.seconds : 0.0, 0, 'f', 1)
                       .arg(summary.embeddedTotal)
                       .arg(summary.failedTotal);
            for (std::size_t i = 0; i < std::min<std::size_t>(5, summary.failuresThisRun.size()); ++i)
                out += QStringLiteral("  failed: %1\n").arg(QString::fromStdString(summary.failuresThisRun[i].reason));
            if (summary.failuresThisRun.size() > 5)
                out += QStringLiteral("  ... and %1 more (retry them with --retry-failed)\n").arg(summary.failuresThisRun.size() - 5);
            if (!r.complete) {
                out += QStringLiteral("%1: %2 images still to embed; run the same command again to continue\n")
                           .arg(summary.interrupted ? QStringLiteral("interrupted") : QStringLiteral("stopped at --limit"))
                           .arg(summary.pending);
                printOut(out);
                return summary.interrupted ? 130 : int(Success);
            }
        }
        if (r.indexFailure) {
            printOut(out);
            printError(QStringLiteral("%1 (the index and the result lists are unchanged; the embeddings are kept)")
                           .arg(QString::fromStdString(*r.indexFailure)));
            return int(Failure);
        }
        const IndexBuildReport &built = r.indexed->built;
        out += QStringLiteral("built %1 index over %2 embeddings in %3")
                   .arg(QString::fromLatin1(indexKindName(built.kind)))
                   .arg(built.rows)
                   .arg(Progress::formatDuration(built.seconds));
        if (built.recallAt10)
            out += QStringLiteral("; recall@10 against exact search: %1").arg(*built.recallAt10, 0, 'f', 3);
        out += QLatin1Char('\n');
        const FreezeReport &frozen = r.indexed->frozen;
        out += QStringLiteral("result lists: %1 frozen at depth %2, %3 already frozen%4\n")
                   .arg(frozen.frozen)
                   .arg(r.depth)
                   .arg(frozen.alreadyFrozen)
                   .arg(frozen.notEmbedded ? QStringLiteral(", %1 queries have no embedding").arg(frozen.notEmbedded)
                                           : QString());
        if (project.queryItemIds().empty())
            out += QStringLiteral("no queries yet: add some with `lookalike queries PROJECT --sample N`\n");
        printOut(out);
        return int(Success);
    };
    return guarded([&]() -> int {
        try {
            return body();
        } catch (const std::exception &e) {
            printError(QStringLiteral("%1 (%2)").arg(QString::fromStdString(oneLineMessage(e)), state));
            return int(Failure);
        }
    });
}

} // namespace lookalike::cli
