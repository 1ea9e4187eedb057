// Writing and reading TREC qrels and run files (see TrecFiles.h for the format and choices).
#include "core/metrics/TrecFiles.h"

#include "core/Error.h"
#include "core/util/RegularFile.h"
#include "core/util/TextLines.h"
#include "core/util/Utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>

namespace lookalike {

namespace {

std::string inQuotes(std::string_view whole)
{
    return quotedForMessage(whole);
}

[[noreturn]] void invalid(const std::string &problem)
{
    throw Error(ErrorCode::InvalidArgument, std::string(), problem);
}

void checkId(std::string_view id, const char *what)
{
    const std::string problem = trecIdProblem(id);
    if (!problem.empty())
        invalid(std::string(what) + " " + inQuotes(id) + " cannot be written to a TREC file: " + problem);
}

// One content line, split on whitespace.
struct Line {
    int number = 0;
    std::vector<std::string_view> fields;
};

// Calls `onLine` for each line that is neither blank nor a comment.
template <typename F> void forEachContentLine(std::string_view text, const std::string &file, F &&onLine)
{
    forEachLine(text, [&](int number, std::string_view raw) {
        if (raw.find('\0') != std::string_view::npos)
            throw Error(ErrorCode::BadTrecFile, file, "line " + std::to_string(number), "contains a NUL byte");
        Line line{number, splitFields(raw)};
        if (!line.fields.empty() && line.fields.front().front() != '#')
            onLine(line);
    });
}

[[noreturn]] void badLine(const std::string &file, int line, const std::string &problem)
{
    throw Error(ErrorCode::BadTrecFile, file, "line " + std::to_string(line), problem);
}

void writeWholeFile(const std::filesystem::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw Error(ErrorCode::FileUnreadable, path.string(), "cannot write file");
}

} // namespace

std::string trecIdProblem(std::string_view id)
{
    if (id.empty())
        return "it is empty";
    for (char c : id) {
        if (isAsciiSpace(c))
            return "it contains whitespace (TREC fields are separated by whitespace)";
        if (c == '#')
            return "it contains '#' (trec_eval takes '#' for the start of a comment)";
        if (c == '\0')
            return "it contains a NUL byte";
    }
    return {};
}

std::string formatQrels(const TrecQrels &qrels)
{
    std::string out;
    for (const auto &[query, grades] : qrels) {
        if (!grades.empty())
            checkId(query, "query id");
        for (const auto &[doc, grade] : grades) {
            checkId(doc, "document id");
            if (grade < 0)
                invalid("query " + inQuotes(query) + ", document " + inQuotes(doc) + ": negative grade "
                    + std::to_string(grade));
            // The second column ("iteration") is ignored by trec_eval; 0 by custom.
            out += query + " 0 " + doc + ' ' + std::to_string(grade) + '\n';
        }
    }
    return out;
}

std::string formatRun(const TrecRun &run)
{
    checkId(run.tag, "run tag");
    std::string out;
    for (const auto &[query, docs] : run.rankings) {
        if (!docs.empty())
            checkId(query, "query id");
        std::set<std::string_view> seen;
        const std::size_t n = docs.size();
        for (std::size_t i = 0; i < n; ++i) {
            checkId(docs[i], "document id");
            if (!seen.insert(docs[i]).second)
                invalid("query " + inQuotes(query) + ": document " + inQuotes(docs[i]) + " is ranked twice");
            // Score n + 1 - rank: strictly decreasing, so trec_eval's sort (score descending,
            // then docid) never needs its tie-break and keeps this order.
            const std::size_t rank = i + 1;
            out += query + " Q0 " + docs[i] + ' ' + std::to_string(rank) + ' ' + std::to_string(n + 1 - rank) + ' '
                + run.tag + '\n';
        }
    }
    return out;
}

TrecQrels parseQrels(std::string_view text, const std::string &fileForErrors)
{
    TrecQrels qrels;
    std::map<std::pair<std::string, std::string>, int> firstLine;
    forEachContentLine(text, fileForErrors, [&](const Line &line) {
        // te_get_qrels / parse_qrels_line: exactly qid, iteration, docno, rel.
        if (line.fields.size() != 4)
            badLine(fileForErrors, line.number,
                "expected 4 fields (query id, iteration, document id, grade), found "
                    + std::to_string(line.fields.size()));
        const std::string query(line.fields[0]);
        const std::string doc(line.fields[2]);
        int grade = 0;
        bool outOfRange = false;
        if (!parseWholeNumber(line.fields[3], grade, &outOfRange))
            badLine(fileForErrors, line.number,
                    "the grade " + inQuotes(line.fields[3])
                        + (outOfRange ? " is out of range (grades are small integers)" : " is not an integer"));
        if (grade < 0)
            badLine(fileForErrors, line.number,
                "negative grade " + std::to_string(grade)
                    + " (trec_eval reads it as pooled but not judged; Lookalike grades are >= 0)");
        const auto [it, inserted] = firstLine.emplace(std::make_pair(query, doc), line.number);
        if (!inserted)
            badLine(fileForErrors, line.number,
                "document " + inQuotes(doc) + " is judged twice for query " + inQuotes(query) + " (first on line "
                    + std::to_string(it->second) + ")");
        qrels[query][doc] = grade;
    });
    return qrels;
}

TrecRun parseRun(std::string_view text, const std::string &fileForErrors)
{
    struct Scored {
        double score;
        std::string doc;
    };
    std::map<std::string, std::vector<Scored>> scored;
    std::map<std::pair<std::string, std::string>, int> firstLine;
    TrecRun run;
    int tagLine = 0;
    forEachContentLine(text, fileForErrors, [&](const Line &line) {
        // te_get_trec_results / parse_results_line: qid, iteration, docno, rank, sim, run_id;
        // anything after run_id is ignored.
        if (line.fields.size() < 6)
            badLine(fileForErrors, line.number,
                "expected 6 fields (query id, Q0, document id, rank, score, tag), found "
                    + std::to_string(line.fields.size()));
        const std::string query(line.fields[0]);
        const std::string doc(line.fields[2]);
        long long rank = 0;
        bool rankOutOfRange = false;
        if (!parseWholeNumber(line.fields[3], rank, &rankOutOfRange))
            badLine(fileForErrors, line.number,
                    "the rank " + inQuotes(line.fields[3]) + (rankOutOfRange ? " is out of range" : " is not an integer"));
        double score = 0.0;
        if (!parseWholeNumber(line.fields[4], score) || !std::isfinite(score))
            badLine(fileForErrors, line.number, "the score " + inQuotes(line.fields[4]) + " is not a finite number");
        if (tagLine == 0) {
            run.tag = std::string(line.fields[5]);
            tagLine = line.number;
        } else if (line.fields[5] != run.tag) {
            badLine(fileForErrors, line.number,
                "run tag " + inQuotes(line.fields[5]) + " differs from " + inQuotes(run.tag) + " on line "
                    + std::to_string(tagLine) + " (one run per file)");
        }
        const auto [it, inserted] = firstLine.emplace(std::make_pair(query, doc), line.number);
        if (!inserted)
            badLine(fileForErrors, line.number,
                "document " + inQuotes(doc) + " is listed twice for query " + inQuotes(query) + " (first on line "
                    + std::to_string(it->second) + ")");
        scored[query].push_back({score, doc});
    });
    for (auto &[query, docs] : scored) {
        // form_res_rels.c, comp_sim_docno: sim descending, then strcmp(p2->docno, p1->docno),
        // i.e. docno descending. std::string compares bytes as unsigned char, as strcmp does.
        std::sort(docs.begin(), docs.end(), [](const Scored &a, const Scored &b) {
            if (a.score != b.score)
                return a.score > b.score;
            return a.doc > b.doc;
        });
        std::vector<std::string> &ranking = run.rankings[query];
        ranking.reserve(docs.size());
        for (Scored &d : docs)
            ranking.push_back(std::move(d.doc));
    }
    return run;
}

void writeQrelsFile(const std::filesystem::path &file, const TrecQrels &qrels)
{
    writeWholeFile(file, formatQrels(qrels));
}

void writeRunFile(const std::filesystem::path &file, const TrecRun &run)
{
    writeWholeFile(file, formatRun(run));
}

TrecQrels readQrelsFile(const std::filesystem::path &file)
{
    return parseQrels(readRegularFile(file, kTrecFileLimit), file.string());
}

TrecRun readRunFile(const std::filesystem::path &file)
{
    return parseRun(readRegularFile(file, kTrecFileLimit), file.string());
}

} // namespace lookalike
