// `lookalike settings`: show or change the grade scale, relevance threshold, resolution rule and
// judgment database.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/util/RegularFile.h"

#include <QCommandLineParser>
#include <QFile>

namespace lookalike::cli {

namespace {

QString scaleText(const GradeScale &scale)
{
    QStringList levels;
    for (const GradeLevel &l : scale.levels)
        levels << QStringLiteral("%1 %2").arg(l.grade).arg(QString::fromStdString(l.label));
    return levels.join(QStringLiteral(", "));
}

} // namespace

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
                    requireRegularFile(s.toStdString(), kJsonSettingsLimit);
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
