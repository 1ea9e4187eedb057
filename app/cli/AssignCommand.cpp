// `lookalike assign`: which rater grades which query (balanced, seeded, with an overlap share).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/RaterBoard.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>
#include <set>

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
    const QCommandLineOption planOpt(QStringLiteral("plan"),
        QStringLiteral("Assign only the queries that hold the judging planner's next pairs for --models A,B (see "
                       "lookalike plan); each query, and so each of its pairs, goes to one rater."));
    const QCommandLineOption modelsOpt(QStringLiteral("models"), QStringLiteral("With --plan: the two versions compared."),
                                       QStringLiteral("A,B"));
    const QCommandLineOption pairsOpt(QStringLiteral("pairs"),
        QStringLiteral("With --plan: how many of the planner's pairs to hand out (default: every informative one)."),
        QStringLiteral("N"));
    const QCommandLineOption metricOpt(QStringLiteral("metric"), QStringLiteral("With --plan: ndcg@5 (default) or p@1."),
                                       QStringLiteral("METRIC"), QStringLiteral("ndcg@5"));
    parser.addOptions({ratersOpt, overlapOpt, seedOpt, planOpt, modelsOpt, pairsOpt, metricOpt});
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
    const QStringList models = parser.value(modelsOpt).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (parser.isSet(planOpt) && models.size() != 2) {
        printError(QStringLiteral("assign --plan needs --models A,B (two versions)"));
        return UsageError;
    }
    const std::optional<Metric> metric = parseMetric(parser.value(metricOpt).toStdString());
    if (!metric || (*metric != Metric::Ndcg5 && *metric != Metric::Precision1)) {
        printError(QStringLiteral("--metric must be ndcg@5 or p@1, not '%1'").arg(parser.value(metricOpt)));
        return UsageError;
    }
    std::optional<long long> pairs;
    if (parser.isSet(pairsOpt) && !(pairs = intOption(parser, QStringLiteral("pairs"), 1)))
        return UsageError;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        std::vector<std::int64_t> only;
        QString planned;
        if (parser.isSet(planOpt)) {
            const JudgingPlanner planner(project, models[0].trimmed().toStdString(), models[1].trimmed().toStdString(), *metric);
            const std::vector<PlannedPair> next = planner.next(pairs ? static_cast<std::size_t>(*pairs) : planner.status().informative);
            std::set<std::int64_t> seen;
            for (const PlannedPair &p : next)
                if (seen.insert(p.query).second)
                    only.push_back(p.query);
            if (only.empty())
                throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
                            "no ungraded pair can change the comparison of " + planner.versionB().name + " with "
                                + planner.versionA().name + ": nothing to assign");
            planned = QStringLiteral("the planner's next %1 pairs (%2 against %3 on %4) are in these queries\n")
                          .arg(next.size())
                          .arg(QString::fromStdString(planner.versionB().name), QString::fromStdString(planner.versionA().name),
                               QString::fromLatin1(metricName(*metric)));
        }
        const Assignment plan = RaterBoard(project).assign(raters, overlap, static_cast<std::uint64_t>(*seed), only);
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
        printOut(planned
                 + QStringLiteral("assigned %1 queries to %2 raters, %3 of them to two raters\n")
                     .arg(plan.size())
                     .arg(raters.size())
                     .arg(shared)
                 + table.render());
        return int(Success);
    });
}

} // namespace lookalike::cli
