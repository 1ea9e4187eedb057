// Paired comparison of two model versions: deltas, means, relative change, wins / ties / losses,
// bootstrap interval and randomization test (formulas in Comparison.h).
#include "core/metrics/Comparison.h"

#include "core/Error.h"
#include "core/util/SeededRandom.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace lookalike {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxExact = 24; // 2^23 patterns (by symmetry) of 24 terms: well under a second

void checkSameSize(const std::vector<double> &a, const std::vector<double> &b)
{
    if (a.size() != b.size())
        throw Error(ErrorCode::InvalidArgument, std::string(), "paired comparison",
                    "the two models have " + std::to_string(a.size()) + " and " + std::to_string(b.size())
                        + " per-query values; they must be paired query by query");
}

double sum(const std::vector<double> &values)
{
    double s = 0.0;
    for (double v : values)
        s += v;
    return s;
}

bool anyNaN(const std::vector<double> &values)
{
    return std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

// Type 7 quantile of sorted values (see Comparison.h).
double quantileSorted(const std::vector<double> &sorted, double p)
{
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    if (lo + 1 >= sorted.size())
        return sorted.back();
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

} // namespace

std::vector<double> pairedDeltas(const std::vector<double> &a, const std::vector<double> &b)
{
    checkSameSize(a, b);
    std::vector<double> deltas(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        deltas[i] = b[i] - a[i];
    return deltas;
}

double quantile(std::vector<double> values, double p)
{
    if (values.empty() || anyNaN(values))
        return kNaN;
    std::sort(values.begin(), values.end());
    return quantileSorted(values, std::clamp(p, 0.0, 1.0));
}

double mean(const std::vector<double> &values)
{
    if (values.empty())
        return kNaN;
    return sum(values) / static_cast<double>(values.size());
}

double relativeChangePercent(double meanA, double meanB)
{
    if (std::isnan(meanA) || std::isnan(meanB))
        return kNaN;
    if (meanA == 0.0)
        return meanB == 0.0 ? 0.0 : kNaN;
    return 100.0 * (meanB - meanA) / std::fabs(meanA);
}

WinsTiesLosses winsTiesLosses(const std::vector<double> &a, const std::vector<double> &b, double epsilon)
{
    checkSameSize(a, b);
    WinsTiesLosses result;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double delta = b[i] - a[i];
        if (delta > epsilon)
            ++result.wins;
        else if (delta < -epsilon)
            ++result.losses;
        else
            ++result.ties;
    }
    return result;
}

ConfidenceInterval normalMeanCI(const std::vector<double> &values, double level)
{
    if (!(level > 0.0 && level < 1.0))
        throw Error(ErrorCode::InvalidArgument, {}, "confidence level", "must be in (0, 1), got " + std::to_string(level));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (values.empty())
        return {nan, nan, level};
    const double m = mean(values);
    if (values.size() == 1)
        return {m, m, level};
    double squares = 0.0;
    for (double v : values)
        squares += (v - m) * (v - m);
    const double sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
    // z with P(|Z| <= z) = level: bisection on erf(z / sqrt 2) = level, exact to the last bits.
    double lo = 0.0, hi = 40.0;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        (std::erf(mid / std::sqrt(2.0)) < level ? lo : hi) = mid;
    }
    const double half = 0.5 * (lo + hi) * sd / std::sqrt(static_cast<double>(values.size()));
    return {m - half, m + half, level};
}

ConfidenceInterval bootstrapMeanCI(const std::vector<double> &deltas, const BootstrapOptions &options)
{
    if (!(options.level > 0.0 && options.level < 1.0))
        throw Error(ErrorCode::InvalidArgument, std::string(), "bootstrap",
                    "the confidence level must be in (0, 1), not " + std::to_string(options.level));
    if (options.resamples < 1)
        throw Error(ErrorCode::InvalidArgument, std::string(), "bootstrap",
                    "the number of resamples must be positive, not " + std::to_string(options.resamples));
    ConfidenceInterval ci;
    ci.level = options.level;
    if (deltas.empty() || anyNaN(deltas)) { // NaN would also break std::sort's ordering
        ci.lower = ci.upper = kNaN;
        return ci;
    }
    const std::size_t n = deltas.size();
    SeededRandom random(options.seed);
    std::vector<double> means(static_cast<std::size_t>(options.resamples));
    for (double &m : means) {
        double s = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            s += deltas[random.below(n)];
        m = s / static_cast<double>(n);
    }
    std::sort(means.begin(), means.end());
    const double alpha = 1.0 - options.level;
    ci.lower = quantileSorted(means, alpha / 2.0);
    ci.upper = quantileSorted(means, 1.0 - alpha / 2.0);
    return ci;
}

