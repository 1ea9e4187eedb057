// Adding queries, the use case behind `lookalike queries`, the GUI's "add as query" and the
// demo: the items join the query set, then their result lists are frozen for every version
// that has an index, at the project's result depth, so every front end freezes alike. A version
// imported from a run file cannot list new queries; the report names it.
#pragma once

#include "core/project/ModelIndex.h"
#include "core/project/ModelVersion.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct AddQueriesReport {
    std::int64_t added = 0; // new to the query set
    int depth = 0;          // the depth the lists were frozen at
    struct Frozen {
        ModelVersion version;
        FreezeReport report;
    };
    std::vector<Frozen> frozen; // per version with an index, in the project's order
    // Versions imported from another system's lists (import-run): the new queries have no list
    // under them until their run is imported again with those queries.
    std::vector<ModelVersion> withoutNewLists;
};

// A seeded sample of `count` catalog items not yet in the query set (byCategory: stratified,
// proportional allocation; see QuerySampler.h), and the source label to record with them.
struct QuerySample {
    std::vector<std::int64_t> items;
    std::string source; // "sample n=N seed=S[ by=category]"
};
QuerySample sampleNewQueries(const Project &project, std::int64_t count, std::uint64_t seed, bool byCategory);

// source: where the queries came from (recorded with them). depth: default the project's.
AddQueriesReport addQueriesAndFreeze(Project &project, const std::vector<std::int64_t> &itemIds,
                                     const std::string &source, std::optional<int> depth = {});

} // namespace lookalike
