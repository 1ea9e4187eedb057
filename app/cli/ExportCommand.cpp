// `lookalike export`: TREC qrels and run files (checkable with trec_eval).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/project/TrecInterchange.h"

#include <QCommandLineParser>

namespace lookalike::cli {

int exportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the project's judgments as TREC qrels (the grade the metrics use, per pair) and every model version's "
        "frozen result lists as TREC run files, so that trec_eval -m ndcg_cut.5 -m P.1 qrels-NAME.txt run-NAME.txt gives "
        "what lookalike eval reports (with -l T when the project's relevance threshold T is not 1; the command is "
        "printed). qrels-NAME.txt holds the judged pairs of the queries that version has lists for, which trec_eval 10 "
        "requires; qrels.txt holds every judged pair. The run's score column is n + 1 - rank, which makes trec_eval "
        "rank exactly as Lookalike does."));
    const QCommandLineOption outOpt(
        QStringLiteral("out"), QStringLiteral("Folder to write qrels.txt, run-NAME.txt and qrels-NAME.txt to."), QStringLiteral("DIR"));
    const QCommandLineOption modelsOpt(QStringLiteral("models"),
        QStringLiteral("Versions to export, comma-separated (default: all)."), QStringLiteral("A,B"));
    parser.addOptions({outOpt, modelsOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(outOpt)) {
        printError(QStringLiteral("export needs --out DIR"));
        return UsageError;
    }
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        std::vector<ModelVersion> versions;
        if (parser.isSet(modelsOpt))
            for (const QString &name : parser.value(modelsOpt).split(QLatin1Char(','), Qt::SkipEmptyParts))
                versions.push_back(requireModelVersion(project, name.trimmed().toStdString()));
        else
            versions = modelVersions(project);
        const TrecExportReport r = exportTrecFiles(project, parser.value(outOpt).toStdString(), versions);
        QString report = QStringLiteral("%1: %2 judged pairs of %3 queries\n")
                             .arg(QString::fromStdString(r.qrelsFile.string()))
                             .arg(r.judgedPairs)
                             .arg(r.judgedQueries);
        for (const TrecVersionExport &v : r.versions)
            report += QStringLiteral("%1: %2 result lists of %3\n%4: %5 judged pairs of those queries\n  check: %6\n")
                          .arg(QString::fromStdString(v.runFile.string()))
                          .arg(v.lists)
                          .arg(QString::fromStdString(v.version), QString::fromStdString(v.qrelsFile.string()))
                          .arg(v.judgedPairs)
                          .arg(QString::fromStdString(v.command));
        printOut(report);
        return int(Success);
    });
}

} // namespace lookalike::cli
