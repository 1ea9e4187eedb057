// `lookalike progress`: how far each rater is (live when the judgments are in PostgreSQL).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/RaterBoard.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>

namespace lookalike::cli {

namespace {

QString keyOf(const Project &project, std::int64_t itemId)
{
    return QString::fromStdString(project.item(itemId).key);
}

} // namespace

int progressCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Each rater's progress: queries assigned, done (every candidate graded), in progress, "
                       "grades given, the query they are on now and when they were last seen."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON instead of a table."));
    parser.addOptions({jsonOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const std::vector<RaterStatus> progress = RaterBoard(project).progress();
        if (parser.isSet(jsonOpt)) {
            QJsonArray raters;
            for (const RaterStatus &s : progress)
                raters.append(QJsonObject{
                    {QStringLiteral("rater"), QString::fromStdString(s.rater)},
                    {QStringLiteral("assigned"), static_cast<qint64>(s.assigned)},
                    {QStringLiteral("done"), static_cast<qint64>(s.done)},
                    {QStringLiteral("in_progress"), static_cast<qint64>(s.inProgress)},
                    {QStringLiteral("grades"), static_cast<qint64>(s.grades)},
                    {QStringLiteral("current_query"), s.currentQuery ? QJsonValue(keyOf(project, *s.currentQuery)) : QJsonValue()},
                    {QStringLiteral("last_seen"), s.lastSeen.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(s.lastSeen))},
                });
            printOut(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("queries"), static_cast<qint64>(project.queryItemIds().size())},
                                                                 {QStringLiteral("raters"), raters}})
                                           .toJson(QJsonDocument::Indented)));
            return int(Success);
        }
        if (progress.empty()) {
            printOut(QStringLiteral("no raters yet (assign queries with `lookalike assign`)\n"));
            return int(Success);
        }
        TextTable table({QStringLiteral("rater"), QStringLiteral("assigned"), QStringLiteral("done"),
                         QStringLiteral("in progress"), QStringLiteral("grades"), QStringLiteral("on query"),
                         QStringLiteral("last seen")});
        for (const RaterStatus &s : progress)
            table.addRow({QString::fromStdString(s.rater), QString::number(s.assigned), QString::number(s.done),
                          QString::number(s.inProgress), QString::number(s.grades),
                          s.currentQuery ? keyOf(project, *s.currentQuery) : QStringLiteral("-"),
                          s.lastSeen.empty() ? QStringLiteral("-") : QString::fromStdString(s.lastSeen)});
        printOut(table.render());
        return int(Success);
    });
}

} // namespace lookalike::cli
