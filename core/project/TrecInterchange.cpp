// Projects <-> TREC qrels and run files.
#include "core/project/TrecInterchange.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelVersion.h"
#include "core/project/FrozenLists.h"
#include "core/project/Project.h"
#include "core/project/ProjectSettings.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace lookalike {

namespace {

std::map<std::int64_t, std::string> catalogIds(Project &project)
{
    std::map<std::int64_t, std::string> out;
    for (const auto &[key, id] : project.itemIdsByKey())
        out.emplace(id, key);
    return out;
}

} // namespace

TrecQrels exportQrels(Project &project)
{
    const auto keys = catalogIds(project);
    TrecQrels qrels;
    for (const auto &[pair, grade] : JudgmentStore(project).resolvedGrades())
        qrels[keys.at(pair.first)][keys.at(pair.second)] = grade;
    return qrels;
}

std::string versionFileName(const std::string &prefix, const std::string &modelName)
{
    std::string safe = modelName;
    for (char &c : safe) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
            || c == '-' || c == '_';
        if (!ok)
            c = '_';
    }
    return prefix + "-" + safe + ".txt";
}

std::string runFileName(const std::string &modelName)
{
    return versionFileName("run", modelName);
}

TrecRun exportRun(Project &project, const ModelVersion &version)
{
    const auto keys = catalogIds(project);
    TrecRun run;
    run.tag = version.name;
    forEachFrozenEntry(project, version.id, [&](std::int64_t query, std::int64_t candidate) {
        run.rankings[keys.at(query)].push_back(keys.at(candidate));
    });
    return run;
}

TrecExportReport exportTrecFiles(
    Project &project, const std::filesystem::path &folder, const std::vector<ModelVersion> &versions)
{
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec)
        throw Error(ErrorCode::FileUnreadable, folder.string(), "cannot create the folder: " + ec.message());
    TrecExportReport report;
    const TrecQrels qrels = exportQrels(project);
    for (const auto &[qid, docs] : qrels)
        report.judgedPairs += docs.size();
    report.judgedQueries = qrels.size();
    report.qrelsFile = folder / "qrels.txt";
    writeQrelsFile(report.qrelsFile, qrels);
    const int threshold = project.settings().scale.relevantThreshold;
    for (const ModelVersion &v : versions) {
        TrecVersionExport out;
        out.version = v.name;
        const TrecRun run = exportRun(project, v);
        out.runFile = folder / runFileName(v.name);
        writeRunFile(out.runFile, run);
        out.lists = run.rankings.size();
        // trec_eval 10 exits on a qrels query without results (9.x skipped it): only the queries
        // this run has. The mean is over the same queries either way, so the numbers are eval's.
        TrecQrels cut;
        for (const auto &[qid, docs] : qrels)
            if (run.rankings.count(qid)) {
                cut.emplace(qid, docs);
                out.judgedPairs += docs.size();
            }
        out.judgedQueries = cut.size();
        out.qrelsFile = folder / versionFileName("qrels", v.name);
        writeQrelsFile(out.qrelsFile, cut);
        // P and recip_rank count grade >= 1 as relevant unless told otherwise.
        out.command = "trec_eval " + (threshold != 1 ? "-l " + std::to_string(threshold) + " " : std::string())
            + "-m ndcg_cut.5 -m P.1 " + out.qrelsFile.string() + " " + out.runFile.string();
        report.versions.push_back(std::move(out));
    }
    return report;
}

QrelsImportReport importQrels(
    Project &project, const TrecQrels &qrels, const std::string &rater, const std::string &fileForErrors, bool strict)
{
    JudgmentStore store(project);
    const GradeScale scale = store.gradeScale();
    QrelsImportReport report;
    std::set<std::string> unknownQueries, unknownCandidates;
    std::set<int> offScale;
    std::vector<GradeToImport> grades;
    // One read of the catalog's ids, then lookups: a query per line took 49 s for a million lines.
    const std::map<std::string, std::int64_t> byKey = project.itemIdsByKey();
    const auto idOf = [&](const std::string &key) -> std::optional<std::int64_t> {
        const auto it = byKey.find(key);
        return it == byKey.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
    };
    for (const auto &[qid, judged] : qrels) {
        const auto query = idOf(qid);
        if (!query)
            unknownQueries.insert(qid);
        for (const auto &[docid, grade] : judged) {
            ++report.lines;
            const auto candidate = idOf(docid);
            if (!candidate)
                unknownCandidates.insert(docid);
            if (!scale.contains(grade))
                offScale.insert(grade);
            if (!query || !candidate || !scale.contains(grade)) {
                ++report.skipped;
                continue;
            }
            grades.push_back({*query, *candidate, grade});
        }
    }
    report.unknownQueryIds.assign(unknownQueries.begin(), unknownQueries.end());
    report.unknownCandidateIds.assign(unknownCandidates.begin(), unknownCandidates.end());
    report.offScaleGrades.assign(offScale.begin(), offScale.end());
    if (strict && report.skipped > 0) {
        std::string why;
        if (!report.unknownQueryIds.empty())
            why = "query id '" + report.unknownQueryIds.front() + "' is not in the catalog";
        else if (!report.unknownCandidateIds.empty())
            why = "document id '" + report.unknownCandidateIds.front() + "' is not in the catalog";
        else
            why = "grade " + std::to_string(report.offScaleGrades.front()) + " is not on the project's scale";
        throw Error(ErrorCode::InvalidArgument, fileForErrors,
            why + " (" + std::to_string(report.skipped) + " of " + std::to_string(report.lines)
                + " lines cannot be imported; nothing was imported)");
    }
    report.imported = store.importGrades(grades, rater, "imported from " + fileForErrors);
    report.unchanged = grades.size() - report.imported;
    return report;
}

} // namespace lookalike
