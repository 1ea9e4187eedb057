// importRun (see RunImport.h).
#include "core/project/RunImport.h"

#include "core/Error.h"
#include "core/project/FrozenLists.h"
#include "core/project/Project.h"
#include "core/util/Utf8.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>
#include <set>

namespace lookalike {

namespace {

std::string problemsSummary(const std::vector<RunFileProblem> &problems)
{
    const RunFileProblem &first = problems.front();
    return std::to_string(problems.size()) + (problems.size() == 1 ? " line" : " lines")
         + " cannot be used; the first, line " + std::to_string(first.line) + ": " + first.reason
         + " (nothing was imported: --strict)";
}

} // namespace

RunImportReport importRun(Project &project, const RunImportRequest &request)
{
    const std::string file = request.file.string();
    RunFileContents contents = readRunRows(request.file);
    RunImportReport report;
    report.format = contents.format;
    report.lines = contents.lines;
    report.depth = project.resultDepth();
    std::vector<RunFileProblem> &problems = report.problems;
    problems = std::move(contents.problems);

    // Ids to items; rows grouped by query, each row checked against the catalog, the query set
    // and the rows before it.
    const std::map<std::string, std::int64_t> ids = project.itemIdsByKey();
    const std::vector<std::int64_t> querySet = project.queryItemIds();
    const std::set<std::int64_t> inQuerySet(querySet.begin(), querySet.end());
    std::map<std::int64_t, std::vector<RunFileRow>> byQuery;
    std::map<std::pair<std::int64_t, std::string>, int> firstLine;     // (query, candidate) -> line
    std::map<std::pair<std::int64_t, long long>, int> firstRankLine;   // (query, rank) -> line
    bool allScored = !contents.rows.empty();
    for (RunFileRow &row : contents.rows) {
        const auto q = ids.find(row.query);
        if (q == ids.end()) {
            problems.push_back({row.line, "query " + quotedForMessage(row.query) + " is not in the catalog"});
            continue;
        }
        if (!inQuerySet.count(q->second)) {
            problems.push_back({row.line, "query " + quotedForMessage(row.query)
                                              + " is not in the query set (lookalike queries --from adds it)"});
            continue;
        }
        if (ids.find(row.candidate) == ids.end()) {
            problems.push_back({row.line, "candidate " + quotedForMessage(row.candidate) + " is not in the catalog"});
            continue;
        }
        if (row.candidate == row.query) {
            problems.push_back({row.line, "query " + quotedForMessage(row.query) + " is listed as its own candidate"});
            continue;
        }
        const auto [seen, fresh] = firstLine.emplace(std::make_pair(q->second, row.candidate), row.line);
        if (!fresh) {
            problems.push_back({row.line, "candidate " + quotedForMessage(row.candidate) + " is listed twice for query "
                                              + quotedForMessage(row.query) + " (first on line "
                                              + std::to_string(seen->second) + ")"});
            continue;
        }
        if (contents.format != RunFileFormat::Trec) {
            // The rank is the order in these forms, so it must say one thing.
            const auto [rankSeen, rankFresh] = firstRankLine.emplace(std::make_pair(q->second, row.rank), row.line);
            if (!rankFresh) {
                firstLine.erase({q->second, row.candidate});
                problems.push_back({row.line, "rank " + std::to_string(row.rank) + " is given twice for query "
                                                  + quotedForMessage(row.query) + " (first on line "
                                                  + std::to_string(rankSeen->second) + ")"});
                continue;
            }
        }
        allScored = allScored && row.score.has_value();
        byQuery[q->second].push_back(std::move(row));
    }
    std::sort(problems.begin(), problems.end(),
              [](const RunFileProblem &a, const RunFileProblem &b) { return a.line < b.line; });
    if (request.strict && !problems.empty())
        throw Error(ErrorCode::BadTrecFile, file, problemsSummary(problems));
    if (byQuery.empty())
        throw Error(ErrorCode::BadTrecFile, file,
                    problems.empty() ? std::string("holds no result line")
                                     : "no line can be used (" + std::to_string(problems.size())
                                           + " skipped; the first, line " + std::to_string(problems.front().line)
                                           + ": " + problems.front().reason + ")");

    std::vector<FrozenList> lists;
    lists.reserve(byQuery.size());
    for (auto &[query, rows] : byQuery) {
        orderRunRows(rows, contents.format);
        FrozenList &list = lists.emplace_back();
        list.queryItemId = query;
        const std::size_t keep = std::min(rows.size(), static_cast<std::size_t>(report.depth));
        report.cut += rows.size() - keep;
        for (std::size_t i = 0; i < keep; ++i)
            list.candidates.emplace_back(ids.at(rows[i].candidate), static_cast<float>(rows[i].score.value_or(0.0)));
        report.entries += keep;
    }
    report.lists = lists.size();
    report.scores = allScored;
    report.queriesWithoutList = inQuerySet.size() - byQuery.size();

    ModelVersion candidate;
    candidate.name = request.name;
    candidate.kind = ModelKind::Run;
    candidate.source = request.file;
    candidate.fingerprint = sha256OfFile(request.file);
    candidate.dimension = 0;
    QJsonObject config{{QStringLiteral("format"), QString::fromLatin1(runFileFormatName(contents.format))}};
    if (!contents.tag.empty())
        config.insert(QStringLiteral("tag"), QString::fromStdString(contents.tag));
    candidate.config = QJsonDocument(config).toJson(QJsonDocument::Compact).toStdString();

    project.inTransaction([&] {
        report.version = registerModelVersion(project, candidate);
        writeFrozenLists(project, report.version.id, lists, report.depth, "run");
        if (!project.hasResultDepth())
            project.setResultDepth(report.depth); // as the first index records it
    });
    return report;
}

} // namespace lookalike
