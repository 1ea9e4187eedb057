// `lookalike merge-shards`: recording the shard folders of `index --shard I/N` as a version's
// embeddings (core: mergeShardsIntoVersion).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/EmbeddingShards.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

#include <filesystem>
#include <vector>

namespace lookalike::cli {

namespace fs = std::filesystem;

int mergeShardsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Record the shard folders written by `lookalike index --shard I/N` (on this or other machines) as the "
        "embeddings of a model version, after checking that all N shards are there, were made with the same model "
        "(fingerprint) and together embed every catalog item exactly once. All or nothing: on any problem the "
        "project is left unchanged. Then run `lookalike index` with the same --model and --name to build the index "
        "and freeze the result lists (nothing is embedded again)."));
    const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("The SigLIP folder or TorchScript module the shards were embedded with."), QStringLiteral("PATH"));
    const QCommandLineOption nameOpt(QStringLiteral("name"), QStringLiteral("Name of the model version."), QStringLiteral("NAME"));
    const QCommandLineOption kindOpt(QStringLiteral("kind"), QStringLiteral("siglip or torchscript (default: from --model)."), QStringLiteral("KIND"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("No progress output."));
    parser.addOptions({modelOpt, nameOpt, kindOpt, quietOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT"), QStringLiteral("SHARD...")}, {}, true,
                                       {QString(), QStringLiteral("The N shard folders.")}))
        return *status;
    const QStringList positional = parser.positionalArguments();
    if (!parser.isSet(modelOpt) || !parser.isSet(nameOpt)) {
        printError(QStringLiteral("merge-shards needs --model PATH and --name NAME"));
        return UsageError;
    }

    return guarded([&]() -> int {
        Project project = Project::open(positional.at(0).toStdString());
        const fs::path source = parser.value(modelOpt).toStdString();
        try {
            const ModelKind kind = parser.isSet(kindOpt) ? parseModelKind(parser.value(kindOpt).toStdString())
                                                         : detectModelKind(source);
            if (kind == ModelKind::Precomputed)
                throw Error(ErrorCode::InvalidArgument, source.string(),
                            "precomputed embeddings are imported whole with `lookalike index`, not sharded");
            std::vector<fs::path> folders;
            for (qsizetype i = 1; i < positional.size(); ++i)
                folders.emplace_back(positional.at(i).toStdString());
            // The shards say the precision they were embedded in (index --shard records it); the
            // merged version takes it. Shards of mixed precisions are refused by mergeShards.
            const Precision precision = folders.empty() ? Precision::Fp32 : configPrecision(readShard(folders.front()).modelConfig);
            const OpenedModel model = openModelVersion(parser.value(nameOpt).toStdString(), kind, source, 1, 1,
                                                       fingerprintNotice(parser.isSet(quietOpt)), precision);
            const ShardMergeReport report = mergeShardsIntoVersion(project, model.candidate, folders);
            const ModelVersion &version = model.candidate;
            printOut(QStringLiteral("merged %1 shards into model version '%2': %3 embedded, %4 failed\n"
                                    "next: lookalike index PROJECT --model %5 --name %2 (builds the index, embeds nothing)\n")
                         .arg(report.shards)
                         .arg(QString::fromStdString(version.name))
                         .arg(report.embedded)
                         .arg(report.failed)
                         .arg(QString::fromStdString(source.string())));
            return int(Success);
        } catch (const std::exception &e) {
            printError(QStringLiteral("%1 (nothing merged; the project is unchanged)").arg(QString::fromStdString(oneLineMessage(e))));
            return int(Failure);
        }
    });
}

} // namespace lookalike::cli
