// Cohen's weighted kappa, Krippendorff's alpha and the disagreement list (formulas in Agreement.h).
#include "core/metrics/Agreement.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace lookalike {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void invalid(const char *subject, const std::string &problem)
{
    throw Error(ErrorCode::InvalidArgument, std::string(), subject, problem);
}

double kappaWeight(KappaWeights weights, std::size_t i, std::size_t j, std::size_t k)
{
    const double d = std::fabs(static_cast<double>(i) - static_cast<double>(j));
    const double span = static_cast<double>(k - 1);
    switch (weights) {
    case KappaWeights::Unweighted:
        return i == j ? 0.0 : 1.0;
    case KappaWeights::Linear:
        return d / span;
    case KappaWeights::Quadratic:
        return (d * d) / (span * span);
    }
    return 0.0;
}

void checkGrade(int grade, int categories, const char *subject)
{
    if (grade < 0 || grade >= categories)
        invalid(subject, "grade " + std::to_string(grade) + " is outside 0.." + std::to_string(categories - 1));
}

} // namespace

KappaResult cohensKappa(const ContingencyTable &table, KappaWeights weights)
{
    const std::size_t k = table.size();
    if (k < 2)
        invalid("Cohen's kappa", "needs at least 2 categories, not " + std::to_string(k));
    double total = 0.0;
    for (const auto &row : table) {
        if (row.size() != k)
            invalid("Cohen's kappa", "the contingency table must be square");
        for (double count : row) {
            if (!(count >= 0.0))
                invalid("Cohen's kappa", "counts must not be negative");
            total += count;
        }
    }
    KappaResult result;
    result.items = total;
    if (total == 0.0) {
        result.kappa = result.observedAgreement = result.expectedAgreement = kNaN;
        return result;
    }
    std::vector<double> rowShare(k, 0.0), columnShare(k, 0.0);
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            rowShare[i] += table[i][j] / total;
            columnShare[j] += table[i][j] / total;
        }
    double observed = 0.0; // sum w_ij p_ij: weighted observed disagreement
    double expected = 0.0; // sum w_ij p_i. p_.j: weighted disagreement expected by chance
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            const double w = kappaWeight(weights, i, j, k);
            observed += w * table[i][j] / total;
            expected += w * rowShare[i] * columnShare[j];
        }
    result.observedAgreement = 1.0 - observed;
    result.expectedAgreement = 1.0 - expected;
    // expected is exactly 0 only when both raters used one and the same category for everything:
    // every off-diagonal p_i. p_.j is then a product with an exact zero.
    if (expected <= 0.0) {
        result.kappa = kNaN;
        return result;
    }
    result.kappa = 1.0 - observed / expected;
    result.defined = true;
    return result;
}

ContingencyTable contingencyTable(const std::vector<std::optional<int>> &raterA,
                                  const std::vector<std::optional<int>> &raterB, int categories)
{
    if (raterA.size() != raterB.size())
        invalid("Cohen's kappa", "the two raters' grade lists have " + std::to_string(raterA.size()) + " and "
                                     + std::to_string(raterB.size()) + " items; they must be aligned item by item");
    if (categories < 1)
        invalid("Cohen's kappa", "needs at least 1 category, not " + std::to_string(categories));
    const auto k = static_cast<std::size_t>(categories);
    ContingencyTable table(k, std::vector<double>(k, 0.0));
    for (std::size_t item = 0; item < raterA.size(); ++item) {
        if (!raterA[item] || !raterB[item])
            continue; // only items both rated
        checkGrade(*raterA[item], categories, "Cohen's kappa");
        checkGrade(*raterB[item], categories, "Cohen's kappa");
        table[static_cast<std::size_t>(*raterA[item])][static_cast<std::size_t>(*raterB[item])] += 1.0;
    }
    return table;
}

KappaResult cohensKappa(const std::vector<std::optional<int>> &raterA, const std::vector<std::optional<int>> &raterB,
                        int categories, KappaWeights weights)
{
    return cohensKappa(contingencyTable(raterA, raterB, categories), weights);
}

