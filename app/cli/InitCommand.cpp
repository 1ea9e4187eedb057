// `lookalike init`: a new project folder, its database and its first catalog import.
#include "cli/Cli.h"
#include "cli/CliOutput.h"
#include "cli/CatalogImport.h"

#include "core/Error.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

#include <filesystem>
#include <optional>

namespace lookalike::cli {

namespace fs = std::filesystem;

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

} // namespace lookalike::cli
