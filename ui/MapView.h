// The embedding map: a version's catalog embeddings projected to 2-D (PCA of up to 20,000
// points, or t-SNE of up to 10,000; a seeded sample beyond that, its size shown), computed
// on a worker thread with a progress bar and a cancel button; points coloured by category or,
// for query items, by their nDCG@5; the current query and its neighbours ringed; a lasso
// selection (drag with the mouse) opens the selected items as cards below the map. Failures
// often show up as clusters here.
#pragma once

#include "ui/ReviewSession.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;

namespace lookalike::ui {

class NeighbourGrid;
class NeighbourModel;
class ThumbnailCache;

struct MapPoint {
    float x = 0, y = 0; // map coordinates, in [0, 1]
    qint64 itemId = 0;
    int category = 0; // index into the map's category list
};

// Paints the points and handles the lasso.
class EmbeddingMapWidget : public QWidget {
    Q_OBJECT
public:
    explicit EmbeddingMapWidget(QWidget *parent = nullptr);
    void setPoints(std::vector<MapPoint> points, QStringList categories);
    const std::vector<MapPoint> &points() const { return m_points; }
    // Per-item colours that override the category colours (nDCG@5 of queries); others grey.
    void setValueColours(const QHash<qint64, QColor> &colours);
    const QHash<qint64, QColor> &valueColours() const { return m_valueColours; }
    void setHighlights(qint64 query, const QList<qint64> &neighbours);
    // The widget position of an item's point (for tests), or (-1, -1).
    QPoint positionOf(qint64 itemId) const;

Q_SIGNALS:
    void lassoSelected(const QList<qint64> &itemIds);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    QPointF toWidget(const MapPoint &p) const;

    std::vector<MapPoint> m_points;
    QStringList m_categories;
    QHash<qint64, QColor> m_valueColours;
    bool m_byValue = false;
    qint64 m_query = 0;
    QList<qint64> m_neighbours;
    QPolygonF m_lasso;
};

class MapView : public QWidget {
    Q_OBJECT
public:
    MapView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent = nullptr);
    ~MapView() override;

    enum Method { Pca, Tsne };
    void compute(Method method);
    void cancel();
    // From compute() until its result is shown.
    bool isBusy() const { return m_busy; }
    QString message() const;
    // The current query and its neighbours under the map's version, ringed on the map.
    void setCurrentQuery(qint64 query);
    EmbeddingMapWidget *map() const { return m_map; }
    NeighbourModel *selection() const { return m_selection; }

Q_SIGNALS:
    void computed();

protected:
    // The first time the map is shown it computes the PCA map (quick) by itself.
    void showEvent(QShowEvent *event) override;

private:
    using Outcome = ReviewSession::MapOutcome;
    void finished();
    void recolour();
    void showSelection(const QList<qint64> &ids);

    ReviewSession *m_session;
    EmbeddingMapWidget *m_map;
    NeighbourModel *m_selection;
    NeighbourGrid *m_grid;
    QComboBox *m_version;
    QComboBox *m_method;
    QComboBox *m_colour;
    QPushButton *m_compute;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_message;
    QFutureWatcher<Outcome> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
    std::shared_ptr<std::atomic<int>> m_done;
    qint64 m_query = 0;
    qint64 m_mapModel = 0;
    std::int64_t m_mapTotal = 0; // embedded items of the mapped version (the map may be a sample)
    bool m_busy = false;
};

} // namespace lookalike::ui
