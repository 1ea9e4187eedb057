// Judgments: the event history, current grades, undo/redo, resolution across raters.
#include "core/project/JudgmentStore.h"

#include "core/Error.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"
#include "core/util/JsonFields.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>

#include <algorithm>
#include <cmath>

namespace lookalike {

// ---------------------------------------------------------------- store

namespace {

constexpr const char *kScaleKey = ProjectSettings::kScaleKey;
constexpr const char *kRuleKey = ProjectSettings::kRuleKey;
constexpr const char *kAdjudicatorKey = ProjectSettings::kAdjudicatorKey;

std::optional<int> optionalInt(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toInt();
}

QVariant toVariant(std::optional<int> v)
{
    return v ? QVariant(*v) : QVariant();
}

JudgmentEvent eventFromRow(const Sql &q)
{
    // id, query, candidate, rater name, old, new, note, kind, at
    JudgmentEvent e;
    e.id = q.int64(0);
    e.queryItemId = q.int64(1);
    e.candidateItemId = q.int64(2);
    e.rater = q.text(3);
    e.oldGrade = optionalInt(q.value(4));
    e.newGrade = optionalInt(q.value(5));
    e.note = q.text(6);
    e.kind = q.text(7);
    e.at = q.text(8);
    return e;
}

const QString kEventSelect = QStringLiteral(
    "SELECT e.id, e.query_item_id, e.candidate_item_id, r.name, e.old_grade, e.new_grade, e.note, e.kind, e.at "
    "FROM judgment_events e JOIN raters r ON r.id = e.rater_id");

// A rater's undo and redo stacks, replayed from their events.
struct UndoStacks {
    std::vector<std::int64_t> done;   // events that can be undone, latest last
    std::vector<std::int64_t> undone; // events that can be redone, latest last
};

UndoStacks replay(JudgmentDatabase &db, std::int64_t raterId)
{
    Sql q(db.database(), db.label(),
          QStringLiteral("SELECT id, kind, target FROM judgment_events WHERE rater_id = ? ORDER BY id"));
    UndoStacks s;
    for (q.bind(raterId).exec(); q.next();) {
        const std::string kind = q.text(1);
        if (kind == "undo") {
            if (!s.done.empty())
                s.done.pop_back();
            s.undone.push_back(q.int64(2));
        } else if (kind == "redo") {
            if (!s.undone.empty())
                s.undone.pop_back();
            s.done.push_back(q.int64(0));
        } else { // a new grade (or import) starts a new branch: nothing to redo
            s.done.push_back(q.int64(0));
            s.undone.clear();
        }
    }
    return s;
}

} // namespace

JudgmentStore::JudgmentStore(Project &project)
    : m_project(project)
{
}

GradeScale JudgmentStore::gradeScale() const
{
    return m_project.settings().scale;
}

void JudgmentStore::setGradeScale(const GradeScale &scale)
{
    GradeScale::fromJson(scale.toJson(), "grade scale"); // validates
    // A scale that would strand grades already given would silently change the metrics.
    for (const Judgment &j : judgments())
        if (!scale.contains(j.grade))
            throw Error(ErrorCode::InvalidArgument, m_project.databaseFile().string(),
                        "the new grade scale has no grade " + std::to_string(j.grade) + ", which " + j.rater
                            + " has given; change or clear those grades first");
    m_project.setSetting(kScaleKey, scale.toJson());
}

ResolutionRule JudgmentStore::resolutionRule() const
{
    return m_project.settings().rule;
}

std::string JudgmentStore::adjudicator() const
{
    return m_project.settings().adjudicator;
}

void JudgmentStore::setResolutionRule(ResolutionRule rule, const std::string &adjudicatorName)
{
    if (rule == ResolutionRule::Adjudicator && adjudicatorName.empty())
        throw Error(ErrorCode::InvalidArgument, {}, "the adjudicator rule needs the adjudicator's rater name");
    m_project.inTransaction([&] {
        m_project.setSetting(kRuleKey, resolutionRuleName(rule));
        m_project.setSetting(kAdjudicatorKey, adjudicatorName);
    });
}

std::int64_t JudgmentStore::raterId(const std::string &name)
{
    return m_project.judgmentDatabase().raterId(name);
}

JudgmentEvent JudgmentStore::append(std::int64_t query, std::int64_t candidate, std::int64_t rater,
                                    const std::string &raterName, std::optional<int> newGrade, const std::string &note,
                                    const char *kind, std::optional<std::int64_t> target)
{
    JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql current(db.database(), db.label(),
                QStringLiteral("SELECT new_grade FROM judgment_events WHERE query_item_id = ? AND candidate_item_id = ? "
                               "AND rater_id = ? ORDER BY id DESC LIMIT 1"));
    current.bind(query).bind(candidate).bind(rater).exec();
    JudgmentEvent e;
    e.queryItemId = query;
    e.candidateItemId = candidate;
    e.rater = raterName;
    e.oldGrade = current.next() ? optionalInt(current.value(0)) : std::nullopt;
    e.newGrade = newGrade;
    e.note = note;
    e.kind = kind;
    e.at = nowIso8601();
    // RETURNING (SQLite >= 3.35 and PostgreSQL) rather than lastInsertId(), which QPSQL lacks.
    Sql insert(db.database(), db.label(),
               QStringLiteral("INSERT INTO judgment_events (query_item_id, candidate_item_id, rater_id, old_grade, "
                              "new_grade, note, kind, target, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    insert.bind(query).bind(candidate).bind(rater).bind(toVariant(e.oldGrade)).bind(toVariant(e.newGrade)).bind(note)
        .bind(std::string(kind))
        .bind(target ? QVariant(static_cast<qlonglong>(*target)) : QVariant())
        .bind(e.at)
        .exec();
    insert.next();
    e.id = insert.int64(0);
    insert.finish();
    return e;
}

JudgmentEvent JudgmentStore::grade(std::int64_t query, std::int64_t candidate, const std::string &rater,
                                   std::optional<int> grade, const std::string &note)
{
    if (grade && !gradeScale().contains(*grade))
        throw Error(ErrorCode::InvalidArgument, m_project.databaseFile().string(),
                    "grade " + std::to_string(*grade) + " is not on the project's scale ("
                        + std::to_string(gradeScale().lowest()) + " to " + std::to_string(gradeScale().highest()) + ")");
    // The catalog is in the project's SQLite file even when the judgments are not (no foreign
    // key can span the two), so item ids are checked there; items are never deleted.
    Sql items(m_project.database(), m_project.databaseFile().string(),
              QStringLiteral("SELECT COUNT(*) FROM items WHERE id IN (?, ?)"));
    items.bind(query).bind(candidate).exec();
    items.next();
    if (items.int64(0) != (query == candidate ? 1 : 2))
        throw Error(ErrorCode::InvalidArgument, m_project.databaseFile().string(),
                    "no catalog item with internal id " + std::to_string(query) + " or " + std::to_string(candidate));
    items.finish();
    return m_project.judgmentDatabase().inTransaction(rater, [&] {
        return append(query, candidate, raterId(rater), rater, grade, note, "grade", std::nullopt);
    });
}

std::size_t JudgmentStore::importGrades(const std::vector<GradeToImport> &grades, const std::string &rater,
                                       const std::string &note)
{
    const GradeScale scale = gradeScale();
    const std::string file = m_project.databaseFile().string();
    for (const GradeToImport &g : grades)
        if (!scale.contains(g.grade))
            throw Error(ErrorCode::InvalidArgument, file,
                        "grade " + std::to_string(g.grade) + " is not on the project's scale ("
                            + std::to_string(scale.lowest()) + " to " + std::to_string(scale.highest()) + ")");
    Sql item(m_project.database(), file, QStringLiteral("SELECT 1 FROM items WHERE id = ?"));
    for (const GradeToImport &g : grades)
        for (std::int64_t itemId : {g.queryItemId, g.candidateItemId}) {
            item.bind(itemId).exec();
            if (!item.next())
                throw Error(ErrorCode::InvalidArgument, file, "no catalog item with internal id " + std::to_string(itemId));
        }
    item.finish();
    JudgmentDatabase &db = m_project.judgmentDatabase();
    return db.inTransaction(rater, [&] {
        const std::int64_t id = raterId(rater);
        Sql current(db.database(), db.label(),
                    QStringLiteral("SELECT new_grade FROM judgment_events WHERE query_item_id = ? AND "
                                   "candidate_item_id = ? AND rater_id = ? ORDER BY id DESC LIMIT 1"));
        std::size_t changed = 0;
        for (const GradeToImport &g : grades) {
            current.bind(g.queryItemId).bind(g.candidateItemId).bind(id).exec();
            const bool same = current.next() && !current.value(0).isNull() && current.value(0).toInt() == g.grade;
            current.finish();
            if (same)
                continue;
            append(g.queryItemId, g.candidateItemId, id, rater, g.grade, note, "import", std::nullopt);
            ++changed;
        }
        return changed;
    });
}

std::optional<JudgmentEvent> JudgmentStore::undo(const std::string &rater)
{
    JudgmentDatabase &db = m_project.judgmentDatabase();
    return db.inTransaction(rater, [&]() -> std::optional<JudgmentEvent> {
        const std::int64_t id = raterId(rater);
        const UndoStacks stacks = replay(db, id);
        if (stacks.done.empty())
            return std::nullopt;
        Sql q(db.database(), db.label(), kEventSelect + QStringLiteral(" WHERE e.id = ?"));
        q.bind(stacks.done.back()).exec();
        q.next();
        const JudgmentEvent target = eventFromRow(q);
        return append(target.queryItemId, target.candidateItemId, id, rater, target.oldGrade, target.note, "undo", target.id);
    });
}

std::optional<JudgmentEvent> JudgmentStore::redo(const std::string &rater)
{
    JudgmentDatabase &db = m_project.judgmentDatabase();
    return db.inTransaction(rater, [&]() -> std::optional<JudgmentEvent> {
        const std::int64_t id = raterId(rater);
        const UndoStacks stacks = replay(db, id);
        if (stacks.undone.empty())
            return std::nullopt;
        Sql q(db.database(), db.label(), kEventSelect + QStringLiteral(" WHERE e.id = ?"));
        q.bind(stacks.undone.back()).exec();
        q.next();
        const JudgmentEvent target = eventFromRow(q);
        return append(target.queryItemId, target.candidateItemId, id, rater, target.newGrade, target.note, "redo", target.id);
    });
}

std::vector<std::string> JudgmentStore::raters() const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(), QStringLiteral("SELECT name FROM raters ORDER BY name"));
    std::vector<std::string> out;
    for (q.exec(); q.next();)
        out.push_back(q.text(0));
    return out;
}

std::vector<Judgment> JudgmentStore::judgments(std::optional<std::int64_t> query, const std::string &rater) const
{
    QString sql = QStringLiteral("SELECT j.query_item_id, j.candidate_item_id, r.name, j.grade, j.note, j.event_id "
                                 "FROM current_judgments j JOIN raters r ON r.id = j.rater_id WHERE 1 = 1");
    if (query)
        sql += QStringLiteral(" AND j.query_item_id = ?");
    if (!rater.empty())
        sql += QStringLiteral(" AND r.name = ?");
    sql += QStringLiteral(" ORDER BY j.query_item_id, j.candidate_item_id, j.event_id");
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(), sql);
    if (query)
        q.bind(*query);
    if (!rater.empty())
        q.bind(rater);
    std::vector<Judgment> out;
    for (q.exec(); q.next();)
        out.push_back({q.int64(0), q.int64(1), q.text(2), static_cast<int>(q.int64(3)), q.text(4), q.int64(5)});
    return out;
}

