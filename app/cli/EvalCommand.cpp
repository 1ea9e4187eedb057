// `lookalike eval`: the metric table of a project's model versions and their comparison with a
// baseline, optionally by category (or any attribute), per query, with the ranges the metrics
// could still take, and with the worst queries and the largest gaps. Text, JSON or CSV.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/metrics/FailureAnalysis.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "core/util/Csv.h"
#include "core/project/Project.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cmath>

namespace lookalike::cli {

namespace {

// The metrics a comparison reports (judged@5 says how much is known, not which model is better).
constexpr std::array kComparedMetrics{
    Metric::Ndcg5, Metric::Precision1, Metric::Ndcg10, Metric::Precision5, Metric::ReciprocalRank};
constexpr std::array kHeadlineMetrics{Metric::Ndcg5, Metric::Precision1};

QString signedFixed(double v, int decimals = 4)
{
    return std::isfinite(v) ? (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals)
                            : QStringLiteral("n/a");
}

QString csvNumber(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 17) : QString();
}

QJsonObject metricsJson(const QueryMetrics &m, bool ranges)
{
    QJsonObject o;
    for (Metric metric : kAllMetrics) {
        o.insert(QString::fromLatin1(metricKey(metric)), jsonNumber(metricValue(m, metric)));
        if (ranges)
            if (const auto r = metricRange(m, metric))
                o.insert(QString::fromLatin1(metricKey(metric)) + QStringLiteral("_range"),
                    QJsonArray{jsonNumber(r->low), jsonNumber(r->high)});
    }
    return o;
}

QString cell(const QueryMetrics &m, Metric metric, bool ranges)
{
    QString text = fixed(metricValue(m, metric), 4);
    if (ranges)
        if (const auto r = metricRange(m, metric))
            text += QStringLiteral(" [%1, %2]").arg(fixed(r->low, 3), fixed(r->high, 3));
    return text;
}

QStringList metricHeader(const QString &first)
{
    QStringList header{first};
    for (Metric m : kAllMetrics)
        header << QString::fromLatin1(metricName(m));
    return header;
}

struct Options {
    bool ranges = false;
    bool perQuery = false;
    QString by;
    int worst = 0;
    ComparisonOptions comparison;
};

// Everything `eval` reports, computed once and then printed in the chosen format.
struct Report {
    std::vector<ModelVersion> models; // models[0] is the baseline of the comparisons
    std::vector<const ModelMetrics *> metrics;
    std::map<std::int64_t, std::string> keys; // query item id -> catalog id
    std::map<std::int64_t, std::string> groups; // query item id -> group value (--by)
    std::vector<std::vector<GroupMetrics>> breakdowns; // per model (--by)
    struct Comparison {
        std::size_t model = 0; // index into models, compared with models[0]
        std::vector<std::pair<Metric, PairedComparison>> overall;
        std::vector<std::pair<std::string, std::vector<std::pair<Metric, PairedComparison>>>> byGroup;
        std::vector<QueryGap> gaps; // nDCG@5
    };
    std::vector<Comparison> comparisons;
    std::vector<std::map<std::string, std::int64_t>> searchedWith; // per model: lists per index kind
    int gradedOutsideQuerySet = 0;
};

std::vector<ModelVersion> chooseModels(const EvaluationEngine &engine, const QString &list, const std::string &file)
{
    if (list.isEmpty())
        return engine.models();
    std::vector<ModelVersion> chosen;
    for (const QString &name : list.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const auto it = std::find_if(engine.models().begin(), engine.models().end(),
            [&](const ModelVersion &v) { return v.name == name.trimmed().toStdString(); });
        if (it == engine.models().end()) {
            std::string known;
            for (const ModelVersion &v : engine.models())
                known += (known.empty() ? "" : ", ") + v.name;
            throw Error(ErrorCode::NotFound, file,
                "no model version named '" + name.trimmed().toStdString()
                    + "' (the project has: " + (known.empty() ? "none" : known) + ")");
        }
        chosen.push_back(*it);
    }
    return chosen;
}

Report buildReport(
    Project &project, const EvaluationEngine &engine, const std::vector<ModelVersion> &models, const Options &options)
{
    Report r;
    r.models = models;
    r.gradedOutsideQuerySet = engine.gradedOutsideQuerySet();
    for (const ModelVersion &v : models) {
        r.metrics.push_back(&engine.metrics(v.id));
        r.searchedWith.push_back(frozenListsBySearch(project, v));
    }
    const std::vector<std::int64_t> queryIds = project.queryItemIds();
    const std::vector<Item> items = project.items(queryIds);
    for (const Item &item : items)
        r.keys.emplace(item.id, item.key);
    if (!options.by.isEmpty()) {
        r.groups = queryGroups(project, options.by.toStdString());
        for (const ModelMetrics *m : r.metrics)
            r.breakdowns.push_back(breakdownByGroup(*m, r.groups));
    }
    for (std::size_t i = 1; i < models.size(); ++i) {
        Report::Comparison c;
        c.model = i;
        for (Metric metric : kComparedMetrics)
            c.overall.emplace_back(metric, compareModels(*r.metrics[0], *r.metrics[i], metric, options.comparison));
        if (!options.by.isEmpty()) {
            std::map<std::string, std::vector<std::int64_t>> members;
            for (const auto &[query, group] : r.groups)
                members[group].push_back(query);
            for (const auto &[group, queries] : members) {
                std::vector<std::pair<Metric, PairedComparison>> values;
                for (Metric metric : kHeadlineMetrics)
                    values.emplace_back(
                        metric, compareModels(*r.metrics[0], *r.metrics[i], metric, options.comparison, queries));
                if (values.front().second.n > 0)
                    c.byGroup.emplace_back(group, std::move(values));
            }
        }
        if (options.worst > 0)
            c.gaps = largestGaps(*r.metrics[0], *r.metrics[i], Metric::Ndcg5, static_cast<std::size_t>(options.worst));
        r.comparisons.push_back(std::move(c));
    }
    return r;
}

QString groupName(const std::string &group)
{
    return group.empty() ? QStringLiteral("(none)") : QString::fromStdString(group);
}

// ------------------------------------------------------------------------------------------ text

QString textReport(const Report &r, const Options &options, const QString &header)
{
    QString out = header;
    TextTable table(metricHeader(QStringLiteral("model")) << QStringLiteral("queries"));
    for (std::size_t i = 0; i < r.models.size(); ++i) {
        QStringList row{QString::fromStdString(r.models[i].name)};
        for (Metric m : kAllMetrics)
            row << cell(r.metrics[i]->mean, m, options.ranges);
        row << QString::number(r.metrics[i]->perQuery.size());
        table.addRow(row);
    }
    out += QLatin1Char('\n') + table.render();
    for (const ModelVersion &v : r.models)
        if (versionPrecision(v) == Precision::Bf16)
            out += QStringLiteral("note: %1 was embedded with bf16 products (index --precision bf16): its lists can differ "
                                  "slightly from fp32's\n")
                       .arg(QString::fromStdString(v.name));
    for (std::size_t i = 0; i < r.models.size(); ++i) {
        std::int64_t all = 0;
        QStringList approximate;
        for (const auto &[kind, lists] : r.searchedWith[i]) {
            all += lists;
            if (kind != "exact" && kind != "run") // "run": imported lists, whatever made them
                approximate << QStringLiteral("%1 for %2").arg(QString::fromStdString(kind)).arg(lists);
        }
        if (!approximate.isEmpty())
            out += QStringLiteral("note: %1's lists came from an approximate index (%2 of its %3 lists): a true "
                                  "neighbour the index missed counts against the model\n")
                       .arg(QString::fromStdString(r.models[i].name), approximate.join(QStringLiteral(", ")))
                       .arg(all);
    }
    for (std::size_t i = 0; i < r.models.size(); ++i) {
        const ModelMetrics &m = *r.metrics[i];
        QStringList leftOut;
        if (m.queriesWithoutJudgment > 0)
            leftOut << QStringLiteral("%1 queries with a list but no grade yet").arg(m.queriesWithoutJudgment);
        if (m.queriesWithoutList > 0)
            leftOut << QStringLiteral("%1 graded without a list").arg(m.queriesWithoutList);
        if (!leftOut.isEmpty())
            out += QStringLiteral("%1: left out of the mean: %2\n")
                       .arg(QString::fromStdString(r.models[i].name), leftOut.join(QStringLiteral(", ")));
    }
    if (r.gradedOutsideQuerySet > 0)
        out += QStringLiteral("%1 items graded as queries are not in the query set: left out of every metric (lookalike "
                              "queries --from adds them)\n")
                   .arg(r.gradedOutsideQuerySet);
    if (options.ranges)
        out += QStringLiteral(
            "[low, high]: what the metric could still become once the unjudged candidates are graded\n");

    for (const Report::Comparison &c : r.comparisons) {
        const auto &a = r.models[0], &b = r.models[c.model];
        out += QStringLiteral("\n%1 vs %2 (baseline), on the %3 queries both evaluate\n")
                   .arg(QString::fromStdString(b.name), QString::fromStdString(a.name))
                   .arg(c.overall.front().second.n);
        TextTable cmp({QStringLiteral("metric"), QString::fromStdString(a.name), QString::fromStdString(b.name),
            QStringLiteral("delta"), QStringLiteral("change"), QStringLiteral("95% CI of delta"), QStringLiteral("p"),
            QStringLiteral("wins/ties/losses")});
        for (const auto &[metric, p] : c.overall)
            cmp.addRow({QString::fromLatin1(metricName(metric)), fixed(p.meanA, 4), fixed(p.meanB, 4),
                signedFixed(p.meanDelta),
                std::isfinite(p.relativeChangePercent) ? signedFixed(p.relativeChangePercent, 1) + QStringLiteral(" %")
                                                       : QStringLiteral("n/a"),
                QStringLiteral("[%1, %2]").arg(signedFixed(p.meanDeltaCI.lower), signedFixed(p.meanDeltaCI.upper)),
                fixed(p.randomization.pValue, 4),
                QStringLiteral("%1/%2/%3")
                    .arg(p.winsTiesLosses.wins)
                    .arg(p.winsTiesLosses.ties)
                    .arg(p.winsTiesLosses.losses)});
        out += cmp.render(QStringLiteral("  "));
        out += QStringLiteral(
            "  delta = %1 - %2; CI: paired bootstrap (%3 resamples, seed %4); p: paired randomization test%5\n")
                   .arg(QString::fromStdString(b.name), QString::fromStdString(a.name))
                   .arg(options.comparison.bootstrap.resamples)
                   .arg(options.comparison.bootstrap.seed)
                   .arg(c.overall.front().second.randomization.exact ? QStringLiteral(" (exact)") : QStringLiteral(""));
    }

    if (!options.by.isEmpty()) {
        out += QStringLiteral("\nBy %1\n").arg(options.by);
        QStringList head{options.by, QStringLiteral("queries")};
        for (const ModelVersion &v : r.models)
            head << QStringLiteral("%1 nDCG@5").arg(QString::fromStdString(v.name)) << QStringLiteral("P@1");
        if (r.models.size() == 2)
            head << QStringLiteral("delta nDCG@5") << QStringLiteral("95% CI");
        TextTable groups(head);
        std::map<std::string, std::vector<const GroupMetrics *>> rows;
        for (const auto &breakdown : r.breakdowns)
            for (const GroupMetrics &g : breakdown)
                rows[g.group];
        for (auto &[group, cells] : rows) {
            QStringList row{groupName(group)};
            std::size_t n = 0;
            QStringList values;
            for (const auto &breakdown : r.breakdowns) {
                const auto it = std::find_if(
                    breakdown.begin(), breakdown.end(), [&](const GroupMetrics &g) { return g.group == group; });
                if (it == breakdown.end()) {
                    values << QStringLiteral("-") << QStringLiteral("-");
                    continue;
                }
                n = std::max(n, it->queries.size());
                values << fixed(it->mean.ndcg5, 4) << fixed(it->mean.precision1, 4);
            }
            row << QString::number(n) << values;
            if (r.models.size() == 2) {
                const auto &byGroup = r.comparisons.front().byGroup;
                const auto it
                    = std::find_if(byGroup.begin(), byGroup.end(), [&](const auto &g) { return g.first == group; });
                if (it == byGroup.end())
                    row << QStringLiteral("-") << QStringLiteral("-");
                else {
                    const PairedComparison &p = it->second.front().second;
                    row << signedFixed(p.meanDelta)
                        << QStringLiteral("[%1, %2]")
                               .arg(signedFixed(p.meanDeltaCI.lower), signedFixed(p.meanDeltaCI.upper));
                }
            }
            groups.addRow(row);
        }
        out += groups.render(QStringLiteral("  "));
    }

    if (options.perQuery) {
        for (std::size_t i = 0; i < r.models.size(); ++i) {
            out += QStringLiteral("\nPer query: %1\n").arg(QString::fromStdString(r.models[i].name));
            TextTable perQuery(metricHeader(QStringLiteral("query")));
            for (const auto &[query, m] : r.metrics[i]->perQuery) {
                QStringList row{QString::fromStdString(r.keys.at(query))};
                for (Metric metric : kAllMetrics)
                    row << cell(m, metric, options.ranges);
                perQuery.addRow(row);
            }
            out += perQuery.render(QStringLiteral("  "));
        }
    }

    if (options.worst > 0) {
        for (std::size_t i = 0; i < r.models.size(); ++i) {
            out += QStringLiteral("\nWorst queries by nDCG@5: %1\n").arg(QString::fromStdString(r.models[i].name));
            TextTable worst(
                {QStringLiteral("query"), QStringLiteral("nDCG@5"), QStringLiteral("P@1"), QStringLiteral("judged@5")});
            for (const QueryValue &w :
                worstQueries(*r.metrics[i], Metric::Ndcg5, static_cast<std::size_t>(options.worst))) {
                const QueryMetrics &m = r.metrics[i]->perQuery.at(w.query);
                worst.addRow({QString::fromStdString(r.keys.at(w.query)), fixed(m.ndcg5, 4), fixed(m.precision1, 4),
                    fixed(m.judged5, 2)});
            }
            out += worst.render(QStringLiteral("  "));
        }
        for (const Report::Comparison &c : r.comparisons) {
            out += QStringLiteral("\nLargest nDCG@5 gaps: %1 vs %2\n")
                       .arg(QString::fromStdString(r.models[c.model].name), QString::fromStdString(r.models[0].name));
            TextTable gaps({QStringLiteral("query"), QString::fromStdString(r.models[0].name),
                QString::fromStdString(r.models[c.model].name), QStringLiteral("delta")});
            for (const QueryGap &g : c.gaps)
                gaps.addRow(
                    {QString::fromStdString(r.keys.at(g.query)), fixed(g.a, 4), fixed(g.b, 4), signedFixed(g.delta)});
            out += gaps.render(QStringLiteral("  "));
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------ JSON

QJsonObject comparisonJson(const PairedComparison &p)
{
    return {{QStringLiteral("queries"), static_cast<qint64>(p.n)}, {QStringLiteral("mean_a"), jsonNumber(p.meanA)},
        {QStringLiteral("mean_b"), jsonNumber(p.meanB)}, {QStringLiteral("delta"), jsonNumber(p.meanDelta)},
        {QStringLiteral("relative_change_percent"), jsonNumber(p.relativeChangePercent)},
        {QStringLiteral("ci"), QJsonArray{jsonNumber(p.meanDeltaCI.lower), jsonNumber(p.meanDeltaCI.upper)}},
        {QStringLiteral("ci_level"), p.meanDeltaCI.level},
        {QStringLiteral("p_value"), jsonNumber(p.randomization.pValue)},
        {QStringLiteral("p_exact"), p.randomization.exact},
        {QStringLiteral("wins"), static_cast<qint64>(p.winsTiesLosses.wins)},
        {QStringLiteral("ties"), static_cast<qint64>(p.winsTiesLosses.ties)},
        {QStringLiteral("losses"), static_cast<qint64>(p.winsTiesLosses.losses)}};
}

QJsonObject jsonReport(const Report &r, const Options &options, QJsonObject settings)
{
    QJsonArray models;
    for (std::size_t i = 0; i < r.models.size(); ++i) {
        const ModelMetrics &m = *r.metrics[i];
        QJsonObject o{{QStringLiteral("name"), QString::fromStdString(r.models[i].name)},
            {QStringLiteral("queries"), static_cast<qint64>(m.perQuery.size())},
            {QStringLiteral("queries_without_judgment"), m.queriesWithoutJudgment},
            {QStringLiteral("queries_without_list"), m.queriesWithoutList},
            {QStringLiteral("precision"), QString::fromLatin1(precisionName(versionPrecision(r.models[i])))},
            {QStringLiteral("mean"), metricsJson(m.mean, options.ranges)}};
        QJsonObject searched;
        for (const auto &[kind, lists] : r.searchedWith[i])
            searched.insert(QString::fromStdString(kind), static_cast<qint64>(lists));
        o.insert(QStringLiteral("lists_searched_with"), searched);
        if (!options.by.isEmpty()) {
            QJsonArray groups;
            for (const GroupMetrics &g : r.breakdowns[i])
                groups.append(QJsonObject{{QStringLiteral("group"), QString::fromStdString(g.group)},
                    {QStringLiteral("queries"), static_cast<qint64>(g.queries.size())},
                    {QStringLiteral("mean"), metricsJson(g.mean, options.ranges)}});
            o.insert(QStringLiteral("groups"), groups);
        }
        if (options.perQuery) {
            QJsonArray perQuery;
            for (const auto &[query, qm] : m.perQuery) {
                QJsonObject q = metricsJson(qm, options.ranges);
                q.insert(QStringLiteral("query"), QString::fromStdString(r.keys.at(query)));
                perQuery.append(q);
            }
            o.insert(QStringLiteral("per_query"), perQuery);
        }
        if (options.worst > 0) {
            QJsonArray worst;
            for (const QueryValue &w : worstQueries(m, Metric::Ndcg5, static_cast<std::size_t>(options.worst)))
                worst.append(QJsonObject{{QStringLiteral("query"), QString::fromStdString(r.keys.at(w.query))},
                    {QStringLiteral("ndcg@5"), w.value}});
            o.insert(QStringLiteral("worst"), worst);
        }
        models.append(o);
    }
    QJsonArray comparisons;
    for (const Report::Comparison &c : r.comparisons) {
        QJsonObject metrics;
        for (const auto &[metric, p] : c.overall)
            metrics.insert(QString::fromLatin1(metricKey(metric)), comparisonJson(p));
        QJsonObject o{{QStringLiteral("baseline"), QString::fromStdString(r.models[0].name)},
            {QStringLiteral("model"), QString::fromStdString(r.models[c.model].name)},
            {QStringLiteral("queries"), static_cast<qint64>(c.overall.front().second.n)},
            {QStringLiteral("metrics"), metrics}};
        if (!options.by.isEmpty()) {
            QJsonArray groups;
            for (const auto &[group, values] : c.byGroup) {
                QJsonObject g{{QStringLiteral("group"), QString::fromStdString(group)}};
                for (const auto &[metric, p] : values)
                    g.insert(QString::fromLatin1(metricKey(metric)), comparisonJson(p));
                groups.append(g);
            }
            o.insert(QStringLiteral("groups"), groups);
        }
        if (options.worst > 0) {
            QJsonArray gaps;
            for (const QueryGap &g : c.gaps)
                gaps.append(QJsonObject{{QStringLiteral("query"), QString::fromStdString(r.keys.at(g.query))},
                    {QStringLiteral("a"), g.a}, {QStringLiteral("b"), g.b}, {QStringLiteral("delta"), g.delta}});
            o.insert(QStringLiteral("largest_gaps"), gaps);
        }
        comparisons.append(o);
    }
    return {{QStringLiteral("settings"), settings}, {QStringLiteral("models"), models},
        {QStringLiteral("comparisons"), comparisons},
        {QStringLiteral("graded_outside_query_set"), r.gradedOutsideQuerySet}};
}

// ------------------------------------------------------------------------------------------- CSV

// Long ("tidy") form, one value per row, so every part of the report fits one table:
// section,model,baseline,group,query,metric,value,low,high,queries,p_value,wins,ties,losses
QString csvReport(const Report &r, const Options &options)
{
    QString out
        = QStringLiteral("section,model,baseline,group,query,metric,value,low,high,queries,p_value,wins,ties,losses\n");
    auto row = [&out](const QStringList &fields) { out += csvRow(fields); };
    auto metricRows = [&](const QString &section, const QString &model, const QString &group, const QString &query,
                          const QueryMetrics &m, std::size_t n) {
        for (Metric metric : kAllMetrics) {
            const auto range = options.ranges ? metricRange(m, metric) : std::nullopt;
            row({section, model, QString(), group, query, QString::fromLatin1(metricKey(metric)),
                csvNumber(metricValue(m, metric)), range ? csvNumber(range->low) : QString(),
                range ? csvNumber(range->high) : QString(), n ? QString::number(n) : QString(), QString(), QString(),
                QString(), QString()});
        }
    };
    auto comparisonRows = [&](const QString &section, const QString &model, const QString &baseline,
                              const QString &group, const std::vector<std::pair<Metric, PairedComparison>> &values) {
        for (const auto &[metric, p] : values)
            row({section, model, baseline, group, QString(), QString::fromLatin1(metricKey(metric)),
                csvNumber(p.meanDelta), csvNumber(p.meanDeltaCI.lower), csvNumber(p.meanDeltaCI.upper),
                QString::number(p.n), csvNumber(p.randomization.pValue), QString::number(p.winsTiesLosses.wins),
                QString::number(p.winsTiesLosses.ties), QString::number(p.winsTiesLosses.losses)});
    };
    for (std::size_t i = 0; i < r.models.size(); ++i) {
        const QString model = QString::fromStdString(r.models[i].name);
        metricRows(
            QStringLiteral("mean"), model, QString(), QString(), r.metrics[i]->mean, r.metrics[i]->perQuery.size());
        if (!options.by.isEmpty())
            for (const GroupMetrics &g : r.breakdowns[i])
                metricRows(QStringLiteral("group"), model, QString::fromStdString(g.group), QString(), g.mean,
                    g.queries.size());
        if (options.perQuery)
            for (const auto &[query, m] : r.metrics[i]->perQuery)
                metricRows(QStringLiteral("query"), model, QString(), QString::fromStdString(r.keys.at(query)), m, 0);
    }
    for (const Report::Comparison &c : r.comparisons) {
        const QString model = QString::fromStdString(r.models[c.model].name),
                      baseline = QString::fromStdString(r.models[0].name);
        comparisonRows(QStringLiteral("comparison"), model, baseline, QString(), c.overall);
        for (const auto &[group, values] : c.byGroup)
            comparisonRows(QStringLiteral("group comparison"), model, baseline, QString::fromStdString(group), values);
    }
    return out;
}

} // namespace

int evalCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print the metrics of a project's model versions (nDCG@5, P@1, nDCG@10, P@5, MRR, judged@5; trec_eval's "
        "conventions) over the query set, and compare every version with the first one (the baseline): mean delta, "
        "relative change, 95% bootstrap confidence interval, randomization-test p-value, wins/ties/losses."));
    const QCommandLineOption modelsOpt(QStringLiteral("models"),
        QStringLiteral("Versions to report, comma-separated; the first is the baseline (default: all, in the order "
                       "they were added)."),
        QStringLiteral("A,B"));
    const QCommandLineOption byOpt(QStringLiteral("by"),
        QStringLiteral("Break down by category or any catalog attribute."), QStringLiteral("FIELD"));
    const QCommandLineOption rangesOpt(QStringLiteral("ranges"),
        QStringLiteral("Show the range each metric could still take: every unjudged candidate at the lowest vs the "
                       "highest grade."));
    const QCommandLineOption perQueryOpt(QStringLiteral("per-query"), QStringLiteral("Show every query's metrics."));
    const QCommandLineOption worstOpt(QStringLiteral("worst"),
        QStringLiteral("Show the N worst queries by nDCG@5 and the N largest gaps."), QStringLiteral("N"));
    const QCommandLineOption gainOpt(QStringLiteral("gain"),
        QStringLiteral("nDCG gain: linear (trec_eval, default) or exponential (2^grade - 1)."), QStringLiteral("KIND"),
        QStringLiteral("linear"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"),
        QStringLiteral("Seed of the bootstrap and the randomization test (default 1)."), QStringLiteral("S"),
        QStringLiteral("1"));
    const QCommandLineOption resamplesOpt(QStringLiteral("resamples"),
        QStringLiteral("Bootstrap resamples (default 10000)."), QStringLiteral("R"), QStringLiteral("10000"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption csvOpt(QStringLiteral("csv"), QStringLiteral("Print CSV (one value per row)."));
    parser.addOptions(
        {modelsOpt, byOpt, rangesOpt, perQueryOpt, worstOpt, gainOpt, seedOpt, resamplesOpt, jsonOpt, csvOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (parser.isSet(jsonOpt) && parser.isSet(csvOpt)) {
        printError(QStringLiteral("choose one of --json and --csv"));
        return UsageError;
    }
    const QString gainName = parser.value(gainOpt);
    if (gainName != QLatin1String("linear") && gainName != QLatin1String("exponential")) {
        printError(QStringLiteral("--gain must be linear or exponential, got '%1'").arg(gainName));
        return UsageError;
    }
    Options options;
    options.ranges = parser.isSet(rangesOpt);
    options.perQuery = parser.isSet(perQueryOpt);
    options.by = parser.value(byOpt);
    if (parser.isSet(worstOpt)) {
        const auto worst = intOption(parser, QStringLiteral("worst"), 1);
        if (!worst)
            return UsageError;
        options.worst = static_cast<int>(std::min<long long>(*worst, 1000000));
    }
    const auto seed = intOption(parser, QStringLiteral("seed"), 0);
    const auto resamples = intOption(parser, QStringLiteral("resamples"), 1);
    if (!seed || !resamples)
        return UsageError;
    options.comparison.bootstrap.seed = static_cast<std::uint64_t>(*seed);
    options.comparison.bootstrap.resamples = static_cast<int>(std::min<long long>(*resamples, 1000000));
    options.comparison.randomization.seed = static_cast<std::uint64_t>(*seed);

    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const EvaluationEngine engine(
            project, gainName == QLatin1String("exponential") ? GainKind::Exponential : GainKind::Linear);
        const std::vector<ModelVersion> models
            = chooseModels(engine, parser.value(modelsOpt), project.databaseFile().string());
        if (models.empty())
            throw Error(ErrorCode::NotFound, project.databaseFile().string(),
                "the project has no model version yet (see lookalike index)");
        const Report report = buildReport(project, engine, models, options);
        const JudgmentStore store(project);
        const MetricSettings &s = engine.settings();
        const std::size_t querySet = project.queryItemIds().size();
        if (parser.isSet(jsonOpt)) {
            const QJsonObject settings{{QStringLiteral("gain"), gainName},
                {QStringLiteral("relevant_threshold"), s.relevanceThreshold},
                {QStringLiteral("lowest_grade"), s.lowestGrade}, {QStringLiteral("highest_grade"), s.highestGrade},
                {QStringLiteral("resolution_rule"), QString::fromLatin1(resolutionRuleName(store.resolutionRule()))},
                {QStringLiteral("query_set"), static_cast<qint64>(querySet)},
                {QStringLiteral("bootstrap_resamples"), options.comparison.bootstrap.resamples},
                {QStringLiteral("seed"), static_cast<qint64>(*seed)}};
            printOut(QString::fromUtf8(
                QJsonDocument(jsonReport(report, options, settings)).toJson(QJsonDocument::Indented)));
        } else if (parser.isSet(csvOpt)) {
            printOut(csvReport(report, options));
        } else {
            const QString header
                = QStringLiteral("%1 queries in the set; grades %2-%3, relevant from %4, %5 gain, rule %6\n")
                      .arg(querySet)
                      .arg(s.lowestGrade)
                      .arg(s.highestGrade)
                      .arg(s.relevanceThreshold)
                      .arg(gainName, QString::fromLatin1(resolutionRuleName(store.resolutionRule())));
            printOut(textReport(report, options, header));
        }
        return int(Success);
    });
}

} // namespace lookalike::cli
