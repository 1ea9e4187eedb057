// `lookalike agreement`: agreement between raters (weighted kappa, Krippendorff's alpha) and their disagreements.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/RaterAgreement.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace lookalike::cli {

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

} // namespace lookalike::cli
