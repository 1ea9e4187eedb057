// Assignments, progress and the raters' heartbeat.
#include "core/project/RaterBoard.h"

#include "core/Error.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/FrozenLists.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace lookalike {

namespace {

// Fisher-Yates with the raw generator: the same order for the same seed on every platform
// (std::shuffle's use of the generator is left to the library).
template<typename T>
void shuffleSeeded(std::vector<T> &v, std::mt19937_64 &rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[static_cast<std::size_t>(rng() % i)]);
}

} // namespace

Assignment planAssignment(const std::vector<std::int64_t> &queries, const std::vector<std::string> &raters,
                          double overlap, std::uint64_t seed)
{
    if (raters.empty())
        throw Error(ErrorCode::InvalidArgument, {}, "an assignment needs at least one rater");
    if (std::set<std::string>(raters.begin(), raters.end()).size() != raters.size())
        throw Error(ErrorCode::InvalidArgument, {}, "a rater is named twice");
    for (const std::string &r : raters)
        if (r.empty() || r.size() > 100)
            throw Error(ErrorCode::InvalidArgument, {}, "a rater name must have 1 to 100 characters");
    if (!(overlap >= 0.0 && overlap <= 1.0))
        throw Error(ErrorCode::InvalidArgument, {}, "the overlap must be between 0 and 1");
    if (overlap > 0.0 && raters.size() < 2)
        throw Error(ErrorCode::InvalidArgument, {}, "an overlap needs at least two raters");
    if (queries.empty())
        throw Error(ErrorCode::InvalidArgument, {}, "the project has no queries to assign (add some with `lookalike queries`)");
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> order(queries);
    std::sort(order.begin(), order.end());
    shuffleSeeded(order, rng);
    Assignment out;
    std::vector<std::int64_t> load(raters.size(), 0);
    std::map<std::int64_t, std::size_t> primary;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::size_t r = i % raters.size();
        out[order[i]].push_back(raters[r]);
        primary[order[i]] = r;
        ++load[r];
    }
    const auto doubled = static_cast<std::size_t>(std::llround(overlap * static_cast<double>(order.size())));
    // The shared queries are taken from each first rater in turn (each rater's own queries in a
    // seeded order), so that the second copies, too, spread evenly.
    shuffleSeeded(order, rng);
    std::vector<std::vector<std::int64_t>> byFirst(raters.size());
    for (auto it = order.rbegin(); it != order.rend(); ++it)
        byFirst[primary[*it]].push_back(*it); // reversed: pop_back() takes them in `order`
    std::vector<std::int64_t> shared;
    for (std::size_t r = 0; shared.size() < doubled; r = (r + 1) % raters.size())
        if (!byFirst[r].empty()) {
            shared.push_back(byFirst[r].back());
            byFirst[r].pop_back();
        }
    for (std::int64_t query : shared) {
        const std::size_t first = primary[query];
        // The least loaded other rater; ties go to the next one after the first rater.
        std::size_t best = (first + 1) % raters.size();
        for (std::size_t k = 2; k < raters.size(); ++k) {
            const std::size_t r = (first + k) % raters.size();
            if (load[r] < load[best])
                best = r;
        }
        out[query].push_back(raters[best]);
        ++load[best];
    }
    return out;
}

RaterBoard::RaterBoard(Project &project)
    : m_project(project)
{
}

std::int64_t RaterBoard::raterId(const std::string &name)
{
    return m_project.judgmentDatabase().raterId(name);
}

Assignment RaterBoard::assign(const std::vector<std::string> &raters, double overlap, std::uint64_t seed,
                              const std::vector<std::int64_t> &onlyQueries)
{
    const Assignment plan = planAssignment(onlyQueries.empty() ? m_project.queryItemIds() : onlyQueries, raters, overlap, seed);
    JudgmentDatabase &db = m_project.judgmentDatabase();
    db.inTransaction("assignments", [&] {
        std::map<std::string, std::int64_t> ids;
        for (const std::string &r : raters)
            ids[r] = raterId(r);
        execSql(db.database(), db.label(), QStringLiteral("DELETE FROM assignments"));
        Sql insert(db.database(), db.label(),
                   QStringLiteral("INSERT INTO assignments (query_item_id, rater_id, ordinal, assigned_at) VALUES (?, ?, ?, ?)"));
        const std::string now = nowIso8601();
        for (const auto &[query, names] : plan)
            for (std::size_t i = 0; i < names.size(); ++i)
                insert.bind(query).bind(ids.at(names[i])).bind(static_cast<std::int64_t>(i)).bind(now).exec();
    });
    return plan;
}

Assignment RaterBoard::assignment() const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(),
          QStringLiteral("SELECT a.query_item_id, r.name FROM assignments a JOIN raters r ON r.id = a.rater_id "
                         "ORDER BY a.query_item_id, a.ordinal"));
    Assignment out;
    for (q.exec(); q.next();)
        out[q.int64(0)].push_back(q.text(1));
    return out;
}

std::vector<std::int64_t> RaterBoard::assignedQueries(const std::string &rater) const
{
    std::vector<std::int64_t> out;
    for (const auto &[query, names] : assignment())
        if (std::find(names.begin(), names.end(), rater) != names.end())
            out.push_back(query);
    return out;
}

