// `lookalike assign`: which rater grades which query (balanced, seeded, with an overlap share).
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

int assignCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Assign the project's queries to raters: each query to exactly one rater (balanced, in a "
                       "seeded random order), and a share --overlap of them to a second rater for measuring "
                       "agreement. Re-running replaces the assignment; grades already given are kept and still "
                       "count for whoever gave them."));
    const QCommandLineOption ratersOpt(QStringLiteral("raters"), QStringLiteral("Comma-separated rater names."),
                                       QStringLiteral("A,B,..."));
    const QCommandLineOption overlapOpt(QStringLiteral("overlap"),
        QStringLiteral("Share of queries (0 to 1) also given to a second rater (default 0)."), QStringLiteral("SHARE"),
        QStringLiteral("0"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."),
                                     QStringLiteral("N"), QStringLiteral("1"));
    parser.addOptions({ratersOpt, overlapOpt, seedOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(ratersOpt)) {
        printError(QStringLiteral("assign needs --raters A,B,..."));
        return UsageError;
    }
    const std::optional<double> overlapValue = realOption(parser, QStringLiteral("overlap"), 0, 1);
    if (!overlapValue)
        return UsageError;
    const double overlap = *overlapValue;
    const auto seed = intOption(parser, QStringLiteral("seed"), 0);
    if (!seed)
        return UsageError;
    std::vector<std::string> raters;
    for (const QString &r : parser.value(ratersOpt).split(QLatin1Char(',')))
        raters.push_back(r.trimmed().toStdString());
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const Assignment plan = RaterBoard(project).assign(raters, overlap, static_cast<std::uint64_t>(*seed));
        std::map<std::string, std::pair<int, int>> counts; // rater -> (queries, shared queries)
        int shared = 0;
        for (const auto &[query, names] : plan) {
            shared += names.size() > 1 ? 1 : 0;
            for (const std::string &name : names) {
                ++counts[name].first;
                counts[name].second += names.size() > 1 ? 1 : 0;
            }
        }
        TextTable table({QStringLiteral("rater"), QStringLiteral("queries"), QStringLiteral("shared")});
        for (const std::string &r : raters)
            table.addRow({QString::fromStdString(r), QString::number(counts[r].first), QString::number(counts[r].second)});
        printOut(QStringLiteral("assigned %1 queries to %2 raters, %3 of them to two raters\n")
                     .arg(plan.size())
                     .arg(raters.size())
                     .arg(shared)
                 + table.render());
        return int(Success);
    });
}

} // namespace lookalike::cli
