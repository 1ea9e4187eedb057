// Reading another system's result lists (see RunFile.h for the forms and the order).
#include "core/metrics/RunFile.h"

#include "core/Error.h"
#include "core/util/CsvReader.h"
#include "core/util/RegularFile.h"
#include "core/util/TextLines.h"
#include "core/util/Utf8.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace lookalike {

namespace {

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && isAsciiSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isAsciiSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

// A whole-field number (spaces around it allowed: a CSV cell may hold them).
template <typename T> bool parseNumber(std::string_view s, T &value, bool *outOfRange = nullptr)
{
    return parseWholeNumber(trimmed(s), value, outOfRange);
}

// Rank and score checks shared by the three forms: the reason, or empty.
std::string checkRank(std::string_view text, long long &rank)
{
    bool outOfRange = false;
    if (!parseNumber(text, rank, &outOfRange))
        return "the rank " + quotedForMessage(text) + (outOfRange ? " is out of range" : " is not an integer");
    if (rank < 1)
        return "the rank " + quotedForMessage(text) + " is below 1";
    return {};
}

std::string checkScore(std::string_view text, double &score)
{
    if (!parseNumber(text, score) || !std::isfinite(score))
        return "the score " + quotedForMessage(text) + " is not a finite number";
    return {};
}

std::string checkId(std::string_view id, const char *what)
{
    if (id.empty())
        return std::string(what) + " is empty";
    if (!isValidUtf8(id))
        return std::string(what) + " " + quotedForMessage(id) + " is not valid UTF-8";
    return {};
}

class Reader {
public:
    explicit Reader(RunFileContents &out)
        : m_out(out)
    {
    }
    void problem(int line, std::string reason) { m_out.problems.push_back({line, std::move(reason)}); }

    // Checks the ids, rank and score of a row in any form and keeps it, or records why not.
    void add(RunFileRow row, std::string_view rankText, std::optional<std::string_view> scoreText)
    {
        std::string reason = checkId(row.query, "the query id");
        if (reason.empty())
            reason = checkId(row.candidate, "the candidate id");
        if (reason.empty())
            reason = checkRank(rankText, row.rank);
        if (reason.empty() && scoreText) {
            double score = 0;
            reason = checkScore(*scoreText, score);
            row.score = score;
        }
        if (!reason.empty())
            return problem(row.line, std::move(reason));
        m_out.rows.push_back(std::move(row));
    }

private:
    RunFileContents &m_out;
};

void parseTrec(std::string_view text, RunFileContents &out)
{
    Reader reader(out);
    int tagLine = 0;
    forEachLine(text, [&](int number, std::string_view raw) {
        const std::vector<std::string_view> fields = splitFields(raw);
        if (fields.empty() || fields.front().front() == '#')
            return; // blank line or comment, as trec_eval skips them
        ++out.lines;
        if (raw.find('\0') != std::string_view::npos)
            return reader.problem(number, "contains a NUL byte");
        if (fields.size() < 6)
            return reader.problem(number, "expected 6 fields (query id, Q0, candidate id, rank, score, tag), found "
                                              + std::to_string(fields.size()));
        if (tagLine == 0) {
            out.tag = std::string(fields[5]);
            tagLine = number;
        } else if (fields[5] != out.tag) {
            return reader.problem(number, "run tag " + quotedForMessage(fields[5]) + " differs from "
                                              + quotedForMessage(out.tag) + " on line " + std::to_string(tagLine)
                                              + " (one run per file)");
        }
        reader.add({number, std::string(fields[0]), std::string(fields[2]), 0, {}}, fields[3], fields[4]);
    });
}

void parseCsv(std::string_view text, const std::string &file, RunFileContents &out)
{
    Reader reader(out);
    CsvReader csv(text);
    CsvRecord rec;
    if (!csv.next(rec))
        throw Error(ErrorCode::BadTrecFile, file, "the file is empty (a CSV header query_id,candidate_id,rank[,score] is needed)");
    if (!rec.problem.empty())
        throw Error(ErrorCode::BadTrecFile, file, "line " + std::to_string(rec.line) + " (header)", rec.problem);
    int query = -1, candidate = -1, rank = -1, score = -1;
    for (std::size_t i = 0; i < rec.cells.size(); ++i) {
        std::string name(trimmed(rec.cells[i]));
        if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0)
            name.erase(0, 3); // a byte-order mark, as spreadsheets write it
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        int *slot = name == "query_id" ? &query : name == "candidate_id" ? &candidate : name == "rank" ? &rank
                  : name == "score"    ? &score : nullptr;
        if (slot && *slot >= 0)
            throw Error(ErrorCode::BadTrecFile, file, "line " + std::to_string(rec.line) + " (header)",
                        "column " + quotedForMessage(name) + " appears twice");
        if (slot)
            *slot = static_cast<int>(i);
    }
    if (query < 0 || candidate < 0 || rank < 0)
        throw Error(ErrorCode::BadTrecFile, file, "line " + std::to_string(rec.line) + " (header)",
                    "the header needs the columns query_id, candidate_id and rank (score is optional)");
    const auto needed = static_cast<std::size_t>(std::max({query, candidate, rank, score})) + 1;
    while (csv.next(rec)) {
        ++out.lines;
        if (!rec.problem.empty()) {
            reader.problem(rec.line, rec.problem);
            continue;
        }
        if (rec.cells.size() < needed) {
            reader.problem(rec.line, "expected " + std::to_string(needed) + " columns, found " + std::to_string(rec.cells.size()));
            continue;
        }
        std::optional<std::string_view> scoreText;
        if (score >= 0 && !trimmed(rec.cells[std::size_t(score)]).empty())
            scoreText = rec.cells[std::size_t(score)];
        reader.add({rec.line, std::string(trimmed(rec.cells[std::size_t(query)])),
                    std::string(trimmed(rec.cells[std::size_t(candidate)])), 0, {}},
                   rec.cells[std::size_t(rank)], scoreText);
    }
}

