// `lookalike report`: the evaluation report, one self-contained HTML page.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/report/EvaluationReport.h"

#include <QCommandLineParser>

namespace lookalike::cli {

int reportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the evaluation report: one self-contained HTML page (thumbnails inline, no network, no script) with "
        "every version's metrics and judged@5, the comparison with the first version (95 % intervals, p-values, "
        "wins/ties/losses), the per-query nDCG@5 distribution, the breakdown by category, the raters' agreement, and "
        "the worst queries and largest differences as rows of images with their grades. It opens in any browser and "
        "prints to A4 PDF. --blind numbers the versions instead of naming them."));
    const QCommandLineOption outOpt(QStringLiteral("out"), QStringLiteral("The HTML file to write."), QStringLiteral("FILE"));
    const QCommandLineOption modelsOpt(QStringLiteral("models"),
        QStringLiteral("Versions in order, comma-separated; the first is the baseline (default: all)."), QStringLiteral("A,B"));
    const QCommandLineOption blindOpt(QStringLiteral("blind"), QStringLiteral("Hide the versions' names (version 1, 2, ...)."));
    const QCommandLineOption byOpt(QStringLiteral("by"),
        QStringLiteral("The breakdown's field: category (default), title, url or a manifest column."), QStringLiteral("FIELD"),
        QStringLiteral("category"));
    const QCommandLineOption worstOpt(
        QStringLiteral("worst"), QStringLiteral("Worst queries and largest differences shown (default 5)."), QStringLiteral("N"));
    const QCommandLineOption gainOpt(
        QStringLiteral("gain"), QStringLiteral("linear (default) or exponential."), QStringLiteral("KIND"), QStringLiteral("linear"));
    parser.addOptions({outOpt, modelsOpt, blindOpt, byOpt, worstOpt, gainOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(outOpt)) {
        printError(QStringLiteral("report needs --out FILE"));
        return UsageError;
    }
    const QString gain = parser.value(gainOpt);
    if (gain != QLatin1String("linear") && gain != QLatin1String("exponential")) {
        printError(QStringLiteral("--gain must be linear or exponential, not '%1'").arg(gain));
        return UsageError;
    }
    ReportOptions options;
    if (parser.isSet(worstOpt)) {
        const auto worst = intOption(parser, QStringLiteral("worst"), 0);
        if (!worst)
            return UsageError;
        options.worst = options.gaps = static_cast<std::size_t>(std::min<long long>(*worst, 1000));
    }
    for (const QString &name : parser.value(modelsOpt).split(QLatin1Char(','), Qt::SkipEmptyParts))
        options.models.push_back(name.trimmed().toStdString());
    options.blind = parser.isSet(blindOpt);
    options.groupBy = parser.value(byOpt).toStdString();
    options.gain = gain == QLatin1String("exponential") ? GainKind::Exponential : GainKind::Linear;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const ReportSummary s = writeEvaluationReport(project, parser.value(outOpt).toStdString(), options);
        QString text = QStringLiteral("%1: %2 versions, %3 queries in the set, %4 images inline, %5 KiB\n")
                           .arg(QString::fromStdString(s.file.string()))
                           .arg(s.versions)
                           .arg(s.queries)
                           .arg(s.thumbnails)
                           .arg((s.bytes + 1023) / 1024);
        if (s.missingImages > 0)
            text += QStringLiteral("%1 images could not be read: shown as \"image unavailable\"\n").arg(s.missingImages);
        printOut(text);
        return int(Success);
    });
}

} // namespace lookalike::cli
