// GradeModel (see GradeModel.h).
#include "core/metrics/GradeModel.h"

#include <algorithm>
#include <iterator>
#include <numeric>

namespace lookalike {

GradeModel::GradeModel(const MetricSettings &settings)
    : m_settings(settings)
    , m_levels(std::max(1, settings.highestGrade - settings.lowestGrade + 1))
{
    for (auto &counts : m_counts)
        counts.assign(static_cast<std::size_t>(m_levels), 0.0);
    m_total.assign(static_cast<std::size_t>(m_levels), 0.0);
    update();
}

int GradeModel::positionOf(int rank)
{
    return rank < 0 ? kPositions - 1 : std::min(rank, kRanks - 1);
}

void GradeModel::add(int position, int grade)
{
    const int i = grade - m_settings.lowestGrade;
    if (i < 0 || i >= m_levels || position < 0 || position >= kPositions)
        return;
    m_counts[static_cast<std::size_t>(position)][static_cast<std::size_t>(i)] += 1.0;
    m_total[static_cast<std::size_t>(i)] += 1.0;
    update();
}

void GradeModel::remove(int position, int grade)
{
    const int i = grade - m_settings.lowestGrade;
    if (i < 0 || i >= m_levels || position < 0 || position >= kPositions)
        return;
    double &c = m_counts[static_cast<std::size_t>(position)][static_cast<std::size_t>(i)];
    if (c >= 1.0) {
        c -= 1.0;
        m_total[static_cast<std::size_t>(i)] -= 1.0;
        update();
    }
}

void GradeModel::update()
{
    const auto levels = static_cast<std::size_t>(m_levels);
    const double all = std::accumulate(m_total.begin(), m_total.end(), 0.0);
    for (std::size_t p = 0; p < m_counts.size(); ++p) {
        const std::vector<double> &counts = m_counts[p];
        const double here = std::accumulate(counts.begin(), counts.end(), 0.0);
        m_odds[p].assign(levels, 0.0);
        for (std::size_t i = 0; i < levels; ++i) {
            const double overall = (m_total[i] + 1.0) / (all + static_cast<double>(levels));
            m_odds[p][i] = (counts[i] + kShrink * overall) / (here + kShrink);
        }
        m_cumulative[p].clear();
        std::partial_sum(m_odds[p].begin(), m_odds[p].end(), std::back_inserter(m_cumulative[p]));
    }
}

const std::vector<double> &GradeModel::odds(int position) const
{
    return m_odds[static_cast<std::size_t>(std::clamp(position, 0, kPositions - 1))];
}

const std::vector<double> &GradeModel::cumulative(int position) const
{
    return m_cumulative[static_cast<std::size_t>(std::clamp(position, 0, kPositions - 1))];
}

} // namespace lookalike
