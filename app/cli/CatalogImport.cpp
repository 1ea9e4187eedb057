// The catalog options and import summary of `lookalike init` and `lookalike import`.
#include "cli/CatalogImport.h"

namespace lookalike::cli {

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

} // namespace lookalike::cli
