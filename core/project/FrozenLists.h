// The frozen result lists: for each (model version, query), the candidates at the depth they
// were frozen, with rank and score, and how they were searched (tables result_lists and
// result_entries). This file is the only one that reads or writes those tables: freezing
// (ModelIndex), the metrics (EvaluationEngine), the silver judge, the raters' progress and
// the TREC export all come through here. Lists are written once per (version, query) and
// change only when refrozen, so readers may cache them until frozenListsStamp() changes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;
struct ModelVersion;

struct ResultEntry {
    int rank = 0; // 1-based
    std::int64_t candidateItemId = 0;
    float score = 0;
};

// One list to store: candidates in rank order with their scores.
struct FrozenList {
    std::int64_t queryItemId = 0;
    std::vector<std::pair<std::int64_t, float>> candidates; // (item id, score), best first
};

// Replaces the lists of these queries for the version (inside the caller's transaction).
void writeFrozenLists(Project &project, std::int64_t modelId, const std::vector<FrozenList> &lists, int depth,
                      const std::string &indexKind);

// One list, best first (empty if there is none).
std::vector<ResultEntry> frozenResultList(const Project &project, const ModelVersion &version, std::int64_t queryItemId);
// Its candidates only, best first.
std::vector<std::int64_t> frozenCandidates(const Project &project, std::int64_t modelId, std::int64_t queryItemId);
// The same with the statement prepared once, for readers that look up many lists.
class FrozenCandidatesReader {
public:
    explicit FrozenCandidatesReader(const Project &project);
    ~FrozenCandidatesReader();
    FrozenCandidatesReader(FrozenCandidatesReader &&) noexcept;
    std::vector<std::int64_t> operator()(std::int64_t modelId, std::int64_t queryItemId);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};
// The queries (any, in the query set or not) the version has a list for.
std::set<std::int64_t> frozenQueries(const Project &project, std::int64_t modelId);
// For every version, the length of each list of a query in the query set: model id ->
// (query, length) sorted by query.
std::map<std::int64_t, std::vector<std::pair<std::int64_t, int>>> frozenListLengths(const Project &project);
// Every entry of the lists of queries in the query set, ordered by model, query, rank.
void forEachFrozenEntry(const Project &project,
                        const std::function<void(std::int64_t modelId, std::int64_t query, std::int64_t candidate)> &f);
// The same for one version.
void forEachFrozenEntry(const Project &project, std::int64_t modelId,
                        const std::function<void(std::int64_t query, std::int64_t candidate)> &f);
// Every distinct (query, candidate) pair of the query set's lists, over all versions.
std::set<std::pair<std::int64_t, std::int64_t>> frozenPairs(const Project &project);
// The versions that have at least one list.
std::vector<std::int64_t> modelsWithFrozenLists(const Project &project);
// Changes whenever a list is frozen or refrozen: (number of lists, latest freeze time).
std::pair<std::int64_t, std::string> frozenListsStamp(const Project &project);
// How the version's lists were searched: the number of lists per index kind ("exact",
// "hnsw", "ivfpq"). An approximate kind means a neighbour the index missed counts against the
// model; `eval` says so.
std::map<std::string, std::int64_t> frozenListsBySearch(const Project &project, const ModelVersion &version);

} // namespace lookalike
