// `lookalike import-run`: a version from another system's result lists (TREC run, CSV, JSON Lines).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/RunImport.h"

#include <QCommandLineParser>
#include <QFile>

namespace lookalike::cli {

int importRunCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Register a model version whose frozen lists come from another system's result lists, for instance the "
        "production recommender's top-k for the query set. RUN_FILE is a TREC run (qid Q0 docid rank score tag; "
        "ordered as trec_eval orders it: score descending, then docid descending), or by extension a CSV (.csv, "
        "header query_id,candidate_id,rank[,score]) or JSON Lines file (.jsonl, .ndjson; the same keys), ordered by "
        "rank. Lists are cut to the project's result depth. Lines that cannot be used (malformed, ids not in the "
        "catalog, queries not in the query set, a candidate twice, a query as its own candidate) are skipped and "
        "reported with their line numbers (all of them in PROJECT/run-import-report.txt); with --strict any such line "
        "makes the import fail and nothing is imported. Importing the same file under the same name again changes "
        "nothing. The version has no embeddings: it cannot embed, search or appear on the map."));
    const QCommandLineOption nameOpt(
        QStringLiteral("name"), QStringLiteral("The model version's name."), QStringLiteral("NAME"));
    const QCommandLineOption strictOpt(
        QStringLiteral("strict"), QStringLiteral("Fail, importing nothing, if any line cannot be used."));
    parser.addOptions({nameOpt, strictOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT"), QStringLiteral("RUN_FILE")}))
        return *status;
    if (!parser.isSet(nameOpt)) {
        printError(QStringLiteral("import-run needs --name NAME"));
        return UsageError;
    }
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        RunImportRequest request;
        request.file = parser.positionalArguments().at(1).toStdString();
        request.name = parser.value(nameOpt).toStdString();
        request.strict = parser.isSet(strictOpt);
        const RunImportReport r = importRun(project, request);

        QString text = QStringLiteral("%1: %2 lists (%3 candidates) from %4 lines of a %5 file, frozen at depth %6\n")
                           .arg(QString::fromStdString(r.version.name))
                           .arg(r.lists)
                           .arg(r.entries)
                           .arg(r.lines)
                           .arg(QString::fromLatin1(runFileFormatName(r.format)))
                           .arg(r.depth);
        if (r.cut > 0)
            text += QStringLiteral("%1 candidates beyond rank %2 were left out\n").arg(r.cut).arg(r.depth);
        if (!r.scores)
            text += QStringLiteral("the file has no scores: the lists keep its ranks, with score 0\n");
        if (r.queriesWithoutList > 0)
            text += QStringLiteral("%1 queries of the query set have no list in the file (left out of this version's "
                                   "metrics)\n")
                        .arg(r.queriesWithoutList);
        const QString reportFile = QString::fromStdString((project.folder() / "run-import-report.txt").string());
        if (!r.problems.empty()) {
            text += QStringLiteral("%1 lines skipped:\n").arg(r.problems.size());
            constexpr std::size_t kShown = 10;
            for (std::size_t i = 0; i < r.problems.size() && i < kShown; ++i)
                text += QStringLiteral("  line %1: %2\n")
                            .arg(r.problems[i].line)
                            .arg(QString::fromStdString(r.problems[i].reason));
            if (r.problems.size() > kShown)
                text += QStringLiteral("  and %1 more\n").arg(r.problems.size() - kShown);
            QString all = QStringLiteral("# lookalike import-run %1: lines skipped\n")
                              .arg(QString::fromStdString(request.file.string()));
            for (const RunFileProblem &p : r.problems)
                all += QStringLiteral("line %1\t%2\n").arg(p.line).arg(QString::fromStdString(p.reason));
            QFile f(reportFile);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(all.toUtf8()) < 0)
                throw Error(ErrorCode::FileUnreadable, reportFile.toStdString(), "cannot write the report");
            text += QStringLiteral("every skipped line: %1\n").arg(reportFile);
        } else {
            QFile::remove(reportFile);
        }
        printOut(text);
        return int(Success);
    });
}

} // namespace lookalike::cli
