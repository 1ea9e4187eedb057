// Result lists written by another system (its production recommender, a Python notebook), read
// line by line so that every bad line can be reported with its number instead of stopping at
// the first. Three forms, chosen by the file's extension:
//
//   TREC run   (any other extension)  qid Q0 docid rank score tag   (trec_eval's run format)
//   CSV        (.csv)                 header query_id,candidate_id,rank[,score], any column order
//   JSON Lines (.jsonl, .ndjson)      {"query_id": "...", "candidate_id": "...", "rank": 1, "score": 0.9}
//
// Ids are strings (a JSON number id is taken as its text). Ranks are integers >= 1; scores,
// when given, finite numbers. This file knows nothing of projects: which ids exist and which
// queries are in the query set is RunImport's business (core/project/RunImport.h).
//
// Order: a TREC run is ordered as trec_eval orders it (score descending, ties by docid in
// descending byte order; the rank column is checked, not used), so that Lookalike evaluates
// exactly the list trec_eval would. CSV and JSON Lines files are ordered by their rank column.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

enum class RunFileFormat { Trec, Csv, JsonLines };

const char *runFileFormatName(RunFileFormat format); // "TREC run", "CSV", "JSON Lines"
RunFileFormat runFileFormatOf(const std::filesystem::path &file); // by extension

struct RunFileRow {
    int line = 0; // 1-based
    std::string query;
    std::string candidate;
    long long rank = 0;
    std::optional<double> score;
};

struct RunFileProblem {
    int line = 0;
    std::string reason; // one line, values cut to a readable length
};

struct RunFileContents {
    RunFileFormat format = RunFileFormat::Trec;
    std::string tag;                     // TREC: the run's tag (from its first line)
    std::size_t lines = 0;               // data lines read (not blank, comment or header lines)
    std::vector<RunFileRow> rows;        // the well-formed lines, in file order
    std::vector<RunFileProblem> problems; // the malformed lines, skipped, in file order
};

// Throws lookalike::Error naming the file when it cannot be read at all (missing, not a regular
// file, over the TREC file size limit, invalid UTF-8 in the CSV header, a CSV without the
// needed columns); every other problem is a RunFileProblem for its line.
RunFileContents readRunRows(const std::filesystem::path &file);
// The same on text already read (`fileForErrors` names it in messages).
RunFileContents parseRunRows(const std::string &text, RunFileFormat format, const std::string &fileForErrors);

// Orders one query's rows as the format says (see above); `rows` all belong to one query.
void orderRunRows(std::vector<RunFileRow> &rows, RunFileFormat format);

} // namespace lookalike
