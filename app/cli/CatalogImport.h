// What `lookalike init` and `lookalike import` share: the catalog options and the import summary.
#pragma once

#include "core/catalog/CatalogManifest.h"
#include "core/project/Project.h" // CatalogImportReport

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

namespace lookalike::cli {

extern const QCommandLineOption kCatalogOption; // --catalog FILE
extern const QCommandLineOption kStrictOption;  // --strict
ManifestOptions manifestOptions(const QCommandLineParser &parser);
QString importSummary(const CatalogImportReport &report);

} // namespace lookalike::cli
