// Commands around the judgments: `export` (TREC qrels and run files), `import-qrels` (grades from
// other tools, as one rater), `agreement` (between raters) and `settings` (grade scale,
// relevance threshold, resolution rule).
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/project/RaterAgreement.h"
#include "core/project/TrecInterchange.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

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

QString scaleText(const GradeScale &scale)
{
    QStringList levels;
    for (const GradeLevel &l : scale.levels)
        levels << QStringLiteral("%1 %2").arg(l.grade).arg(QString::fromStdString(l.label));
    return levels.join(QStringLiteral(", "));
}

} // namespace

int exportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the project's judgments as TREC qrels (the grade the metrics use, per pair) and every model version's "
        "frozen result lists as TREC run files, so that trec_eval -m ndcg_cut.5 -m P.1 qrels.txt run-NAME.txt gives "
        "what lookalike eval reports. The run's score column is n + 1 - rank, which makes trec_eval rank exactly as "
        "Lookalike does."));
    const QCommandLineOption outOpt(
        QStringLiteral("out"), QStringLiteral("Folder to write qrels.txt and run-NAME.txt to."), QStringLiteral("DIR"));
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
        for (std::size_t i = 0; i < r.runFiles.size(); ++i)
            report += QStringLiteral("%1: %2 result lists of %3\n")
                          .arg(QString::fromStdString(r.runFiles[i].first.string()))
                          .arg(r.runFiles[i].second)
                          .arg(QString::fromStdString(versions[i].name));
        printOut(report);
        return int(Success);
    });
}

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

int agreementCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "How much the raters agree on the pairs they both graded: Cohen's weighted kappa (linear and quadratic "
        "weights) for every pair of raters, Krippendorff's alpha (ordinal) over all raters, and the pairs they "
        "disagree on, largest spread first."));
    const QCommandLineOption excludeOpt(QStringLiteral("exclude"),
        QStringLiteral("Leave a rater out (repeatable), e.g. a silver judge."), QStringLiteral("RATER"));
    const QCommandLineOption limitOpt(QStringLiteral("limit"), QStringLiteral("Disagreements to list (default 20)."),
        QStringLiteral("N"), QStringLiteral("20"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON (every disagreement)."));
    parser.addOptions({excludeOpt, limitOpt, jsonOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    const auto limit = intOption(parser, QStringLiteral("limit"), 0);
    if (!limit)
        return UsageError;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        std::vector<std::string> excluded;
        for (const QString &r : parser.values(excludeOpt))
            excluded.push_back(r.toStdString());
        const AgreementReport report = raterAgreement(JudgmentStore(project), excluded);
        std::map<std::int64_t, std::string> keys;
        {
            std::vector<std::int64_t> ids;
            for (const PairDisagreement &d : report.disagreements)
                ids.insert(ids.end(), {d.queryItemId, d.candidateItemId});
            for (const Item &item : project.items(ids))
                keys.emplace(item.id, item.key);
        }
        if (parser.isSet(jsonOpt)) {
            QJsonArray pairs, disagreements;
            for (const RaterPairAgreement &p : report.pairs)
                pairs.append(QJsonObject{{QStringLiteral("rater_a"), QString::fromStdString(p.raterA)},
                    {QStringLiteral("rater_b"), QString::fromStdString(p.raterB)},
                    {QStringLiteral("items"), p.linear.items},
                    {QStringLiteral("kappa_linear"), jsonNumber(p.linear.kappa)},
                    {QStringLiteral("kappa_quadratic"), jsonNumber(p.quadratic.kappa)},
                    {QStringLiteral("kappa_unweighted"), jsonNumber(p.unweighted.kappa)},
                    {QStringLiteral("observed_agreement"), jsonNumber(p.unweighted.observedAgreement)}});
            for (const PairDisagreement &d : report.disagreements) {
                QJsonObject grades;
                for (const auto &[rater, grade] : d.grades)
                    grades.insert(QString::fromStdString(rater), grade);
                disagreements.append(
                    QJsonObject{{QStringLiteral("query"), QString::fromStdString(keys.at(d.queryItemId))},
                        {QStringLiteral("candidate"), QString::fromStdString(keys.at(d.candidateItemId))},
                        {QStringLiteral("spread"), d.spread}, {QStringLiteral("grades"), grades}});
            }
            QJsonArray raters;
            for (const std::string &r : report.raters)
                raters.append(QString::fromStdString(r));
            const QJsonObject doc{{QStringLiteral("raters"), raters}, {QStringLiteral("pairs"), pairs},
                {QStringLiteral("alpha_ordinal"), jsonNumber(report.alpha.alpha)},
                {QStringLiteral("alpha_pairable_units"), static_cast<qint64>(report.alpha.pairableUnits)},
                {QStringLiteral("disagreements"), disagreements}};
            printOut(QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Indented)));
            return int(Success);
        }
        QString out = QStringLiteral("%1 raters").arg(report.raters.size());
        if (!report.raters.empty()) {
            QStringList names;
            for (const std::string &r : report.raters)
                names << QString::fromStdString(r);
            out += QStringLiteral(": ") + names.join(QStringLiteral(", "));
        }
        out += QLatin1Char('\n');
        if (report.pairs.empty()) {
            out += QStringLiteral("agreement needs at least two raters who graded the same pairs\n");
            printOut(out);
            return int(Success);
        }
        TextTable table({QStringLiteral("rater A"), QStringLiteral("rater B"), QStringLiteral("pairs both graded"),
            QStringLiteral("kappa (linear)"), QStringLiteral("kappa (quadratic)"), QStringLiteral("kappa"),
            QStringLiteral("same grade")});
        for (const RaterPairAgreement &p : report.pairs)
            table.addRow(
                {QString::fromStdString(p.raterA), QString::fromStdString(p.raterB), QString::number(p.linear.items),
                    fixed(p.linear.kappa, 3), fixed(p.quadratic.kappa, 3), fixed(p.unweighted.kappa, 3),
                    p.unweighted.items > 0 ? fixed(100.0 * p.unweighted.observedAgreement, 1) + QStringLiteral(" %")
                                           : QStringLiteral("n/a")});
        out += QLatin1Char('\n') + table.render();
        out += QStringLiteral("\nKrippendorff's alpha (ordinal): %1 over %2 pairs graded by two raters or more\n")
                   .arg(fixed(report.alpha.alpha, 3))
                   .arg(report.alpha.pairableUnits);
        out += QStringLiteral("\n%1 disagreements").arg(report.disagreements.size());
        if (!report.disagreements.empty() && *limit > 0) {
            out += QStringLiteral(", largest spread first:\n");
            TextTable list({QStringLiteral("query"), QStringLiteral("candidate"), QStringLiteral("spread"),
                QStringLiteral("grades")});
            for (std::size_t i = 0; i < report.disagreements.size() && i < static_cast<std::size_t>(*limit); ++i) {
                const PairDisagreement &d = report.disagreements[i];
                QStringList grades;
                for (const auto &[rater, grade] : d.grades)
                    grades << QStringLiteral("%1=%2").arg(QString::fromStdString(rater)).arg(grade);
                list.addRow(
                    {QString::fromStdString(keys.at(d.queryItemId)), QString::fromStdString(keys.at(d.candidateItemId)),
                        QString::number(d.spread), grades.join(QLatin1Char(' '))});
            }
            out += list.render(QStringLiteral("  "));
        } else {
            out += QLatin1Char('\n');
        }
        printOut(out);
        return int(Success);
    });
}

int settingsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Show or change how grades become metrics: the grade scale, the grade from which a candidate "
                       "counts as relevant "
                       "for P@k and MRR, and the rule that resolves several raters' grades of one pair."));
    const QCommandLineOption scaleOpt(QStringLiteral("scale"),
        QStringLiteral("four-level (0-3, default), binary (0-1), or a JSON file {\"levels\": [{\"grade\": 0, "
                       "\"label\": ...}], \"relevant_threshold\": 1}."),
        QStringLiteral("SCALE"));
    const QCommandLineOption thresholdOpt(
        QStringLiteral("threshold"), QStringLiteral("Lowest grade that counts as relevant."), QStringLiteral("G"));
    const QCommandLineOption ruleOpt(
        QStringLiteral("rule"), QStringLiteral("latest, majority, mean or adjudicator."), QStringLiteral("RULE"));
    const QCommandLineOption adjudicatorOpt(QStringLiteral("adjudicator"),
        QStringLiteral("The adjudicator's rater name (for --rule adjudicator)."), QStringLiteral("NAME"));
    const QCommandLineOption dbOpt(QStringLiteral("db"),
        QStringLiteral("Move the judgments to a shared PostgreSQL database (postgresql://user@host[:port]/dbname; "
                       "password from PGPASSWORD or ~/.pgpass), or back to lookalike.db with --db local. Only "
                       "before the first grade."),
        QStringLiteral("URL"));
    parser.addOptions({scaleOpt, thresholdOpt, ruleOpt, adjudicatorOpt, dbOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    std::optional<long long> threshold;
    if (parser.isSet(thresholdOpt) && !(threshold = intOption(parser, QStringLiteral("threshold"), 0)))
        return UsageError;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        if (parser.isSet(dbOpt))
            project.setJudgmentDatabase(parser.value(dbOpt) == QLatin1String("local") ? std::string()
                                                                                      : parser.value(dbOpt).toStdString());
        JudgmentStore store(project);
        if (parser.isSet(scaleOpt) || threshold) {
            GradeScale scale = store.gradeScale();
            if (parser.isSet(scaleOpt)) {
                const QString s = parser.value(scaleOpt);
                if (s == QLatin1String("four-level"))
                    scale = GradeScale::fourLevel();
                else if (s == QLatin1String("binary"))
                    scale = GradeScale::binary();
                else {
                    QFile f(s);
                    if (!f.open(QIODevice::ReadOnly))
                        throw Error(ErrorCode::FileNotFound, s.toStdString(),
                            "cannot read the grade scale (or use four-level or binary)");
                    scale = GradeScale::fromJson(f.readAll().toStdString(), s.toStdString());
                }
            }
            if (threshold) {
                if (*threshold <= scale.lowest() || *threshold > scale.highest())
                    throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
                        "--threshold must be above the lowest grade (" + std::to_string(scale.lowest())
                            + ") and at most the highest (" + std::to_string(scale.highest()) + ")");
                scale.relevantThreshold = static_cast<int>(*threshold);
            }
            store.setGradeScale(scale);
        }
        if (parser.isSet(ruleOpt))
            store.setResolutionRule(
                parseResolutionRule(parser.value(ruleOpt).toStdString()), parser.value(adjudicatorOpt).toStdString());
        else if (parser.isSet(adjudicatorOpt))
            store.setResolutionRule(store.resolutionRule(), parser.value(adjudicatorOpt).toStdString());
        const GradeScale scale = store.gradeScale();
        QString out = QStringLiteral("grade scale:  %1\n").arg(scaleText(scale));
        out += QStringLiteral("relevant:     grade >= %1 (for P@k and MRR; nDCG uses every grade)\n")
                   .arg(scale.relevantThreshold);
        out += QStringLiteral("rule:         %1").arg(QString::fromLatin1(resolutionRuleName(store.resolutionRule())));
        if (store.resolutionRule() == ResolutionRule::Adjudicator)
            out += QStringLiteral(" (%1)").arg(QString::fromStdString(store.adjudicator()));
        out += QStringLiteral("\njudgments:    %1")
                   .arg(QString::fromStdString(project.judgmentDatabaseUrl().value_or(project.databaseFile().string())));
        printOut(out + QLatin1Char('\n'));
        return int(Success);
    });
}

} // namespace lookalike::cli
