// `lookalike queries`: adding queries to the set (sampled or from a file) and freezing their lists.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/AddQueries.h"
#include "core/project/Project.h"
#include "core/project/QuerySampler.h"
#include "core/util/RegularFile.h"

#include <QCommandLineParser>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

namespace lookalike::cli {

namespace fs = std::filesystem;

int queriesCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Add items to the project's query set: a seeded random sample (optionally stratified by "
                       "category) or the ids listed in a file. Result lists of every indexed model version are "
                       "then frozen for the new queries."));
    const QCommandLineOption sampleOpt(QStringLiteral("sample"), QStringLiteral("Number of queries to draw."), QStringLiteral("N"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."), QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption byOpt(QStringLiteral("by"), QStringLiteral("Stratify the sample by this attribute (only 'category')."), QStringLiteral("ATTRIBUTE"));
    const QCommandLineOption fromOpt(QStringLiteral("from"), QStringLiteral("File of catalog ids, one per line."), QStringLiteral("FILE"));
    const QCommandLineOption depthOpt(QStringLiteral("depth"), QStringLiteral("Result-list depth for freezing (default: the project's, 10)."), QStringLiteral("K"));
    parser.addOptions({sampleOpt, seedOpt, byOpt, fromOpt, depthOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (parser.isSet(sampleOpt) == parser.isSet(fromOpt)) {
        printError(QStringLiteral("queries needs exactly one of --sample N or --from FILE"));
        return UsageError;
    }
    if (parser.isSet(byOpt) && parser.value(byOpt) != QLatin1String("category")) {
        printError(QStringLiteral("--by supports 'category' only"));
        return UsageError;
    }
    if (parser.isSet(depthOpt) && !intOption(parser, QStringLiteral("depth"), 1))
        return UsageError;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        std::vector<std::int64_t> chosen;
        std::string source;
        QString report;
        if (parser.isSet(sampleOpt)) {
            const auto n = intOption(parser, QStringLiteral("sample"), 1);
            const auto seed = intOption(parser, QStringLiteral("seed"), 0);
            if (!n || !seed)
                return int(UsageError);
            QuerySample sample = sampleNewQueries(project, *n, static_cast<std::uint64_t>(*seed), parser.isSet(byOpt));
            chosen = std::move(sample.items);
            source = std::move(sample.source);
            if (static_cast<std::int64_t>(chosen.size()) < *n)
                report += QStringLiteral("only %1 items were left to sample from\n").arg(chosen.size());
        } else {
            const fs::path file = parser.value(fromOpt).toStdString();
            requireRegularFile(file, kIdListLimit);
            std::ifstream in(file);
            if (!in)
                throw Error(fs::exists(file) ? ErrorCode::FileUnreadable : ErrorCode::FileNotFound, file.string(),
                            "cannot read the ids file");
            std::vector<std::string> unknown;
            std::string line;
            while (std::getline(in, line)) {
                const auto b = line.find_first_not_of(" \t\r");
                const auto e = line.find_last_not_of(" \t\r");
                if (b == std::string::npos)
                    continue;
                const std::string id = line.substr(b, e - b + 1);
                if (auto item = project.findItem(id))
                    chosen.push_back(item->id);
                else
                    unknown.push_back(id);
            }
            source = "file " + fs::absolute(file).lexically_normal().string();
            if (!unknown.empty()) {
                QStringList examples;
                for (std::size_t i = 0; i < std::min<std::size_t>(5, unknown.size()); ++i)
                    examples << QString::fromStdString(unknown[i]);
                report += QStringLiteral("%1 ids of %2 are not in the catalog (skipped): %3%4\n")
                              .arg(unknown.size())
                              .arg(QString::fromStdString(file.string()), examples.join(QStringLiteral(", ")),
                                   unknown.size() > 5 ? QStringLiteral(", ...") : QString());
            }
        }
        std::optional<int> depth;
        if (parser.isSet(QStringLiteral("depth"))) {
            const auto value = intOption(parser, QStringLiteral("depth"), 1);
            if (!value)
                return int(UsageError);
            depth = static_cast<int>(std::min<long long>(*value, 100000));
        }
        const AddQueriesReport added = addQueriesAndFreeze(project, chosen, source, depth);
        report += QStringLiteral("added %1 queries (%2 in the query set)\n").arg(added.added).arg(project.queryItemIds().size());
        for (const AddQueriesReport::Frozen &f : added.frozen)
            report += QStringLiteral("%1: froze %2 result lists at depth %3%4\n")
                          .arg(QString::fromStdString(f.version.name))
                          .arg(f.report.frozen)
                          .arg(added.depth)
                          .arg(f.report.notEmbedded ? QStringLiteral(" (%1 queries have no embedding)").arg(f.report.notEmbedded)
                                                    : QString());
        for (const ModelVersion &v : added.withoutNewLists)
            report += QStringLiteral("%1: imported from a run file; the new queries have no list under it until its run "
                                     "is imported again with them (lookalike import-run)\n")
                          .arg(QString::fromStdString(v.name));
        printOut(report);
        return int(Success);
    });
}

} // namespace lookalike::cli