AlphaResult krippendorffAlpha(const std::vector<RatedUnit> &units, int categories, AlphaLevel level)
{
    if (categories < 1)
        invalid("Krippendorff's alpha", "needs at least 1 category, not " + std::to_string(categories));
    const auto k = static_cast<std::size_t>(categories);

    // Coincidence matrix: every ordered pair of grades from different raters of a unit, each unit
    // weighted 1 / (m_u - 1) so that it contributes m_u pairable values in total.
    std::vector<std::vector<double>> o(k, std::vector<double>(k, 0.0));
    AlphaResult result;
    std::vector<double> counts(k);
    for (const RatedUnit &unit : units) {
        for (int grade : unit)
            checkGrade(grade, categories, "Krippendorff's alpha");
        if (unit.size() < 2)
            continue;
        ++result.pairableUnits;
        std::fill(counts.begin(), counts.end(), 0.0);
        for (int grade : unit)
            counts[static_cast<std::size_t>(grade)] += 1.0;
        const double m = static_cast<double>(unit.size());
        for (std::size_t c = 0; c < k; ++c) {
            if (counts[c] == 0.0)
                continue;
            for (std::size_t kk = 0; kk < k; ++kk)
                o[c][kk] += counts[c] * (counts[kk] - (c == kk ? 1.0 : 0.0)) / (m - 1.0);
        }
    }
    std::vector<double> marginal(k, 0.0); // n_c
    double n = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t kk = 0; kk < k; ++kk)
            marginal[c] += o[c][kk];
        n += marginal[c];
    }
    result.pairableValues = n;

    auto delta2 = [&](std::size_t c, std::size_t kk) -> double {
        if (c == kk)
            return 0.0;
        const double vc = static_cast<double>(c), vk = static_cast<double>(kk);
        switch (level) {
        case AlphaLevel::Nominal:
            return 1.0;
        case AlphaLevel::Ordinal: {
            const std::size_t lo = std::min(c, kk), hi = std::max(c, kk);
            double between = 0.0;
            for (std::size_t g = lo; g <= hi; ++g)
                between += marginal[g];
            const double d = between - (marginal[c] + marginal[kk]) / 2.0;
            return d * d;
        }
        case AlphaLevel::Interval:
            return (vc - vk) * (vc - vk);
        case AlphaLevel::Ratio: {
            const double d = (vc - vk) / (vc + vk); // c != k, both >= 0, so vc + vk > 0
            return d * d;
        }
        }
        return 0.0;
    };

    if (n < 2.0) {
        result.alpha = result.observedDisagreement = result.expectedDisagreement = kNaN;
        return result;
    }
    double observed = 0.0, expected = 0.0;
    for (std::size_t c = 0; c < k; ++c)
        for (std::size_t kk = 0; kk < k; ++kk) {
            if (c == kk)
                continue;
            const double d2 = delta2(c, kk);
            observed += o[c][kk] * d2;
            expected += marginal[c] * marginal[kk] * d2;
        }
    result.observedDisagreement = observed / n;
    result.expectedDisagreement = expected / (n * (n - 1.0));
    if (!(result.expectedDisagreement > 0.0)) { // a single value: no variation to assess
        result.alpha = kNaN;
        return result;
    }
    result.alpha = 1.0 - result.observedDisagreement / result.expectedDisagreement;
    result.defined = true;
    return result;
}

std::vector<Disagreement> disagreements(const std::vector<RatedUnit> &units, int minSpread)
{
    minSpread = std::max(minSpread, 1);
    std::vector<Disagreement> out;
    for (std::size_t u = 0; u < units.size(); ++u) {
        const RatedUnit &unit = units[u];
        if (unit.size() < 2)
            continue;
        const auto [lo, hi] = std::minmax_element(unit.begin(), unit.end());
        if (*hi - *lo < minSpread)
            continue;
        out.push_back({u, *lo, *hi, *hi - *lo, unit.size()});
    }
    // Stable: equal spreads keep the input order.
    std::stable_sort(out.begin(), out.end(),
                     [](const Disagreement &a, const Disagreement &b) { return a.spread > b.spread; });
    return out;
}

} // namespace lookalike
