// The product manager's search: type words and see the catalog items the SigLIP text tower
// ranks first, or drop an image file on the window and see its neighbours (query by new
// image). Model loading and inference run on a worker thread with a busy bar; the window stays
// responsive. Any result can be added to the query set, which freezes its lists and opens it
// in review.
#pragma once

#include "ui/ReviewSession.h"

#include <QFutureWatcher>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace lookalike {
struct Hit;
} // namespace lookalike

namespace lookalike::ui {

class NeighbourGrid;
class NeighbourModel;
class ThumbnailCache;

class SearchView : public QWidget {
    Q_OBJECT
public:
    SearchView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent = nullptr);
    ~SearchView() override;

    void searchText(const QString &text);
    void searchImage(const QString &imageFile);
    bool isBusy() const;
    NeighbourModel *results() const { return m_results; }
    NeighbourGrid *grid() const { return m_grid; }
    QString message() const;

Q_SIGNALS:
    void openQuery(qint64 queryItemId);
    void searchFinished();

private:
    struct Request {
        bool text = true;
        QString input;
        QString version;
    };
    using Outcome = ReviewSession::SearchOutcome;
    void start(const Request &request);
    void finished();
    void addSelectedAsQuery();

    ReviewSession *m_session;
    NeighbourModel *m_results;
    NeighbourGrid *m_grid;
    QComboBox *m_version;
    QLineEdit *m_text;
    QProgressBar *m_busyBar;
    bool m_busy = false; // from start() until its result is shown
    QLabel *m_message;
    QPushButton *m_addQuery;
    QFutureWatcher<Outcome> m_watcher;
    std::optional<Request> m_pending; // asked for while another search ran: the latest only
    QString m_running;
    // One loaded searcher per version, kept for the next searches (used by one worker at a time).
};

} // namespace lookalike::ui
