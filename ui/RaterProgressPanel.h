// The raters dock: every rater's progress (queries assigned, done, in progress, grades) and the
// query each one is on now, refreshed every 2 s. Each refresh also polls for other raters' new
// grades (ReviewSession::pollOthers), so the metrics follow a shared judgment database live.
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;
class QTimer;

namespace lookalike::ui {

class ReviewSession;

class RaterProgressPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = 2000;

    explicit RaterProgressPanel(ReviewSession *session, QWidget *parent = nullptr);

    // Polls for other raters' grades and reloads the table (the timer calls it).
    void refresh();
    QTableWidget *table() const { return m_table; }

private:
    ReviewSession *m_session;
    QTableWidget *m_table;
    QLabel *m_summary;
    QTimer *m_timer;
};

} // namespace lookalike::ui
