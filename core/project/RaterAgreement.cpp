// Gathering the raters' grades for the agreement statistics.
#include "core/project/RaterAgreement.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace lookalike {

AgreementReport raterAgreement(const JudgmentStore &store, const std::vector<std::string> &excludeRaters)
{
    const GradeScale scale = store.gradeScale();
    const auto position = [&](int grade) {
        for (std::size_t i = 0; i < scale.levels.size(); ++i)
            if (scale.levels[i].grade == grade)
                return static_cast<int>(i);
        // A grade recorded under an earlier, wider scale: clamp rather than drop it silently.
        return grade < scale.lowest() ? 0 : static_cast<int>(scale.levels.size()) - 1;
    };
    const int categories = static_cast<int>(scale.levels.size());
    const std::set<std::string> excluded(excludeRaters.begin(), excludeRaters.end());

    std::map<PairKey, std::map<std::string, int>> byPair; // pair -> rater -> grade
    std::set<std::string> raters;
    for (const Judgment &j : store.judgments()) {
        if (excluded.count(j.rater))
            continue;
        byPair[{j.queryItemId, j.candidateItemId}][j.rater] = j.grade;
        raters.insert(j.rater);
    }

    AgreementReport report;
    report.raters.assign(raters.begin(), raters.end());
    for (std::size_t a = 0; a < report.raters.size(); ++a) {
        for (std::size_t b = a + 1; b < report.raters.size(); ++b) {
            std::vector<std::optional<int>> ga, gb;
            for (const auto &[pair, grades] : byPair) {
                const auto ia = grades.find(report.raters[a]), ib = grades.find(report.raters[b]);
                if (ia == grades.end() || ib == grades.end())
                    continue;
                ga.push_back(position(ia->second));
                gb.push_back(position(ib->second));
            }
            RaterPairAgreement p;
            p.raterA = report.raters[a];
            p.raterB = report.raters[b];
            const ContingencyTable table = contingencyTable(ga, gb, std::max(categories, 2));
            p.linear = cohensKappa(table, KappaWeights::Linear);
            p.quadratic = cohensKappa(table, KappaWeights::Quadratic);
            p.unweighted = cohensKappa(table, KappaWeights::Unweighted);
            report.pairs.push_back(std::move(p));
        }
    }

    std::vector<RatedUnit> units;
    std::vector<PairKey> unitPairs;
    for (const auto &[pair, grades] : byPair) {
        RatedUnit unit;
        for (const auto &[rater, grade] : grades)
            unit.push_back(position(grade));
        units.push_back(std::move(unit));
        unitPairs.push_back(pair);
    }
    report.alpha = krippendorffAlpha(units, std::max(categories, 1), AlphaLevel::Ordinal);
    for (const Disagreement &d : disagreements(units)) {
        const PairKey &pair = unitPairs[d.unit];
        PairDisagreement out;
        out.queryItemId = pair.first;
        out.candidateItemId = pair.second;
        int lo = 0, hi = 0;
        bool first = true;
        for (const auto &[rater, grade] : byPair.at(pair)) {
            out.grades.emplace_back(rater, grade);
            lo = first ? grade : std::min(lo, grade);
            hi = first ? grade : std::max(hi, grade);
            first = false;
        }
        out.spread = hi - lo;
        report.disagreements.push_back(std::move(out));
    }
    // disagreements() orders by spread in scale positions; order by the spread in grades, which
    // is what is shown, then by pair.
    std::sort(report.disagreements.begin(), report.disagreements.end(),
        [](const PairDisagreement &x, const PairDisagreement &y) {
            if (x.spread != y.spread)
                return x.spread > y.spread;
            return std::pair(x.queryItemId, x.candidateItemId) < std::pair(y.queryItemId, y.candidateItemId);
        });
    return report;
}

} // namespace lookalike
