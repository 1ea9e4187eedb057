// Inter-rater agreement on relevance grades: Cohen's (weighted) kappa for two raters, and
// Krippendorff's alpha for any number of raters with missing grades, plus the list of units the
// raters disagree on. Grades are ordinal categories 0..K-1 (K = 4 for the default 0..3 scale,
// K = 2 for binary). A unit is one (query, candidate) pair. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace lookalike {

// ---- Cohen's kappa ----------------------------------------------------------------------------

enum class KappaWeights {
    Unweighted, // disagreement weight 1 for any two different categories (Cohen 1960)
    Linear, // |i - j| / (K - 1) (Cicchetti-Allison; SAS's default weighted kappa)
    Quadratic, // (i - j)^2 / (K - 1)^2 (Fleiss-Cohen; "quadratic weighted kappa")
};

// table[i][j]: number of items rater A put in category i and rater B in category j; K x K.
using ContingencyTable = std::vector<std::vector<double>>;

struct KappaResult {
    double kappa = 0.0; // NaN when !defined
    double observedAgreement = 0.0; // p_o = 1 - sum_ij w_ij p_ij
    double expectedAgreement = 0.0; // p_e = 1 - sum_ij w_ij p_i. p_.j
    double items = 0.0; // N, the items both raters rated
    // False when kappa is 0 / 0: no items, or p_e = 1 (both raters put every item in one and the
    // same category, so agreement is certain by chance and kappa says nothing). Callers show
    // "n/a" and the raw agreement (observedAgreement, which is 1 then) instead.
    bool defined = false;
};

// Weighted kappa (Cohen 1968) with disagreement weights w_ij (KappaWeights), p_ij = n_ij / N and
// marginals p_i. = sum_j p_ij, p_.j = sum_i p_ij:
//   kappa_w = 1 - sum_ij w_ij p_ij / sum_ij w_ij p_i. p_.j = (p_o - p_e) / (1 - p_e).
// With Unweighted this is Cohen's kappa (p_o = sum_i p_ii). For K = 2 all three weightings agree.
// Throws Error(InvalidArgument) for a table that is not square, K < 2 or negative counts.
KappaResult cohensKappa(const ContingencyTable &table, KappaWeights weights = KappaWeights::Unweighted);

// The K x K table of two raters' grades on the same items (index = item), counting only items
// both rated (a nullopt is "not rated"). Throws Error(InvalidArgument) for different lengths or
// a grade outside 0..K-1.
ContingencyTable contingencyTable(const std::vector<std::optional<int>> &raterA,
                                  const std::vector<std::optional<int>> &raterB, int categories);

// cohensKappa(contingencyTable(raterA, raterB, categories), weights).
KappaResult cohensKappa(const std::vector<std::optional<int>> &raterA, const std::vector<std::optional<int>> &raterB,
                        int categories, KappaWeights weights = KappaWeights::Unweighted);

// ---- Krippendorff's alpha ---------------------------------------------------------------------

enum class AlphaLevel {
    Nominal, // delta^2(c, k) = [c != k]
    Ordinal, // delta^2(c, k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2, n_g the pairable values g
    Interval, // delta^2(c, k) = (c - k)^2
    Ratio, // delta^2(c, k) = ((c - k) / (c + k))^2, 0 for c = k = 0
};

// The grades a unit received, one per rater who rated it, in any order. Raters who did not rate
// the unit are simply absent (missing values).
using RatedUnit = std::vector<int>;

struct AlphaResult {
    double alpha = 0.0; // NaN when !defined
    double observedDisagreement = 0.0; // D_o
    double expectedDisagreement = 0.0; // D_e
    std::size_t pairableUnits = 0; // units with at least 2 grades
    double pairableValues = 0.0; // n, the grades in those units
    // False when alpha is 0 / 0: no unit has 2 grades, or every pairable grade is the same value
    // (D_e = 0: no variation, so reliability cannot be assessed; Krippendorff 2011).
    bool defined = false;
};

// Krippendorff's alpha, coincidence-matrix form (Krippendorff 2011, "Computing Krippendorff's
// Alpha-Reliability"). Units with fewer than 2 grades are not pairable and ignored. For unit u with
// m_u grades of which n_uc have value c, the coincidences are
//   o_ck = sum_u n_uc (n_uk - [c = k]) / (m_u - 1),   n_c = sum_k o_ck,   n = sum_c n_c,
// and
//   D_o = 1/n sum_ck o_ck delta^2(c, k),   D_e = 1/(n (n - 1)) sum_ck n_c n_k delta^2(c, k),
//   alpha = 1 - D_o / D_e.
// Grades must be in 0..categories-1 (the values the interval and ratio metrics use); unused
// categories change nothing. Throws Error(InvalidArgument) for categories < 1 or a grade out of
// range.
AlphaResult krippendorffAlpha(const std::vector<RatedUnit> &units, int categories,
                              AlphaLevel level = AlphaLevel::Ordinal);

// ---- Disagreements ----------------------------------------------------------------------------

struct Disagreement {
    std::size_t unit = 0; // index into the input
    int lowest = 0; // smallest grade given
    int highest = 0; // largest grade given
    int spread = 0; // highest - lowest (> 0)
    std::size_t ratings = 0; // how many grades the unit has
};

// Units whose grades differ by at least `minSpread` (>= 1), largest spread first, then input
// order. Units with fewer than 2 grades cannot disagree and are skipped.
std::vector<Disagreement> disagreements(const std::vector<RatedUnit> &units, int minSpread = 1);

} // namespace lookalike
