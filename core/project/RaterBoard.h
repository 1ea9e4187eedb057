// Who grades what, and how far everyone is: query assignments (`lookalike assign`), each
// rater's progress (`lookalike progress`, the GUI's rater panel) and the query each rater is on
// now (a heartbeat the GUI writes when a rater moves to a query). Kept in the judgment
// database, so raters sharing a PostgreSQL database see each other live.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

// query item id -> its raters (one, or two for the overlap share)
using Assignment = std::map<std::int64_t, std::vector<std::string>>;

// Every query to exactly one rater, balanced (counts differ by at most one) in a seeded random
// order; then a share `overlap` (0..1) of the queries, also seeded, to a second, different
// rater, again the least loaded one, so raters' agreement can be measured on them.
Assignment planAssignment(const std::vector<std::int64_t> &queries, const std::vector<std::string> &raters,
                          double overlap, std::uint64_t seed);

struct RaterStatus {
    std::string rater;
    std::int64_t assigned = 0;   // queries assigned to the rater
    std::int64_t done = 0;       // of those (of all queries, if none is assigned): every candidate graded
    std::int64_t inProgress = 0; // some but not every candidate graded
    std::int64_t grades = 0;     // current grades given, on any query
    std::optional<std::int64_t> currentQuery; // the query they are on now (the GUI's heartbeat)
    std::string lastSeen;                     // ISO 8601 UTC of the heartbeat; empty: never
};

class RaterBoard {
public:
    explicit RaterBoard(Project &project);

    // Replaces the whole assignment (grades already given are kept: a query that changes hands
    // keeps its grades, and they count for whoever gave them). Throws InvalidArgument for no
    // raters, a rater named twice, overlap outside 0..1, overlap > 0 with one rater, no queries.
    // `onlyQueries`, when not empty, assigns those queries alone (those of the judging planner's
    // next pairs, `assign --plan`): each query, and so each of its pairs, to one rater.
    Assignment assign(const std::vector<std::string> &raters, double overlap, std::uint64_t seed,
                      const std::vector<std::int64_t> &onlyQueries = {});
    Assignment assignment() const;
    std::vector<std::int64_t> assignedQueries(const std::string &rater) const;

    // The rater is now on `query` (nothing: on none); also records when they were last seen.
    // Waits at most kHeartbeatWaitMs for another writer (then throws DatabaseLocked): a
    // heartbeat must not hold up the rater's next query.
    static constexpr int kHeartbeatWaitMs = 300;
    void setCurrentQuery(const std::string &rater, std::optional<std::int64_t> query);

    // Every rater who has graded, is assigned or has been seen, by name.
    std::vector<RaterStatus> progress() const;

    // Changes whenever anyone records a judgment event: (event count, largest event id).
    std::pair<std::int64_t, std::int64_t> eventStamp() const;
    // Queries with events after `eventId`, for refreshing their metrics.
    std::vector<std::int64_t> queriesChangedSince(std::int64_t eventId) const;
    // The (query, candidate) pairs with events after `eventId`, and the events' count.
    std::vector<std::pair<std::int64_t, std::int64_t>> pairsChangedSince(std::int64_t eventId, std::int64_t *events) const;

private:
    std::int64_t raterId(const std::string &name);
    // The candidates of a query's frozen lists (sorted, unique), read by primary key and kept:
    // progress() runs every 2 s in the GUI and needs them only for queries someone has judged,
    // so it never scans every list of a big project. Forgotten when any list is (re)frozen.
    const std::vector<std::int64_t> &candidatesOf(std::int64_t query) const;
    Project &m_project;
    mutable std::map<std::int64_t, std::vector<std::int64_t>> m_candidates;
    mutable std::pair<std::int64_t, std::string> m_listsStamp{-1, {}}; // (lists, latest frozen_at)
    mutable std::vector<std::int64_t> m_modelIds;
};

} // namespace lookalike
