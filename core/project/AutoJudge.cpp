// Grades from catalog attributes.
#include "core/project/AutoJudge.h"

#include "core/Error.h"
#include "core/project/JudgmentStore.h"
#include "core/project/FrozenLists.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <map>
#include <set>

namespace lookalike {

namespace {

[[noreturn]] void invalid(const std::string &clause, const std::string &why)
{
    throw Error(ErrorCode::InvalidArgument, {}, "autojudge rule clause '" + clause + "'", why);
}

} // namespace

AutoJudgeRule parseAutoJudgeRule(const std::string &text)
{
    AutoJudgeRule rule;
    for (const QString &raw : QString::fromStdString(text).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString clause = raw.trimmed();
        const qsizetype eq = clause.lastIndexOf(QLatin1Char('='));
        if (eq <= 0)
            invalid(clause.toStdString(), "expected FIELD[+FIELD...]=GRADE");
        bool ok = false;
        const int grade = clause.mid(eq + 1).trimmed().toInt(&ok);
        if (!ok || grade < 0)
            invalid(clause.toStdString(), "the grade must be an integer >= 0");
        const QString lhs = clause.left(eq).trimmed();
        if (lhs == QLatin1String("*")) {
            rule.otherwise = grade;
            continue;
        }
        std::vector<std::string> fields;
        for (const QString &f : lhs.split(QLatin1Char('+'))) {
            if (f.trimmed().isEmpty())
                invalid(clause.toStdString(), "an empty field name");
            fields.push_back(f.trimmed().toStdString());
        }
        rule.clauses.emplace_back(std::move(fields), grade);
    }
    if (rule.clauses.empty())
        throw Error(ErrorCode::InvalidArgument, {}, "autojudge rule",
            "has no clause, e.g. category+colour=3,category=2,colour=1");
    return rule;
}

AutoJudgeReport autoJudge(Project &project, const AutoJudgeRule &rule, const std::string &rater)
{
    const std::set<PairKey> pairs = frozenPairs(project);
    std::vector<std::int64_t> ids;
    for (const auto &[a, b] : pairs)
        ids.insert(ids.end(), {a, b});
    std::map<std::int64_t, Item> items;
    for (Item &item : project.items(ids))
        items.emplace(item.id, std::move(item));

    // Every field the rule names must exist somewhere, or the rule has a typo.
    for (const auto &[fields, grade] : rule.clauses)
        for (const std::string &f : fields) {
            bool seen = false;
            for (auto it = items.begin(); !seen && it != items.end(); ++it)
                seen = itemField(it->second, f).has_value();
            if (!seen && !items.empty())
                throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(), "autojudge rule",
                    "no item has a field '" + f + "' (category, title, url or a manifest column)");
        }

    std::vector<GradeToImport> grades;
    grades.reserve(pairs.size());
    for (const auto &[query, candidate] : pairs) {
        const Item &a = items.at(query), &b = items.at(candidate);
        int grade = rule.otherwise;
        for (const auto &[fields, g] : rule.clauses) {
            bool all = true;
            for (const std::string &f : fields) {
                const std::string va = itemField(a, f).value_or("");
                all = all && !va.empty() && va == itemField(b, f).value_or("");
            }
            if (all) {
                grade = g;
                break;
            }
        }
        grades.push_back({query, candidate, grade});
    }
    AutoJudgeReport report;
    report.pairs = pairs.size();
    report.changed = JudgmentStore(project).importGrades(grades, rater, "autojudge");
    report.unchanged = report.pairs - report.changed;
    return report;
}

} // namespace lookalike