RandomizationResult randomizationTest(const std::vector<double> &deltas, const RandomizationOptions &options)
{
    if (options.exactUpTo > kMaxExact)
        throw Error(ErrorCode::InvalidArgument, std::string(), "randomization test",
                    "exact enumeration is limited to n <= " + std::to_string(kMaxExact));
    if (options.iterations < 1)
        throw Error(ErrorCode::InvalidArgument, std::string(), "randomization test",
                    "the number of iterations must be positive, not " + std::to_string(options.iterations));
    const std::size_t n = deltas.size();
    double scale = 0.0;
    for (double d : deltas)
        scale += std::fabs(d);
    const double threshold = std::fabs(sum(deltas)) - 1e-9 * scale;

    RandomizationResult result;
    if (anyNaN(deltas)) {
        result.pValue = kNaN;
        return result;
    }
    if (n <= static_cast<std::size_t>(std::max(options.exactUpTo, 0))) {
        if (n == 0)
            return result; // one pattern, the empty one, as extreme as itself: p = 1
        // T(s) = T(-s): enumerate the patterns with s_0 = +1 and count each twice.
        const std::uint64_t half = std::uint64_t(1) << (n - 1);
        std::uint64_t extreme = 0;
        for (std::uint64_t mask = 0; mask < half; ++mask) {
            double s = deltas[0];
            for (std::size_t i = 1; i < n; ++i)
                s += ((mask >> (i - 1)) & 1u) ? -deltas[i] : deltas[i];
            if (std::fabs(s) >= threshold)
                ++extreme;
        }
        result.exact = true;
        result.patterns = static_cast<std::int64_t>(2 * half);
        result.pValue = static_cast<double>(extreme) / static_cast<double>(half);
        return result;
    }

    // Monte Carlo: one bit of SplitMix64 output per sign, 64 signs per draw.
    SeededRandom random(options.seed);
    std::int64_t extreme = 0;
    for (int it = 0; it < options.iterations; ++it) {
        double s = 0.0;
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (i % 64 == 0)
                bits = random.next();
            s += (bits & 1u) ? -deltas[i] : deltas[i];
            bits >>= 1;
        }
        if (std::fabs(s) >= threshold)
            ++extreme;
    }
    result.exact = false;
    result.patterns = options.iterations;
    result.pValue = static_cast<double>(extreme + 1) / static_cast<double>(options.iterations + 1);
    return result;
}

PairedComparison comparePaired(const std::vector<double> &a, const std::vector<double> &b,
                               const ComparisonOptions &options)
{
    PairedComparison result;
    result.deltas = pairedDeltas(a, b);
    result.n = a.size();
    result.meanA = mean(a);
    result.meanB = mean(b);
    result.meanDelta = mean(result.deltas);
    result.relativeChangePercent = relativeChangePercent(result.meanA, result.meanB);
    result.winsTiesLosses = winsTiesLosses(a, b, options.tieEpsilon);
    result.meanDeltaCI = options.interval == ComparisonOptions::Interval::Normal
        ? normalMeanCI(result.deltas, options.bootstrap.level)
        : bootstrapMeanCI(result.deltas, options.bootstrap);
    if (options.randomizationTest) {
        result.randomization = randomizationTest(result.deltas, options.randomization);
    } else {
        result.randomization.pValue = std::numeric_limits<double>::quiet_NaN();
        result.randomization.patterns = 0;
    }
    return result;
}

} // namespace lookalike
