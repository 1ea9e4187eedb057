// How much a project's raters agree: Cohen's weighted kappa for every pair of raters on the
// (query, candidate) pairs both graded, Krippendorff's ordinal alpha over all raters, and the
// pairs they disagree on. The statistics are core/metrics/Agreement.h; this file gathers the
// grades. Grades are mapped to their position on the project's scale (0..K-1), so a scale
// whose grades are not 0..K-1 is handled, and ordinal distances follow the scale's order.
#pragma once

#include "core/metrics/Agreement.h"
#include "core/project/JudgmentStore.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

class Project;

struct RaterPairAgreement {
    std::string raterA; // raterA < raterB
    std::string raterB;
    KappaResult linear; // weighted kappa, linear disagreement weights
    KappaResult quadratic; // weighted kappa, quadratic weights
    KappaResult unweighted;
};

struct PairDisagreement {
    std::int64_t queryItemId = 0;
    std::int64_t candidateItemId = 0;
    std::vector<std::pair<std::string, int>> grades; // (rater, grade), by rater name
    int spread = 0; // highest - lowest grade, in grade units
};

struct AgreementReport {
    std::vector<std::string> raters; // every rater with at least one current grade, by name
    std::vector<RaterPairAgreement> pairs;
    AlphaResult alpha; // ordinal, over all raters
    std::vector<PairDisagreement> disagreements; // largest spread first, then by (query, candidate)
};

// `excludeRaters` are left out (for instance a silver judge when only humans should count).
AgreementReport raterAgreement(const JudgmentStore &store, const std::vector<std::string> &excludeRaters = {});

} // namespace lookalike
