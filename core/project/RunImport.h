// Importing a version from another system's result lists, the use case behind `lookalike
// import-run`: the baseline a team compares against is often its production recommender, which
// can hand over its top-k lists for the query set but not its embeddings.
//
// The version (kind "run") is registered with the file's SHA-256 as its fingerprint, and its
// lists are frozen at the project's depth with the file's scores, ordered as RunFile.h says
// (a TREC run as trec_eval orders it). From then on it is a version like any other for review,
// comparison, blind mode, metrics and export; it has no embeddings, so embedding, search and
// the map refuse it in words (requireEmbeddings in ModelVersion.h).
//
// Lines that cannot be used are reported with their numbers and skipped: malformed lines,
// ids not in the catalog, queries not in the query set, a candidate listed twice for a query, a
// query listed as its own candidate, a rank given twice (CSV, JSON Lines). With `strict`, any
// of them makes the import fail and nothing is imported. The import is one transaction.
#pragma once

#include "core/metrics/RunFile.h"
#include "core/project/ModelVersion.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct RunImportRequest {
    std::filesystem::path file;
    std::string name;
    bool strict = false;
};

struct RunImportReport {
    ModelVersion version;
    RunFileFormat format = RunFileFormat::Trec;
    std::size_t lines = 0;      // data lines in the file
    std::size_t lists = 0;      // queries with a list now
    std::size_t entries = 0;    // candidates frozen (after the cut to `depth`)
    std::size_t cut = 0;        // candidates beyond the depth, left out
    int depth = 0;              // the project's result depth
    bool scores = false;        // the file had scores (CSV / JSON Lines may leave them out; then 0)
    std::size_t queriesWithoutList = 0; // in the query set, absent from the file
    std::vector<RunFileProblem> problems; // every skipped line, in line order
};

// Throws (nothing imported) for an unreadable file, a name taken by another version, a file
// with no usable line, or with `strict` any problem (the message gives the count and the first).
RunImportReport importRun(Project &project, const RunImportRequest &request);

} // namespace lookalike