int JudgmentStore::resolve(const std::vector<Judgment> &grades, ResolutionRule rule, const std::string &adjudicatorName)
{
    LOOKALIKE_CHECK(!grades.empty(), "no grades to resolve");
    const auto latest = std::max_element(grades.begin(), grades.end(),
                                         [](const Judgment &a, const Judgment &b) { return a.eventId < b.eventId; });
    switch (rule) {
    case ResolutionRule::Latest:
        return latest->grade;
    case ResolutionRule::Majority: {
        std::map<int, std::pair<int, std::int64_t>> votes; // grade -> (count, latest event)
        for (const Judgment &j : grades) {
            auto &v = votes[j.grade];
            ++v.first;
            v.second = std::max(v.second, j.eventId);
        }
        // (count, latest event) compared lexicographically: most votes, then the most recent.
        return std::max_element(votes.begin(), votes.end(),
                                [](const auto &a, const auto &b) { return a.second < b.second; })
            ->first;
    }
    case ResolutionRule::MeanRounded: {
        double sum = 0;
        for (const Judgment &j : grades)
            sum += j.grade;
        return static_cast<int>(std::floor(sum / static_cast<double>(grades.size()) + 0.5));
    }
    case ResolutionRule::Adjudicator:
        for (const Judgment &j : grades)
            if (j.rater == adjudicatorName)
                return j.grade;
        return latest->grade;
    }
    return latest->grade;
}

std::map<PairKey, int> JudgmentStore::resolvedGrades(std::optional<std::int64_t> query) const
{
    const ResolutionRule rule = resolutionRule();
    const std::string adj = adjudicator();
    std::map<PairKey, std::vector<Judgment>> byPair;
    for (Judgment &j : judgments(query))
        byPair[{j.queryItemId, j.candidateItemId}].push_back(std::move(j));
    std::map<PairKey, int> out;
    for (const auto &[pair, grades] : byPair)
        out[pair] = resolve(grades, rule, adj);
    return out;
}

std::vector<JudgmentEvent> JudgmentStore::history(std::optional<std::int64_t> query) const
{
    const JudgmentDatabase &db = m_project.judgmentDatabase();
    Sql q(db.database(), db.label(),
          kEventSelect + (query ? QStringLiteral(" WHERE e.query_item_id = ?") : QString()) + QStringLiteral(" ORDER BY e.id"));
    if (query)
        q.bind(*query);
    std::vector<JudgmentEvent> out;
    for (q.exec(); q.next();)
        out.push_back(eventFromRow(q));
    return out;
}

} // namespace lookalike