void RaterBoard::setCurrentQuery(const std::string &rater, std::optional<std::int64_t> query)
{
    JudgmentDatabase &db = m_project.judgmentDatabase();
    db.inTransaction(rater, kHeartbeatWaitMs, [&] {
        Sql(db.database(), db.label(),
            QStringLiteral("INSERT INTO rater_activity (rater_id, query_item_id, seen_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (rater_id) DO UPDATE SET query_item_id = excluded.query_item_id, "
                           "seen_at = excluded.seen_at"))
            .bind(raterId(rater))
            .bind(query ? QVariant(static_cast<qlonglong>(*query)) : QVariant())
            .bind(nowIso8601())
            .exec();
    });
}

const std::vector<std::int64_t> &RaterBoard::candidatesOf(std::int64_t query) const
{
    if (const auto it = m_candidates.find(query); it != m_candidates.end())
        return it->second;
    std::vector<std::int64_t> &out = m_candidates[query];
    FrozenCandidatesReader candidates(m_project);
    for (std::int64_t model : m_modelIds)
        for (const std::int64_t candidate : candidates(model, query))
            out.push_back(candidate);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<RaterStatus> RaterBoard::progress() const
{
    // The candidates of a query are the union of its frozen lists (catalog side, SQLite); the
    // cache of them holds while no list has been frozen or refrozen since.
    {
        const std::pair<std::int64_t, std::string> now = frozenListsStamp(m_project);
        if (now != m_listsStamp) {
            m_candidates.clear();
            m_modelIds = modelsWithFrozenLists(m_project);
            m_listsStamp = now;
        }
    }
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    std::map<std::string, RaterStatus> byName;
    std::map<std::string, std::map<std::int64_t, std::int64_t>> graded; // rater -> query -> graded candidates
    {
        Sql q(db.database(), db.label(), QStringLiteral("SELECT name FROM raters"));
        for (q.exec(); q.next();)
            byName[q.text(0)].rater = q.text(0);
    }
    {
        Sql q(db.database(), db.label(),
              QStringLiteral("SELECT r.name, j.query_item_id, j.candidate_item_id FROM current_judgments j "
                             "JOIN raters r ON r.id = j.rater_id"));
        for (q.exec(); q.next();) {
            RaterStatus &s = byName[q.text(0)];
            ++s.grades;
            const std::vector<std::int64_t> &listed = candidatesOf(q.int64(1));
            if (std::binary_search(listed.begin(), listed.end(), q.int64(2)))
                ++graded[q.text(0)][q.int64(1)];
        }
    }
    {
        Sql q(db.database(), db.label(),
              QStringLiteral("SELECT r.name, a.query_item_id, a.seen_at FROM rater_activity a JOIN raters r ON r.id = a.rater_id"));
        for (q.exec(); q.next();) {
            RaterStatus &s = byName[q.text(0)];
            if (!q.value(1).isNull())
                s.currentQuery = q.int64(1);
            s.lastSeen = q.text(2);
        }
    }
    const Assignment assigned = assignment();
    std::map<std::string, std::vector<std::int64_t>> queriesOf;
    for (const auto &[query, names] : assigned)
        for (const std::string &name : names)
            queriesOf[name].push_back(query);
    // Only queries with a graded listed candidate can be done or in progress: count those, among
    // the rater's assigned queries (or, without an assignment, the query set).
    std::optional<std::set<std::int64_t>> querySet;
    std::vector<RaterStatus> out;
    for (auto &[name, s] : byName) {
        s.rater = name;
        const auto mine = queriesOf.find(name);
        s.assigned = mine == queriesOf.end() ? 0 : static_cast<std::int64_t>(mine->second.size());
        const std::map<std::int64_t, std::int64_t> &gradedByQuery = graded[name];
        if (gradedByQuery.empty()) {
            out.push_back(s);
            continue;
        }
        std::set<std::int64_t> assignedSet;
        if (mine != queriesOf.end()) {
            assignedSet.insert(mine->second.begin(), mine->second.end());
        } else if (!querySet) {
            const std::vector<std::int64_t> ids = m_project.queryItemIds();
            querySet.emplace(ids.begin(), ids.end());
        }
        const std::set<std::int64_t> &counted = mine != queriesOf.end() ? assignedSet : *querySet;
        for (const auto &[query, done] : gradedByQuery) {
            if (!counted.count(query))
                continue;
            const auto total = static_cast<std::int64_t>(candidatesOf(query).size());
            if (total > 0 && done >= total)
                ++s.done;
            else if (done > 0)
                ++s.inProgress;
        }
        out.push_back(s);
    }
    return out;
}

std::pair<std::int64_t, std::int64_t> RaterBoard::eventStamp() const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(), QStringLiteral("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM judgment_events"));
    q.exec();
    q.next();
    return {q.int64(0), q.int64(1)};
}

std::vector<std::int64_t> RaterBoard::queriesChangedSince(std::int64_t eventId) const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(),
          QStringLiteral("SELECT DISTINCT query_item_id FROM judgment_events WHERE id > ? ORDER BY query_item_id"));
    std::vector<std::int64_t> out;
    for (q.bind(eventId).exec(); q.next();)
        out.push_back(q.int64(0));
    return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> RaterBoard::pairsChangedSince(std::int64_t eventId,
                                                                                std::int64_t *events) const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(),
          QStringLiteral("SELECT query_item_id, candidate_item_id, COUNT(*) FROM judgment_events WHERE id > ? "
                         "GROUP BY query_item_id, candidate_item_id ORDER BY query_item_id, candidate_item_id"));
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    *events = 0;
    for (q.bind(eventId).exec(); q.next();) {
        out.emplace_back(q.int64(0), q.int64(1));
        *events += q.int64(2);
    }
    return out;
}

} // namespace lookalike