// A JSON id: a string, or a number written as its text (ids like 1042 are common).
bool jsonId(const QJsonValue &v, std::string &out)
{
    if (v.isString()) {
        out = v.toString().toStdString();
        return true;
    }
    if (v.isDouble() && std::isfinite(v.toDouble()) && v.toDouble() == std::floor(v.toDouble())
        && std::abs(v.toDouble()) < 9007199254740992.0) {
        out = std::to_string(static_cast<long long>(v.toDouble()));
        return true;
    }
    return false;
}

void parseJsonLines(std::string_view text, RunFileContents &out)
{
    Reader reader(out);
    forEachLine(text, [&](int number, std::string_view line) {
        const std::string_view raw = trimmed(line);
        if (raw.empty())
            return;
        ++out.lines;
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(
            QByteArray::fromRawData(raw.data(), static_cast<qsizetype>(raw.size())), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            reader.problem(number, error.error != QJsonParseError::NoError
                                       ? "not valid JSON: " + error.errorString().toStdString()
                                       : std::string("expected a JSON object"));
            return;
        }
        const QJsonObject o = doc.object();
        RunFileRow row;
        row.line = number;
        if (!jsonId(o.value(QStringLiteral("query_id")), row.query)) {
            reader.problem(number, "\"query_id\" is missing or not a string");
            return;
        }
        if (!jsonId(o.value(QStringLiteral("candidate_id")), row.candidate)) {
            reader.problem(number, "\"candidate_id\" is missing or not a string");
            return;
        }
        const QJsonValue rank = o.value(QStringLiteral("rank"));
        if (!rank.isDouble()) {
            reader.problem(number, "\"rank\" is missing or not a number");
            return;
        }
        // The numbers go through the text checks, so that every form says the same things.
        const double r = rank.toDouble();
        const std::string rankText = r == std::floor(r) && std::abs(r) < 9.2e18 ? std::to_string(static_cast<long long>(r))
                                                                                 : QString::number(r, 'g', 17).toStdString();
        std::optional<std::string> scoreText;
        const QJsonValue score = o.value(QStringLiteral("score"));
        if (!score.isUndefined() && !score.isNull()) {
            if (!score.isDouble()) {
                reader.problem(number, "\"score\" is not a number");
                return;
            }
            scoreText = QString::number(score.toDouble(), 'g', 17).toStdString();
        }
        reader.add(std::move(row), rankText, scoreText ? std::optional<std::string_view>(*scoreText) : std::nullopt);
    });
}

} // namespace

const char *runFileFormatName(RunFileFormat format)
{
    switch (format) {
    case RunFileFormat::Trec:
        return "TREC run";
    case RunFileFormat::Csv:
        return "CSV";
    case RunFileFormat::JsonLines:
        return "JSON Lines";
    }
    return "?";
}

RunFileFormat runFileFormatOf(const std::filesystem::path &file)
{
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".csv")
        return RunFileFormat::Csv;
    if (ext == ".jsonl" || ext == ".ndjson")
        return RunFileFormat::JsonLines;
    return RunFileFormat::Trec;
}

RunFileContents parseRunRows(const std::string &text, RunFileFormat format, const std::string &fileForErrors)
{
    RunFileContents out;
    out.format = format;
    switch (format) {
    case RunFileFormat::Trec:
        parseTrec(text, out);
        break;
    case RunFileFormat::Csv:
        parseCsv(text, fileForErrors, out);
        break;
    case RunFileFormat::JsonLines:
        parseJsonLines(text, out);
        break;
    }
    return out;
}

RunFileContents readRunRows(const std::filesystem::path &file)
{
    return parseRunRows(readRegularFile(file, kTrecFileLimit), runFileFormatOf(file), file.string());
}

void orderRunRows(std::vector<RunFileRow> &rows, RunFileFormat format)
{
    if (format == RunFileFormat::Trec) {
        // trec_eval's form_res_rels.c, comp_sim_docno: score descending, then docno descending
        // (strcmp; std::string compares bytes as unsigned char).
        std::stable_sort(rows.begin(), rows.end(), [](const RunFileRow &a, const RunFileRow &b) {
            if (*a.score != *b.score)
                return *a.score > *b.score;
            return a.candidate > b.candidate;
        });
    } else {
        std::stable_sort(rows.begin(), rows.end(), [](const RunFileRow &a, const RunFileRow &b) { return a.rank < b.rank; });
    }
}

} // namespace lookalike
