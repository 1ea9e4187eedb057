// addQueriesAndFreeze (see AddQueries.h).
#include "core/project/AddQueries.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/QuerySampler.h"

#include <set>

namespace lookalike {

QuerySample sampleNewQueries(const Project &project, std::int64_t count, std::uint64_t seed, bool byCategory)
{
    const std::vector<std::int64_t> existing = project.queryItemIds();
    const std::set<std::int64_t> already(existing.begin(), existing.end());
    std::vector<std::pair<std::int64_t, std::string>> candidates;
    for (auto &c : project.itemCategories())
        if (!already.count(c.first))
            candidates.push_back(std::move(c));
    QuerySample sample;
    sample.items = sampleQueries(candidates, count, seed, byCategory);
    sample.source = "sample n=" + std::to_string(count) + " seed=" + std::to_string(seed) + (byCategory ? " by=category" : "");
    return sample;
}

AddQueriesReport addQueriesAndFreeze(Project &project, const std::vector<std::int64_t> &itemIds,
                                     const std::string &source, std::optional<int> depth)
{
    AddQueriesReport report;
    report.added = project.addQueries(itemIds, source);
    project.reloadSettings(); // a long-lived project (the GUI's) may hold settings changed since
    report.depth = depth.value_or(project.resultDepth());
    for (const ModelVersion &version : modelVersions(project)) {
        if (version.kind == ModelKind::Run) {
            if (report.added > 0)
                report.withoutNewLists.push_back(version);
            continue;
        }
        if (!recordedIndexFile(project, version))
            continue; // no index yet: its lists are frozen when it is indexed
        report.frozen.push_back({version, freezeResultLists(project, version, report.depth, false, false)});
    }
    return report;
}

} // namespace lookalike
