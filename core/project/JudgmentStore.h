// Relevance judgments of a project: raters grade (query item, candidate item) pairs. Grades
// belong to the pair, not to a model (pooling, as TREC does): a candidate judged once counts
// for every model version whose list holds it.
//
// Every change is an event appended to judgment_events (who, when, old, new) in its own
// committed transaction before the call returns; current grades, undo, redo and the audit
// trail are all derived from those events. Each rater's grades are kept apart; the grade the
// metrics use is resolved per pair by the project's rule.
#pragma once

#include "core/project/ProjectSettings.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;

using PairKey = std::pair<std::int64_t, std::int64_t>; // (query item id, candidate item id)

struct JudgmentEvent {
    std::int64_t id = 0;
    std::int64_t queryItemId = 0;
    std::int64_t candidateItemId = 0;
    std::string rater;
    std::optional<int> oldGrade; // nothing: was not graded
    std::optional<int> newGrade; // nothing: grade removed
    std::string note;
    std::string kind; // grade, undo, redo, import
    std::string at;   // ISO 8601 UTC
};

struct GradeToImport {
    std::int64_t queryItemId = 0;
    std::int64_t candidateItemId = 0;
    int grade = 0;
};

struct Judgment {
    std::int64_t queryItemId = 0;
    std::int64_t candidateItemId = 0;
    std::string rater;
    int grade = 0;
    std::string note;
    std::int64_t eventId = 0; // later events have larger ids
};

class JudgmentStore {
public:
    explicit JudgmentStore(Project &project);

    GradeScale gradeScale() const;
    void setGradeScale(const GradeScale &scale);
    ResolutionRule resolutionRule() const;
    std::string adjudicator() const;
    void setResolutionRule(ResolutionRule rule, const std::string &adjudicator = {});

    // Records `rater`'s grade (or, with nothing, removes it). Throws InvalidArgument for a grade
    // outside the scale, an unknown item or an empty rater name; DatabaseLocked if another
    // process holds the database for longer than the busy timeout (nothing is written then).
    JudgmentEvent grade(std::int64_t queryItemId, std::int64_t candidateItemId, const std::string &rater,
                        std::optional<int> grade, const std::string &note = {});
    // Records many grades of one rater (events of kind "import") in one transaction: all of
    // them or, if any is refused (grade off the scale, unknown item), none. A grade equal to
    // the rater's current grade of the pair is skipped. Returns how many grades changed.
    std::size_t importGrades(const std::vector<GradeToImport> &grades, const std::string &rater,
                             const std::string &note = {});
    // Reverts the rater's latest action / re-applies their latest undone one. Nothing if none.
    std::optional<JudgmentEvent> undo(const std::string &rater);
    std::optional<JudgmentEvent> redo(const std::string &rater);

    std::vector<std::string> raters() const;
    // Current grades of every rater (or one), optionally for one query.
    std::vector<Judgment> judgments(std::optional<std::int64_t> queryItemId = {},
                                    const std::string &rater = {}) const;
    // The grade used for metrics, per pair, by the project's rule.
    std::map<PairKey, int> resolvedGrades(std::optional<std::int64_t> queryItemId = {}) const;
    // The audit trail, oldest first.
    std::vector<JudgmentEvent> history(std::optional<std::int64_t> queryItemId = {}) const;

    // Resolution of several raters' grades of one pair (exposed for tests).
    static int resolve(const std::vector<Judgment> &grades, ResolutionRule rule, const std::string &adjudicator);

private:
    std::int64_t raterId(const std::string &name);
    JudgmentEvent append(std::int64_t query, std::int64_t candidate, std::int64_t raterId, const std::string &rater,
                         std::optional<int> newGrade, const std::string &note, const char *kind,
                         std::optional<std::int64_t> target);
    Project &m_project;
};

} // namespace lookalike
