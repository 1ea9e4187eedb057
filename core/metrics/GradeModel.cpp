// GradeModel (see GradeModel.h).
#include "core/metrics/GradeModel.h"

#include <algorithm>
#include <numeric>

namespace lookalike {

GradeModel::GradeModel(const MetricSettings &settings)
    : m_settings(settings)
    , m_levels(std::max(1, settings.highestGrade - settings.lowestGrade + 1))
{
    for (auto &counts : m_counts)
        counts.assign(static_cast<std::size_t>(m_levels), 0.0);
    m_total.assign(static_cast<std::size_t>(m_levels), 0.0);
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
    }
}

std::vector<double> GradeModel::odds(int position) const
{
    const auto levels = static_cast<std::size_t>(m_levels);
    const double all = std::accumulate(m_total.begin(), m_total.end(), 0.0);
    const std::vector<double> &counts = m_counts[static_cast<std::size_t>(std::clamp(position, 0, kPositions - 1))];
    const double here = std::accumulate(counts.begin(), counts.end(), 0.0);
    std::vector<double> out(levels);
    for (std::size_t i = 0; i < levels; ++i) {
        const double overall = (m_total[i] + 1.0) / (all + static_cast<double>(levels));
        out[i] = (counts[i] + kShrink * overall) / (here + kShrink);
    }
    return out;
}

} // namespace lookalike
