// `lookalike init`, `import`, `queries` and `models`: creating a project, its catalog, its
// query set, and listing its model versions.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/AddQueries.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/project/QuerySampler.h"

#include <QCommandLineParser>

#include <fstream>
#include <optional>
#include <map>
#include <set>

namespace lookalike::cli {

namespace fs = std::filesystem;

namespace {

QString importSummary(const CatalogImportReport &r)
{
    QString text = QStringLiteral("catalog: %1 rows accepted (%2 added, %3 updated, %4 unchanged), %5 rejected\n")
                       .arg(r.accepted)
                       .arg(r.added)
                       .arg(r.updated)
                       .arg(r.unchanged)
                       .arg(r.rejected);
    if (!r.rejectedReport.empty())
        text += QStringLiteral("rejected rows are listed in %1\n").arg(QString::fromStdString(r.rejectedReport.string()));
    if (r.notInManifest > 0)
        text += QStringLiteral("%1 items of the project are not in this manifest; they are kept\n").arg(r.notInManifest);
    return text;
}

ManifestOptions manifestOptions(const QCommandLineParser &parser)
{
    ManifestOptions options;
    options.strict = parser.isSet(QStringLiteral("strict"));
    return options;
}

const QCommandLineOption kCatalogOption(QStringLiteral("catalog"),
                                        QStringLiteral("Catalog manifest: CSV with a header row, or JSON Lines."),
                                        QStringLiteral("FILE"));
const QCommandLineOption kStrictOption(QStringLiteral("strict"), QStringLiteral("Any rejected row stops the import."));

// The result-list depth: --depth if given, else the project's, else 10.

} // namespace

int initCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Create a Lookalike project folder and import its catalog."));
    const QCommandLineOption dbOpt(QStringLiteral("db"),
        QStringLiteral("Keep the judgments in a shared PostgreSQL database, postgresql://user@host[:port]/dbname "
                       "(password from PGPASSWORD or ~/.pgpass), instead of the project's lookalike.db."),
        QStringLiteral("URL"));
    parser.addOptions({kCatalogOption, kStrictOption, dbOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(kCatalogOption)) {
        printError(QStringLiteral("init needs --catalog FILE"));
        return UsageError;
    }
    return guarded([&] {
        const fs::path folder = parser.positionalArguments().at(0).toStdString();
        const bool folderExisted = fs::exists(folder);
        std::optional<Project> project(Project::create(folder));
        try {
            if (parser.isSet(dbOpt)) // first: an unreachable database leaves no project behind
                project->setJudgmentDatabase(parser.value(dbOpt).toStdString());
            const CatalogImportReport report
                = project->importCatalog(parser.value(kCatalogOption).toStdString(), manifestOptions(parser));
            printOut(QStringLiteral("created project %1\n").arg(QString::fromStdString(project->folder().string()))
                     + (parser.isSet(dbOpt) ? QStringLiteral("judgments: %1\n").arg(parser.value(dbOpt)) : QString())
                     + importSummary(report));
        } catch (...) {
            // A manifest that cannot be imported at all leaves no half-made project behind.
            project.reset();
            std::error_code ec;
            for (const char *name : {"lookalike.db", "lookalike.db-wal", "lookalike.db-shm", "rejected-rows.csv"})
                fs::remove(folder / name, ec);
            if (!folderExisted)
                fs::remove(folder, ec);
            throw;
        }
        return int(Success);
    });
}

int importCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Import (or re-import) a catalog manifest into a project. New ids are added, changed rows "
                       "updated; running it twice changes nothing."));
    parser.addOptions({kCatalogOption, kStrictOption});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(kCatalogOption)) {
        printError(QStringLiteral("import needs --catalog FILE"));
        return UsageError;
    }
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        CatalogImportReport report;
        try {
            report = project.importCatalog(parser.value(kCatalogOption).toStdString(), manifestOptions(parser));
        } catch (const std::exception &e) {
            // importCatalog changes nothing unless it succeeds (one transaction, the report swapped in with it).
            printError(
                QString::fromUtf8(e.what()) + QStringLiteral(" (nothing was imported; the project is unchanged)"));
            return 1;
        }
        printOut(importSummary(report));
        return int(Success);
    });
}

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
        printOut(report);
        return int(Success);
    });
}

int modelsCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the project's model versions."));
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const auto versions = modelVersions(project);
        if (versions.empty()) {
            printOut(QStringLiteral("no model versions yet; add one with `lookalike index`\n"));
            return int(Success);
        }
        QString out = QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                          .arg(QStringLiteral("name").leftJustified(20), QStringLiteral("kind").leftJustified(11),
                               QStringLiteral("dim").rightJustified(5), QStringLiteral("embedded").rightJustified(9),
                               QStringLiteral("failed").rightJustified(6), QStringLiteral("index").leftJustified(6),
                               QStringLiteral("fingerprint"));
        for (const ModelVersion &v : versions) {
            const EmbeddingCounts counts = embeddingCounts(project, v);
            const std::optional<std::string> index = recordedIndexKind(project, v);
            out += QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                       .arg(QString::fromStdString(v.name).leftJustified(20), QString::fromLatin1(modelKindName(v.kind)).leftJustified(11))
                       .arg(v.dimension, 5)
                       .arg(counts.embedded, 9)
                       .arg(counts.failed, 6)
                       .arg(QString::fromStdString(index.value_or("-")).leftJustified(6),
                            QString::fromStdString(v.fingerprint.substr(0, 12)));
        }
        printOut(out);
        return int(Success);
    });
}

} // namespace lookalike::cli
