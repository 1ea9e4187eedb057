// Parsing the settings table into ProjectSettings, and the grade scale's JSON form.
#include "core/project/ProjectSettings.h"

#include "core/Error.h"
#include "core/util/JsonFields.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace lookalike {

GradeScale GradeScale::fourLevel()
{
    return {{{0, "not relevant"}, {1, "somewhat relevant"}, {2, "relevant"}, {3, "near-identical / same product"}}, 1};
}

GradeScale GradeScale::binary()
{
    return {{{0, "not relevant"}, {1, "relevant"}}, 1};
}

bool GradeScale::contains(int grade) const
{
    return std::any_of(levels.begin(), levels.end(), [&](const GradeLevel &l) { return l.grade == grade; });
}

std::string GradeScale::label(int grade) const
{
    for (const GradeLevel &l : levels)
        if (l.grade == grade)
            return l.label;
    return std::to_string(grade);
}

std::string GradeScale::toJson() const
{
    QJsonArray array;
    for (const GradeLevel &l : levels)
        array.append(QJsonObject{{QStringLiteral("grade"), l.grade}, {QStringLiteral("label"), QString::fromStdString(l.label)}});
    return QJsonDocument(QJsonObject{{QStringLiteral("levels"), array}, {QStringLiteral("relevant_threshold"), relevantThreshold}})
        .toJson(QJsonDocument::Compact)
        .toStdString();
}

GradeScale GradeScale::fromJson(const std::string &json, const std::string &file)
{
    const QJsonObject o = parseJsonObject(QByteArray::fromStdString(json), file);
    const JsonFields f(file);
    GradeScale scale;
    const QJsonValue levels = o.value(QStringLiteral("levels"));
    if (!levels.isArray() || levels.toArray().size() < 2)
        f.invalid("levels", "a grade scale needs an array of at least two levels");
    for (const QJsonValue &v : levels.toArray()) {
        const QJsonObject level = v.toObject();
        scale.levels.push_back({f.integer(level.value(QStringLiteral("grade")), "levels[].grade", 0, 100),
                                f.string(level.value(QStringLiteral("label")), "levels[].label")});
    }
    std::sort(scale.levels.begin(), scale.levels.end(), [](const auto &a, const auto &b) { return a.grade < b.grade; });
    for (std::size_t i = 1; i < scale.levels.size(); ++i)
        if (scale.levels[i].grade == scale.levels[i - 1].grade)
            f.invalid("levels", "grade " + std::to_string(scale.levels[i].grade) + " appears twice");
    scale.relevantThreshold = f.integer(o.value(QStringLiteral("relevant_threshold")), "relevant_threshold", 0, 100);
    if (scale.relevantThreshold <= scale.lowest() || scale.relevantThreshold > scale.highest())
        f.invalid("relevant_threshold", "must be above the lowest grade and at most the highest");
    return scale;
}

const char *resolutionRuleName(ResolutionRule rule)
{
    switch (rule) {
    case ResolutionRule::Latest: return "latest";
    case ResolutionRule::Majority: return "majority";
    case ResolutionRule::MeanRounded: return "mean";
    case ResolutionRule::Adjudicator: return "adjudicator";
    }
    return "?";
}

ResolutionRule parseResolutionRule(const std::string &name)
{
    for (ResolutionRule r : {ResolutionRule::Latest, ResolutionRule::Majority, ResolutionRule::MeanRounded,
                             ResolutionRule::Adjudicator})
        if (name == resolutionRuleName(r))
            return r;
    throw Error(ErrorCode::InvalidArgument, {},
                "unknown resolution rule '" + name + "' (latest, majority, mean or adjudicator)");
}

ProjectSettings ProjectSettings::parse(std::map<std::string, std::string> stored, const std::string &file)
{
    ProjectSettings s;
    const auto at = [&](const char *key) -> const std::string * {
        const auto it = stored.find(key);
        return it == stored.end() ? nullptr : &it->second;
    };
    if (const std::string *json = at(kScaleKey))
        s.scale = GradeScale::fromJson(*json, file + " (grade_scale)");
    if (const std::string *rule = at(kRuleKey)) {
        try {
            s.rule = parseResolutionRule(*rule);
        } catch (const Error &e) {
            throw Error(ErrorCode::InvalidArgument, file, std::string("setting resolution_rule: ") + e.problem());
        }
    }
    if (const std::string *name = at(kAdjudicatorKey))
        s.adjudicator = *name;
    if (const std::string *depth = at(kResultDepthKey)) {
        int value = 0;
        try {
            std::size_t used = 0;
            value = std::stoi(*depth, &used);
            if (used != depth->size())
                value = 0;
        } catch (const std::exception &) {
        }
        if (value < 1)
            throw Error(ErrorCode::InvalidArgument, file,
                        "setting result_depth: '" + depth->substr(0, 20) + "' is not a depth");
        s.resultDepth = value;
    }
    s.raw = std::move(stored);
    return s;
}

std::optional<std::string> ProjectSettings::value(const std::string &key) const
{
    const auto it = raw.find(key);
    if (it == raw.end())
        return std::nullopt;
    return it->second;
}

} // namespace lookalike
