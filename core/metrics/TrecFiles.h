// TREC qrels and run files: Lookalike's grades and frozen result lists in the format trec_eval
// reads, so that anyone can check Lookalike's numbers with `trec_eval -m ndcg_cut.5 -m P.1
// qrels.txt run.txt`, and the readers for files written elsewhere.
//
//   qrels:  qid 0 docid grade                 (get_qrels.c, te_get_qrels)
//   run:    qid Q0 docid rank score tag       (get_trec_results.c, te_get_trec_results)
//
// Ids (qid, docid, tag) are catalog ids / model names used as they are. trec_eval splits fields on
// whitespace and takes '#' for the start of a comment, so an id must be non-empty and contain no
// ASCII whitespace, no '#' and no NUL; the writers refuse other ids rather than write a file
// trec_eval would misread.
//
// The run's score column is not the cosine score. trec_eval ignores the rank column and ranks
// by score, descending, breaking ties by docid in *descending* strcmp order (form_res_rels.c,
// comp_sim_docno), which differs from Lookalike's order for equal cosines (catalog item id
// ascending). So the writer gives the candidate at rank r of an n-long list the score n + 1 - r:
// distinct integers, exact in text and in a double, strictly decreasing in rank, so trec_eval
// ranks exactly as Lookalike did whatever the real scores were. The real scores stay in the
// project.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

// query id -> (document id -> grade >= 0)
using TrecQrels = std::map<std::string, std::map<std::string, int>>;

struct TrecRun {
    std::string tag; // the run id (last column), for instance the model version's name
    // query id -> document ids in rank order (rank 1 first); a query with no document has no line
    std::map<std::string, std::vector<std::string>> rankings;
};

// Empty if `id` can be written in a TREC file, otherwise why not ("contains whitespace", ...).
std::string trecIdProblem(std::string_view id);

// Lines sorted by query id, then document id (qrels) or rank (run); '\n' line ends, no blank
// line (trec_eval's qrels reader refuses blank lines). Throw lookalike::Error (InvalidArgument)
// for an id trecIdProblem() refuses, a negative grade, or a document twice in one ranking.
std::string formatQrels(const TrecQrels &qrels);
std::string formatRun(const TrecRun &run);

// Parsing, with the rules of trec_eval's readers, stricter where trec_eval silently reads
// garbage (atol / atof of a non-number). Blank lines and lines starting with '#' (after
// optional whitespace) are skipped; CR LF line ends are fine. Qrels lines need exactly 4
// fields and an integer grade >= 0 (trec_eval reads a negative grade as "pooled but not judged",
// which Lookalike has no use for); run lines need at least 6 fields (trec_eval ignores any
// after the tag), an integer rank and a finite score, and one tag for the whole file. A
// document judged twice for a query, or listed twice in a ranking, is an error, as in
// trec_eval (te_form_res_rels: "duplicate docs"). Errors are lookalike::Error (BadTrecFile)
// naming `fileForErrors` and the 1-based line.
//
// parseRun orders each ranking as trec_eval does: score descending, ties by docid descending
// (byte order, as strcmp); the rank column is checked but not used.
TrecQrels parseQrels(std::string_view text, const std::string &fileForErrors);
TrecRun parseRun(std::string_view text, const std::string &fileForErrors);

// Files. The writers replace the file (FileUnreadable if it cannot be written); the readers
// throw FileNotFound / FileUnreadable, then as the parsers.
void writeQrelsFile(const std::filesystem::path &file, const TrecQrels &qrels);
void writeRunFile(const std::filesystem::path &file, const TrecRun &run);
TrecQrels readQrelsFile(const std::filesystem::path &file);
TrecRun readRunFile(const std::filesystem::path &file);

} // namespace lookalike
