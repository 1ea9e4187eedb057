// `lookalike import-qrels`: grades from other tools (TREC qrels), recorded as one rater's.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/TrecInterchange.h"

#include <QCommandLineParser>
#include <QFile>

namespace lookalike::cli {

namespace {

QString listSome(const std::vector<std::string> &ids, std::size_t shown = 10)
{
    QStringList out;
    for (std::size_t i = 0; i < ids.size() && i < shown; ++i)
        out << QString::fromStdString(ids[i]);
    if (ids.size() > shown)
        out << QStringLiteral("and %1 more").arg(ids.size() - shown);
    return out.join(QStringLiteral(", "));
}

} // namespace

int importQrelsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Import TREC qrels (qid 0 docid grade) written by another tool as one rater's grades; the project's resolution "
        "rule merges them with the other raters'. Lines whose ids are not in the catalog or whose grade is not on the "
        "project's scale are skipped and reported (all of them in PROJECT/qrels-import-report.txt); with --strict any "
        "such line makes the import fail and nothing is imported."));
    const QCommandLineOption raterOpt(
        QStringLiteral("rater"), QStringLiteral("The rater the grades are recorded for."), QStringLiteral("NAME"));
    const QCommandLineOption strictOpt(
        QStringLiteral("strict"), QStringLiteral("Fail, importing nothing, if any line cannot be imported."));
    parser.addOptions({raterOpt, strictOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT"), QStringLiteral("QRELS")}))
        return *status;
    if (!parser.isSet(raterOpt)) {
        printError(QStringLiteral("import-qrels needs --rater NAME"));
        return UsageError;
    }
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const std::string file = parser.positionalArguments().at(1).toStdString();
        const TrecQrels qrels = readQrelsFile(file);
        const QrelsImportReport r
            = importQrels(project, qrels, parser.value(raterOpt).toStdString(), file, parser.isSet(strictOpt));
        QString text = QStringLiteral("%1 lines: %2 grades imported, %3 unchanged, %4 skipped\n")
                           .arg(r.lines)
                           .arg(r.imported)
                           .arg(r.unchanged)
                           .arg(r.skipped);
        const QString reportFile = QString::fromStdString((project.folder() / "qrels-import-report.txt").string());
        if (r.skipped > 0) {
            if (!r.unknownQueryIds.empty())
                text += QStringLiteral("query ids not in the catalog (%1): %2\n")
                            .arg(r.unknownQueryIds.size())
                            .arg(listSome(r.unknownQueryIds));
            if (!r.unknownCandidateIds.empty())
                text += QStringLiteral("document ids not in the catalog (%1): %2\n")
                            .arg(r.unknownCandidateIds.size())
                            .arg(listSome(r.unknownCandidateIds));
            QStringList grades;
            for (int g : r.offScaleGrades)
                grades << QString::number(g);
            if (!grades.isEmpty())
                text
                    += QStringLiteral("grades not on the project's scale: %1\n").arg(grades.join(QStringLiteral(", ")));
            QString all = QStringLiteral("# lookalike import-qrels %1: ids that are not in the catalog\n")
                              .arg(QString::fromStdString(file));
            for (const std::string &id : r.unknownQueryIds)
                all += QStringLiteral("query\t%1\n").arg(QString::fromStdString(id));
            for (const std::string &id : r.unknownCandidateIds)
                all += QStringLiteral("document\t%1\n").arg(QString::fromStdString(id));
            QFile f(reportFile);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(all.toUtf8()) < 0)
                throw Error(ErrorCode::FileUnreadable, reportFile.toStdString(), "cannot write the report");
            text += QStringLiteral("every unmatched id: %1\n").arg(reportFile);
        } else {
            QFile::remove(reportFile);
        }
        printOut(text);
        return int(Success);
    });
}

} // namespace lookalike::cli
