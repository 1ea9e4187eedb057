// The raters dock: every rater's progress (queries assigned, done, in progress, grades) and the
// query each one is on now, redrawn whenever the session has polled the judgment database
// (ReviewSession::poll, every 2 s; the session, not this panel, brings other raters' grades in).
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace lookalike::ui {

class ReviewSession;

class RaterProgressPanel : public QWidget {
    Q_OBJECT
public:
    explicit RaterProgressPanel(ReviewSession *session, QWidget *parent = nullptr);

    // Reloads the table, or says why it cannot (`pollError`: the session's poll failed).
    void refresh(const QString &pollError = QString());
    QTableWidget *table() const { return m_table; }

private:
    ReviewSession *m_session;
    QTableWidget *m_table;
    QLabel *m_summary;
};

} // namespace lookalike::ui
