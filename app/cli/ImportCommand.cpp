// `lookalike import`: (re-)importing a catalog manifest into a project.
#include "cli/Cli.h"
#include "cli/CliOutput.h"
#include "cli/CatalogImport.h"

#include "core/Error.h"
#include "core/project/Project.h"

#include <QCommandLineParser>

namespace lookalike::cli {

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
                QString::fromStdString(oneLineMessage(e)) + QStringLiteral(" (nothing was imported; the project is unchanged)"));
            return 1;
        }
        printOut(importSummary(report));
        return int(Success);
    });
}

} // namespace lookalike::cli
