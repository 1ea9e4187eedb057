// A silver judge: grades (query, candidate) pairs from catalog attributes, for a first pass that
// human raters confirm or overrule. The rule is a list of clauses tried in order, for example
// "category+colour=3,category=2,colour=1": the first clause whose fields all have equal,
// non-empty values in the query and the candidate gives the grade, and a pair that matches no
// clause gets `otherwise` (0). Fields are category, title, url or any manifest column. The
// grades are recorded as one rater (default "silver"), kept apart from the humans', so their
// agreement with it can be measured and the project's rule decides whose grade counts.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;

struct AutoJudgeRule {
    std::vector<std::pair<std::vector<std::string>, int>> clauses; // (fields, grade), in order
    int otherwise = 0;
};

// Parses "f1+f2=G,f3=G,...[,*=G]" ("*" sets `otherwise`). Throws Error(InvalidArgument) naming
// the clause that is malformed.
AutoJudgeRule parseAutoJudgeRule(const std::string &text);

struct AutoJudgeReport {
    std::size_t pairs = 0; // distinct (query, candidate) pairs in the frozen lists
    std::size_t changed = 0; // grades recorded (new or different)
    std::size_t unchanged = 0; // the judge had already given that grade
};

// Grades every pair of every version's frozen lists of the query set, in one transaction.
// Throws Error(InvalidArgument) if a clause names a field no item has, or a grade is off the
// project's scale (nothing is recorded then).
AutoJudgeReport autoJudge(Project &project, const AutoJudgeRule &rule, const std::string &rater = "silver");

} // namespace lookalike
