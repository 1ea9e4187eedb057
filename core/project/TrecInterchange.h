// A project's judgments and frozen result lists as TREC files, and judgments from other tools
// back in. The formats and trec_eval's rules are in core/metrics/TrecFiles.h; this file only
// maps between the project (internal item ids) and the files (catalog ids).
//
//   exportQrels:  the resolved grade of every judged pair (the grade the metrics use)
//   exportRun:    one model version's frozen lists of the query set, in Lookalike's rank order
//   importQrels:  qrels written elsewhere, recorded as one rater's grades (so the project's
//                 resolution rule merges them with the other raters'), in one transaction
//
// `trec_eval [-l T] -m ndcg_cut.5 -m P.1 qrels-NAME.txt run-NAME.txt` on the exported files
// gives exactly what `lookalike eval` reports (tests/tst_cli_eval.cpp checks this with a
// trec_eval oracle). trec_eval 10 stops (exit 4) on a qrels query the run lacks, so each
// version gets a qrels file cut to the queries it has lists for; qrels.txt holds every pair.
#pragma once

#include "core/metrics/TrecFiles.h"

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;
struct ModelVersion;

TrecQrels exportQrels(Project &project);
// "run-<name>.txt", with every byte of the model name other than ASCII letters, digits, '.',
// '-' and '_' replaced by '_' so that any name makes a portable file name.
std::string runFileName(const std::string &modelName);
TrecRun exportRun(Project &project, const ModelVersion &version);

// The file name for a version's file: "<prefix>-<name>.txt", with every byte of the name other
// than ASCII letters, digits, '.', '-' and '_' replaced by '_'.
std::string versionFileName(const std::string &prefix, const std::string &modelName);

struct TrecVersionExport {
    std::string version;
    std::filesystem::path runFile;
    std::filesystem::path qrelsFile; // the judged pairs of the queries this run has
    std::size_t lists = 0;
    std::size_t judgedPairs = 0;
    std::size_t judgedQueries = 0;
    std::string command; // the trec_eval command that reproduces `eval` (with -l when needed)
};

struct TrecExportReport {
    std::filesystem::path qrelsFile; // every judged pair (for other tools)
    std::size_t judgedPairs = 0;
    std::size_t judgedQueries = 0;
    std::vector<TrecVersionExport> versions;
};

// Writes <folder>/qrels.txt, and for each version <folder>/run-<name>.txt and
// <folder>/qrels-<name>.txt (the folder is created).
TrecExportReport exportTrecFiles(
    Project &project, const std::filesystem::path &folder, const std::vector<ModelVersion> &versions);

struct QrelsImportReport {
    std::size_t lines = 0; // qrels lines read (judged pairs in the file)
    std::size_t imported = 0; // grades recorded (new or changed)
    std::size_t unchanged = 0; // the rater already had that grade
    std::size_t skipped = 0; // lines not imported: an id not in the catalog or a grade off the scale
    std::vector<std::string> unknownQueryIds; // sorted, each once
    std::vector<std::string> unknownCandidateIds; // sorted, each once
    std::vector<int> offScaleGrades; // sorted, each once
};

// Records `qrels` as `rater`'s grades. Pairs whose ids are not in the catalog or whose grade
// is not on the project's scale are skipped and reported, unless `strict`, when any of them
// makes the import fail (Error(InvalidArgument) naming `fileForErrors`) and nothing is
// recorded. The grades that are recorded go in one transaction: all or nothing.
QrelsImportReport importQrels(
    Project &project, const TrecQrels &qrels, const std::string &rater, const std::string &fileForErrors, bool strict);

} // namespace lookalike
