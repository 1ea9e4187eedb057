// `lookalike models`: the project's model versions, their embeddings and indexes.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/EmbeddingStore.h"
#include "core/project/ModelIndex.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

#include <optional>

namespace lookalike::cli {

int modelsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the project's model versions."));
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const auto versions = modelVersions(project);
        if (versions.empty()) {
            printOut(QStringLiteral("no model versions yet; add one with `lookalike index`\n"));
            return int(Success);
        }
        QString out = QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                          .arg(QStringLiteral("name").leftJustified(20), QStringLiteral("kind").leftJustified(11),
                               QStringLiteral("dim").rightJustified(5), QStringLiteral("embedded").rightJustified(9),
                               QStringLiteral("failed").rightJustified(6), QStringLiteral("index").leftJustified(6),
                               QStringLiteral("fingerprint"));
        for (const ModelVersion &v : versions) {
            const EmbeddingCounts counts = embeddingCounts(project, v);
            const std::optional<std::string> index = recordedIndexKind(project, v);
            out += QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                       .arg(QString::fromStdString(v.name).leftJustified(20),
                            (QString::fromLatin1(modelKindName(v.kind))
                             + (versionPrecision(v) == Precision::Bf16 ? QStringLiteral(" bf16") : QString()))
                                .leftJustified(11))
                       .arg(v.dimension > 0 ? QString::number(v.dimension) : QStringLiteral("-"), 5)
                       .arg(counts.embedded, 9)
                       .arg(counts.failed, 6)
                       .arg(QString::fromStdString(index.value_or("-")).leftJustified(6),
                            QString::fromStdString(v.fingerprint.substr(0, 12)));
        }
        printOut(out);
        return int(Success);
    });
}

} // namespace lookalike::cli
