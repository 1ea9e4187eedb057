// How likely each grade is for a candidate nobody has graded yet, learned from the grades given
// so far: the judging planner's model of the unknown (JudgingPlanner.h), which resamples the
// unjudged grades from it for its "significant" verdict.
//
// A candidate's grade depends mostly on how high the compared versions rank it, so the odds are
// kept per position: its best 0-based rank in either compared list (0 .. kRanks - 2, deeper
// ranks share kRanks - 1), or "in neither list" (another version's candidate, pooled). The
// position is the same whichever list ranks it there, so the model never favours a version.
// Each position's odds are its counts shrunk towards the odds over every position (kShrink
// pseudo-grades), and those towards even odds (one pseudo-grade per level), so no grade is
// ever ruled out and a position seen rarely borrows from the rest.
#pragma once

#include "core/metrics/RankingMetrics.h"

#include <array>
#include <cstddef>
#include <vector>

namespace lookalike {

class GradeModel {
public:
    static constexpr int kRanks = 11;         // ranks 0-9, then deeper
    static constexpr int kPositions = kRanks + 1; // the last: in neither compared list
    static constexpr double kShrink = 4.0;

    explicit GradeModel(const MetricSettings &settings = {});

    // A position: rank = best 0-based rank in either compared list, or -1 for neither.
    static int positionOf(int rank);

    void add(int position, int grade);    // a grade seen (grades off the scale are ignored)
    void remove(int position, int grade); // a grade taken back

    // P(grade = lowest + i) for a candidate at `position`, i = 0 .. levels - 1; sums to 1. Kept
    // up to date by add and remove (the planner reads them for every unjudged candidate).
    const std::vector<double> &odds(int position) const;
    // Their running sums (the last is 1), for drawing a grade.
    const std::vector<double> &cumulative(int position) const;
    int levels() const { return m_levels; }
    const MetricSettings &settings() const { return m_settings; }

private:
    void update();

    MetricSettings m_settings;
    int m_levels = 0;
    std::array<std::vector<double>, kPositions> m_counts;
    std::vector<double> m_total;
    std::array<std::vector<double>, kPositions> m_odds, m_cumulative;
};

} // namespace lookalike
