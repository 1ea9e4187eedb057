// The project's settings, typed: read from the settings table once (when first needed) and
// kept by Project until a setting changes or reloadSettings() is called, so a key press reads
// nothing. The grade scale, the rule that resolves several raters' grades into the one the
// metrics use, and the depth lists are frozen at.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

struct GradeLevel {
    int grade = 0;
    std::string label;
};

struct GradeScale {
    std::vector<GradeLevel> levels; // ascending grades
    int relevantThreshold = 1;      // grade >= threshold is "relevant" for P@k and MRR

    static GradeScale fourLevel(); // 0 not relevant, 1 somewhat, 2 relevant, 3 near-identical
    static GradeScale binary();    // 0 not relevant, 1 relevant
    int lowest() const { return levels.front().grade; }
    int highest() const { return levels.back().grade; }
    bool contains(int grade) const;
    std::string label(int grade) const;
    std::string toJson() const;
    static GradeScale fromJson(const std::string &json, const std::string &fileForErrors);
};

enum class ResolutionRule {
    Latest,      // the most recent grade of any rater
    Majority,    // the most frequent grade; a tie goes to the most recent of the tied grades
    MeanRounded, // the mean of the raters' grades, rounded half up
    Adjudicator, // the adjudicator's grade if they gave one, else Latest
};
const char *resolutionRuleName(ResolutionRule rule); // "latest", "majority", "mean", "adjudicator"
ResolutionRule parseResolutionRule(const std::string &name);

struct ProjectSettings {
    GradeScale scale = GradeScale::fourLevel();
    ResolutionRule rule = ResolutionRule::Latest;
    std::string adjudicator;       // the rater whose grade wins under ResolutionRule::Adjudicator
    std::optional<int> resultDepth; // nothing: not set yet (the project's first lists set it)
    std::map<std::string, std::string> raw; // every stored key, typed or not

    // Parses the stored rows; throws InvalidArgument naming `fileForErrors` and the key.
    static ProjectSettings parse(std::map<std::string, std::string> stored, const std::string &fileForErrors);
    // The stored value of a key (typed or not), if any.
    std::optional<std::string> value(const std::string &key) const;

    static constexpr const char *kScaleKey = "grade_scale";
    static constexpr const char *kRuleKey = "resolution_rule";
    static constexpr const char *kAdjudicatorKey = "adjudicator";
    static constexpr const char *kResultDepthKey = "result_depth";
};

} // namespace lookalike
