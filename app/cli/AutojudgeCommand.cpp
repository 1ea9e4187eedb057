// `lookalike autojudge`: the silver judge on its own (the demo uses it too), for real catalogs:
// pre-grades every frozen (query, candidate) pair from catalog attributes as a separate rater.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/AutoJudge.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

namespace lookalike::cli {

int autojudgeCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Pre-grade every (query, candidate) pair of the frozen lists from catalog attributes, as a separate rater that "
        "human raters confirm or overrule. The rule is a list of clauses tried in order: the first whose fields all "
        "have "
        "equal values in the query and the candidate gives the grade; '*=G' sets the grade of pairs that match none "
        "(default 0). Example: --rule category+colour=3,category=2,colour=1"));
    const QCommandLineOption ruleOpt(
        QStringLiteral("rule"), QStringLiteral("The rule (see above)."), QStringLiteral("RULE"));
    const QCommandLineOption raterOpt(QStringLiteral("rater"),
        QStringLiteral("The judge's rater name (default silver)."), QStringLiteral("NAME"), QStringLiteral("silver"));
    parser.addOptions({ruleOpt, raterOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(ruleOpt)) {
        printError(QStringLiteral("autojudge needs --rule, e.g. --rule category+colour=3,category=2,colour=1"));
        return UsageError;
    }
    return guarded([&] {
        const AutoJudgeRule rule = parseAutoJudgeRule(parser.value(ruleOpt).toStdString());
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const AutoJudgeReport r = autoJudge(project, rule, parser.value(raterOpt).toStdString());
        printOut(QStringLiteral("%1 pairs judged as %2: %3 grades recorded, %4 unchanged\n")
                     .arg(r.pairs)
                     .arg(parser.value(raterOpt))
                     .arg(r.changed)
                     .arg(r.unchanged));
        return int(Success);
    });
}

} // namespace lookalike::cli
