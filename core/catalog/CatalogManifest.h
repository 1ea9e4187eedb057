// Reading and validating a product catalog manifest: CSV (with a header row) or JSON Lines.
// Required fields: id, image (relative to the manifest, or absolute), title. Optional:
// category, url. Every other column is kept as an attribute shown to raters.
// Bad rows are rejected with their line number and the reason; the good rows go on.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

struct CatalogRow {
    int line = 0;               // 1-based line where the record starts in the manifest
    std::string id;             // as written (trimmed), unique in the manifest
    std::filesystem::path image; // absolute, lexically normalised
    std::string title;          // UTF-8
    std::string category;       // empty when absent
    std::string url;            // empty when absent
    std::vector<std::pair<std::string, std::string>> attributes; // other columns, in manifest order
};

struct RejectedRow {
    int line = 0;
    std::string id;     // empty if the row has none
    std::string reason; // one line, e.g. "image not found: /data/img/123.jpg"
};

enum class ManifestFormat { Auto, Csv, JsonLines }; // Auto: by extension (.csv, .jsonl/.ndjson), else by content

struct ManifestOptions {
    ManifestFormat format = ManifestFormat::Auto;
    bool strict = false;      // any rejected row is fatal
    bool checkImages = true;  // image exists, is a readable regular file with a known image signature
};

struct ManifestReadResult {
    ManifestFormat format = ManifestFormat::Csv;
    std::vector<std::string> columns; // header (CSV) or union of keys in first-seen order (JSON Lines)
    std::vector<CatalogRow> rows;     // accepted, in manifest order
    std::vector<RejectedRow> rejected;
};

// Throws lookalike::Error naming the file (and line) for problems that stop the whole import:
// file missing or unreadable, a header without id/image/title, a file that is not CSV/JSON
// Lines at all, and, with options.strict, the first rejected row.
ManifestReadResult readCatalogManifest(const std::filesystem::path &manifest, const ManifestOptions &options = {});

// Writes the rejected rows as CSV (line,id,reason) for the user to fix; returns false on I/O failure.
bool writeRejectedRowsReport(const std::filesystem::path &report, const std::vector<RejectedRow> &rejected);

} // namespace lookalike
