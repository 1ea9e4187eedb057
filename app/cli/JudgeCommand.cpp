// `lookalike judge`: record, remove, undo or redo one relevance judgment (for scripts and tests;
// raters use the GUI). The call returns only after the judgment is committed.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

namespace lookalike::cli {

namespace {

QString gradeText(const GradeScale &scale, std::optional<int> grade)
{
    return grade ? QStringLiteral("%1 (%2)").arg(*grade).arg(QString::fromStdString(scale.label(*grade)))
                 : QStringLiteral("none");
}

} // namespace

int judgeCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Grade one candidate for one query item as a rater, or remove, undo or redo a grade. Grades belong to the "
        "(query, candidate) pair and count for every model version whose list holds the candidate."));
    const QCommandLineOption queryOpt(QStringLiteral("query"), QStringLiteral("Catalog id of the query item."), QStringLiteral("ID"));
    const QCommandLineOption candidateOpt(QStringLiteral("candidate"), QStringLiteral("Catalog id of the candidate."), QStringLiteral("ID"));
    const QCommandLineOption gradeOpt(QStringLiteral("grade"), QStringLiteral("The grade (default scale 0-3)."), QStringLiteral("G"));
    const QCommandLineOption clearOpt(QStringLiteral("clear"), QStringLiteral("Remove the rater's grade of the pair."));
    const QCommandLineOption raterOpt(QStringLiteral("rater"), QStringLiteral("Who is grading."), QStringLiteral("NAME"));
    const QCommandLineOption noteOpt(QStringLiteral("note"), QStringLiteral("An optional note."), QStringLiteral("TEXT"));
    const QCommandLineOption undoOpt(QStringLiteral("undo"), QStringLiteral("Undo the rater's latest change."));
    const QCommandLineOption redoOpt(QStringLiteral("redo"), QStringLiteral("Redo the rater's latest undone change."));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"), QStringLiteral("Print nothing on success."));
    parser.addOptions({queryOpt, candidateOpt, gradeOpt, clearOpt, raterOpt, noteOpt, undoOpt, redoOpt, quietOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(raterOpt)) {
        printError(QStringLiteral("judge needs --rater NAME"));
        return UsageError;
    }
    const int modes = int(parser.isSet(gradeOpt)) + int(parser.isSet(clearOpt)) + int(parser.isSet(undoOpt)) + int(parser.isSet(redoOpt));
    if (modes != 1) {
        printError(QStringLiteral("judge needs exactly one of --grade G, --clear, --undo or --redo"));
        return UsageError;
    }
    if ((parser.isSet(gradeOpt) || parser.isSet(clearOpt)) && (!parser.isSet(queryOpt) || !parser.isSet(candidateOpt))) {
        printError(QStringLiteral("--grade and --clear need --query ID and --candidate ID"));
        return UsageError;
    }
    std::optional<long long> grade;
    if (parser.isSet(gradeOpt) && !(grade = intOption(parser, QStringLiteral("grade"), 0)))
        return UsageError;

    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        JudgmentStore store(project);
        const std::string rater = parser.value(raterOpt).toStdString();
        std::optional<JudgmentEvent> event;
        if (parser.isSet(undoOpt) || parser.isSet(redoOpt)) {
            event = parser.isSet(undoOpt) ? store.undo(rater) : store.redo(rater);
            if (!event) {
                if (!parser.isSet(quietOpt))
                    printOut(QStringLiteral("nothing to %1 for %2\n").arg(parser.isSet(undoOpt) ? QStringLiteral("undo") : QStringLiteral("redo"),
                                                                          QString::fromStdString(rater)));
                return int(Success);
            }
        } else {
            auto itemId = [&](const QCommandLineOption &opt) {
                return project.requireItem(parser.value(opt).toStdString()).id;
            };
            event = store.grade(itemId(queryOpt), itemId(candidateOpt), rater,
                                grade ? std::optional<int>(static_cast<int>(*grade)) : std::nullopt,
                                parser.value(noteOpt).toStdString());
        }
        if (!parser.isSet(quietOpt)) {
            const GradeScale scale = store.gradeScale();
            const auto items = project.items({event->queryItemId, event->candidateItemId});
            printOut(QStringLiteral("%1: %2 -> %3: %4 (was %5)\n")
                         .arg(QString::fromStdString(rater), QString::fromStdString(items.at(0).key),
                              QString::fromStdString(items.size() > 1 ? items.at(1).key : items.at(0).key),
                              gradeText(scale, event->newGrade), gradeText(scale, event->oldGrade)));
        }
        return int(Success);
    });
}

} // namespace lookalike::cli
