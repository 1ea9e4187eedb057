// The always-visible metrics panel: nDCG@5, P@1 and judged@5 of the two chosen versions with
// 95 % intervals, the delta and relative change with its interval, wins/ties/losses, and two
// charts: the per-query nDCG@5 distribution of both versions and the running mean as grades
// come in. Refreshed after every grade. The intervals here are the normal approximation
// (O(n), instant); `lookalike eval` reports the paired bootstrap and the p-value. Below them,
// the judging planner's one line (settled, significant, or how many more judgments).
#pragma once

#include <QWidget>

class QChartView;
class QLabel;
class QTableWidget;

namespace lookalike::ui {

class ReviewSession;

class MetricsPanel : public QWidget {
    Q_OBJECT
public:
    explicit MetricsPanel(ReviewSession *session, QWidget *parent = nullptr);

    // The versions shown (b = 0 or b = a: one version, no comparison).
    void setModels(qint64 a, qint64 b);
    // Blind: names hidden ("version 1", "version 2").
    void setBlind(bool blind);
    void refresh();

    // The metric table as CSV (what the table shows, full precision).
    QString metricsCsv() const;
    // Both charts, one above the other.
    QImage chartImage() const;

private:
    QString nameOf(int side) const;

    ReviewSession *m_session;
    qint64 m_a = 0;
    qint64 m_b = 0;
    bool m_blind = false;
    QTableWidget *m_table;
    QLabel *m_comparison;
    QLabel *m_plan; // the judging planner's verdict line
    QChartView *m_distribution;
    QChartView *m_running;
    QString m_csv;
};

} // namespace lookalike::ui
