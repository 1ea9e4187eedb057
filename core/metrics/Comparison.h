// Comparing two model versions on paired per-query metric values (for example nDCG@5 of model A
// and of model B on the queries both have judged): the mean change, the relative change behind a
// headline such as "+9.1 % nDCG@5", wins / ties / losses, a paired bootstrap confidence interval
// of the mean change and a paired randomization (sign-flip) test. Pure functions, seeded and
// therefore reproducible on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lookalike {

// Two per-query values closer than this count as a tie: metric values are sums of a few
// fractions, so equal lists can differ in the last bits but never by 1e-12 for a real change.
inline constexpr double kTieEpsilon = 1e-12;

// b[i] - a[i], i.e. positive when B is better on query i. Throws Error(InvalidArgument) when the
// sizes differ (every function here that takes `a` and `b` does).
std::vector<double> pairedDeltas(const std::vector<double> &a, const std::vector<double> &b);

// Arithmetic mean; NaN for an empty vector (there is no mean of nothing).
double mean(const std::vector<double> &values);

// 100 * (meanB - meanA) / |meanA|. For the non-negative metrics of this app |meanA| = meanA, the
// usual definition; the absolute value keeps the sign meaning "B is better" for signed metrics.
// When meanA == 0 the change is 0 if meanB == 0 too and otherwise undefined: NaN (any finite
// percentage would be made up; callers show "n/a" and the absolute change instead). NaN inputs
// give NaN.
double relativeChangePercent(double meanA, double meanB);

struct WinsTiesLosses {
    std::size_t wins = 0; // b[i] - a[i] >  epsilon: B better on the query
    std::size_t ties = 0; // |b[i] - a[i]| <= epsilon
    std::size_t losses = 0; // b[i] - a[i] < -epsilon
};
WinsTiesLosses winsTiesLosses(const std::vector<double> &a, const std::vector<double> &b,
                              double epsilon = kTieEpsilon);

// The p-quantile (0 <= p <= 1) of `values` with linear interpolation between order statistics
// (Hyndman & Fan type 7, R's and NumPy's default): sorted x_(0) <= ... <= x_(n-1), h = (n - 1) p,
// Q(p) = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h)). NaN for no values.
double quantile(std::vector<double> values, double p);

struct ConfidenceInterval {
    double lower = 0.0;
    double upper = 0.0;
    double level = 0.95; // e.g. 0.95 for a 95 % interval
};

// The normal-approximation interval of the mean, mean +- z s / sqrt(n), with s the sample
// standard deviation (divisor n - 1) and z the standard normal quantile of (1 + level) / 2
// (1.959964 for 95 %). O(n), so cheap enough to redo on every grade (the GUI's live panel);
// reports use the bootstrap below. n = 0 gives [NaN, NaN], n = 1 gives [x, x]. Throws
// Error(InvalidArgument) for a level outside (0, 1).
ConfidenceInterval normalMeanCI(const std::vector<double> &values, double level = 0.95);

struct BootstrapOptions {
    double level = 0.95; // in (0, 1)
    int resamples = 10000; // > 0
    std::uint64_t seed = 1;
};

// Paired bootstrap, percentile method, of the mean of `deltas`: `resamples` (R) times, draw n
// indices uniformly with replacement (SeededRandom::below) and take the mean of those deltas.
// The interval is [Q(alpha/2), Q(1 - alpha/2)] of the R means, alpha = 1 - level, Q the type 7
// quantile of quantile() above. For R = 10,000 and 95 %, with sorted means m_(0..9999):
// lower = 0.025 m_(249) + 0.975 m_(250), upper = 0.975 m_(9749) + 0.025 m_(9750).
// Deterministic for a seed. n = 0 gives [NaN, NaN]; n = 1 gives [d, d]. Throws
// Error(InvalidArgument) for a level outside (0, 1) or resamples < 1.
ConfidenceInterval bootstrapMeanCI(const std::vector<double> &deltas, const BootstrapOptions &options = {});

struct RandomizationOptions {
    int exactUpTo = 20; // enumerate all 2^n sign patterns when n <= exactUpTo (at most 24)
    int iterations = 10000; // Monte Carlo sign patterns otherwise, > 0
    std::uint64_t seed = 1;
};

struct RandomizationResult {
    double pValue = 1.0;
    bool exact = true; // all 2^n patterns enumerated, not sampled
    std::int64_t patterns = 1; // 2^n when exact, the number of sampled patterns otherwise
};

// Paired randomization test of H0 "A and B are exchangeable on each query", two-sided, for the
// mean delta. Under H0 each delta's sign is equally likely, so the statistic is T(s) =
// |sum_i s_i d_i| over sign patterns s in {-1, +1}^n, and the p-value is the share of patterns
// with T(s) >= T(observed) (the observed pattern, all +1, counts itself):
//   exact (n <= exactUpTo):  p = #{s : T(s) >= T_obs} / 2^n
//   Monte Carlo otherwise:   p = (#{sampled s : T(s) >= T_obs} + 1) / (iterations + 1)
// The "+1" counts the observed pattern, which keeps the sampled p-value valid (never 0;
// Phipson & Smyth 2010). ">=" allows for rounding: T(s) >= T_obs - 1e-9 * sum_i |d_i|, so
// patterns that are mathematically as extreme are never lost to the last bits of a sum.
// Identical inputs give p = 1; n = 0 gives p = 1 (exact, one empty pattern); a NaN delta gives
// p = NaN (and bootstrapMeanCI() [NaN, NaN]). Throws Error(InvalidArgument) for exactUpTo > 24
// or iterations < 1.
RandomizationResult randomizationTest(const std::vector<double> &deltas, const RandomizationOptions &options = {});

struct ComparisonOptions {
    double tieEpsilon = kTieEpsilon;
    // The interval of the mean delta: the paired bootstrap (reports, `eval`) or the normal
    // approximation (O(n): the live panel, recomputed on every grade).
    enum class Interval { Bootstrap, Normal } interval = Interval::Bootstrap;
    BootstrapOptions bootstrap; // its level is the level of either interval
    bool randomizationTest = true; // false: no p-value (randomization.pValue is NaN, patterns 0)
    RandomizationOptions randomization;

    // What the live metrics panel shows on every grade: the normal interval, no test.
    static ComparisonOptions live()
    {
        ComparisonOptions o;
        o.interval = Interval::Normal;
        o.randomizationTest = false;
        return o;
    }
};

// Everything the comparison view and the report show for one metric.
struct PairedComparison {
    std::size_t n = 0; // paired queries
    std::vector<double> deltas; // b[i] - a[i], in the input's query order
    double meanA = 0.0; // NaN when n = 0
    double meanB = 0.0; // NaN when n = 0
    double meanDelta = 0.0; // mean of the deltas (= meanB - meanA up to rounding); NaN when n = 0
    double relativeChangePercent = 0.0; // see relativeChangePercent(); NaN when n = 0
    WinsTiesLosses winsTiesLosses;
    ConfidenceInterval meanDeltaCI; // bootstrap, of meanDelta
    RandomizationResult randomization;
};

// n = 0 is not an error: the result has n = 0, NaN means / change / interval, 0 / 0 / 0 and p = 1.
PairedComparison comparePaired(const std::vector<double> &a, const std::vector<double> &b,
                               const ComparisonOptions &options = {});

} // namespace lookalike
