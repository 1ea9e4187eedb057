// `lookalike plan`: where a comparison of two versions stands, and the pairs to judge next.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/metrics/MetricKind.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/Project.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace lookalike::cli {

int planCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The judging planner: for the comparison of two versions on nDCG@5 (or P@1), say where it stands and which "
        "ungraded (query, candidate) pairs to judge next, most informative first. settled: no grade still to come can "
        "change which version is better; significant: the 95 % interval of the mean difference excludes 0 whatever "
        "the remaining grades are; open: neither, with an estimate of the judgments a decision needs. Neither verdict "
        "can be wrong. Judgments made in plan order are ordinary judgments."));
    const QCommandLineOption modelsOpt(QStringLiteral("models"), QStringLiteral("The two versions, A,B (B is compared with A)."),
                                       QStringLiteral("A,B"));
    const QCommandLineOption metricOpt(QStringLiteral("metric"), QStringLiteral("ndcg@5 (default) or p@1."),
                                       QStringLiteral("METRIC"), QStringLiteral("ndcg@5"));
    const QCommandLineOption nextOpt(QStringLiteral("next"), QStringLiteral("How many pairs to list (default 10)."),
                                     QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOptions({modelsOpt, metricOpt, nextOpt, jsonOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    const QStringList models = parser.value(modelsOpt).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (models.size() != 2) {
        printError(QStringLiteral("plan needs --models A,B (two versions)"));
        return UsageError;
    }
    const std::optional<Metric> metric = parseMetric(parser.value(metricOpt).toStdString());
    if (!metric || (*metric != Metric::Ndcg5 && *metric != Metric::Precision1)) {
        printError(QStringLiteral("--metric must be ndcg@5 or p@1, not '%1'").arg(parser.value(metricOpt)));
        return UsageError;
    }
    const auto count = intOption(parser, QStringLiteral("next"), 0);
    if (!count)
        return UsageError;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const JudgingPlanner planner(project, models[0].trimmed().toStdString(), models[1].trimmed().toStdString(), *metric);
        const PlanStatus s = planner.status();
        const std::vector<PlannedPair> next = planner.next(static_cast<std::size_t>(std::min<long long>(*count, 1000000)));
        std::vector<std::int64_t> ids;
        for (const PlannedPair &p : next) {
            ids.push_back(p.query);
            ids.push_back(p.candidate);
        }
        std::map<std::int64_t, std::string> keys;
        for (const Item &item : project.items(ids))
            keys[item.id] = item.key;
        const std::string line = planStatusLine(s, planner.versionA().name, planner.versionB().name, *metric);
        if (parser.isSet(jsonOpt)) {
            QJsonArray pairs;
            for (const PlannedPair &p : next)
                pairs.append(QJsonObject{{QStringLiteral("query"), QString::fromStdString(keys[p.query])},
                                         {QStringLiteral("candidate"), QString::fromStdString(keys[p.candidate])},
                                         {QStringLiteral("priority"), p.value}});
            QJsonObject doc{{QStringLiteral("a"), QString::fromStdString(planner.versionA().name)},
                            {QStringLiteral("b"), QString::fromStdString(planner.versionB().name)},
                            {QStringLiteral("metric"), QString::fromLatin1(metricKey(*metric))},
                            {QStringLiteral("verdict"), QString::fromLatin1(planVerdictName(s.verdict))},
                            {QStringLiteral("direction"), s.direction},
                            {QStringLiteral("summary"), QString::fromStdString(line)},
                            {QStringLiteral("queries"), static_cast<qint64>(s.queries)},
                            {QStringLiteral("pairs"), static_cast<qint64>(s.pairs)},
                            {QStringLiteral("judged"), static_cast<qint64>(s.judged)},
                            {QStringLiteral("informative"), static_cast<qint64>(s.informative)},
                            {QStringLiteral("bounds"), QJsonArray{jsonNumber(s.low), jsonNumber(s.high)}},
                            {QStringLiteral("mean"), jsonNumber(s.mean)},
                            {QStringLiteral("ci"), QJsonArray{jsonNumber(s.ciLow), jsonNumber(s.ciHigh)}},
                            {QStringLiteral("next"), pairs}};
            if (s.estimate)
                doc.insert(QStringLiteral("estimate"), static_cast<qint64>(*s.estimate));
            printOut(QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Indented)));
            return int(Success);
        }
        QString out = QStringLiteral("%1 against %2 on %3, %4 queries: %5\n")
                          .arg(QString::fromStdString(planner.versionB().name), QString::fromStdString(planner.versionA().name),
                               QString::fromLatin1(metricName(*metric)))
                          .arg(s.queries)
                          .arg(QString::fromStdString(line));
        out += QStringLiteral("  mean difference between %1 and %2 whatever the remaining grades, %3 expected from the "
                              "grades seen; 95 % interval %4 to %5\n")
                   .arg(QString::asprintf("%+.4f", s.low), QString::asprintf("%+.4f", s.high), QString::asprintf("%+.4f", s.mean),
                        QString::asprintf("%+.4f", s.ciLow), QString::asprintf("%+.4f", s.ciHigh));
        if (next.empty()) {
            out += QStringLiteral("no ungraded pair can change the comparison\n");
        } else {
            TextTable table({QStringLiteral("query"), QStringLiteral("candidate"), QStringLiteral("priority")});
            for (const PlannedPair &p : next)
                table.addRow({QString::fromStdString(keys[p.query]), QString::fromStdString(keys[p.candidate]),
                              QString::number(p.value, 'g', 4)});
            out += QStringLiteral("next %1 of %2 informative pairs:\n").arg(next.size()).arg(QLocale(QLocale::English).toString(static_cast<qulonglong>(s.informative))) + table.render(QStringLiteral("  "));
        }
        printOut(out);
        return int(Success);
    });
}

} // namespace lookalike::cli
