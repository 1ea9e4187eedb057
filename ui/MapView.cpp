// The embedding map.
#include "ui/MapView.h"

#include "ui/NeighbourGrid.h"
#include "ui/NeighbourModel.h"
#include "ui/ReviewSession.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <set>

namespace lookalike::ui {

namespace {

constexpr int kMargin = 12;
constexpr int kMaxSelectionCards = 200;
// Points of a PCA map: beyond this a seeded sample (the count is shown); painting and the lasso
// stay quick and the embeddings file is read row by row, never whole.
constexpr std::int64_t kMaxMapPoints = 20000;

QColor categoryColour(int index, int count)
{
    // Evenly spaced hues, alternating lightness so that neighbours in the list differ.
    const double hue = count > 0 ? std::fmod(double(index) / double(count) + 0.0, 1.0) : 0.0;
    return QColor::fromHsvF(hue, 0.7, index % 2 ? 0.75 : 0.95);
}

QColor valueColour(double v)
{
    return QColor::fromHsvF(std::clamp(v, 0.0, 1.0) * 0.33, 0.85, 0.85); // red (0) to green (1)
}

} // namespace

// ------------------------------------------------------------------------------- the map widget

EmbeddingMapWidget::EmbeddingMapWidget(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("embeddingMap"));
    setMinimumSize(300, 260);
    setMouseTracking(false);
    setCursor(Qt::CrossCursor);
    setToolTip(tr("Drag a loop around points to open them"));
}

void EmbeddingMapWidget::setPoints(std::vector<MapPoint> points, QStringList categories)
{
    m_points = std::move(points);
    m_categories = std::move(categories);
    update();
}

void EmbeddingMapWidget::setValueColours(const QHash<qint64, QColor> &colours)
{
    m_valueColours = colours;
    m_byValue = !colours.isEmpty();
    update();
}

void EmbeddingMapWidget::setHighlights(qint64 query, const QList<qint64> &neighbours)
{
    m_query = query;
    m_neighbours = neighbours;
    update();
}

QPointF EmbeddingMapWidget::toWidget(const MapPoint &p) const
{
    return {kMargin + p.x * (width() - 2 * kMargin), kMargin + (1 - p.y) * (height() - 2 * kMargin)};
}

QPoint EmbeddingMapWidget::positionOf(qint64 itemId) const
{
    for (const MapPoint &p : m_points)
        if (p.itemId == itemId)
            return toWidget(p).toPoint();
    return {-1, -1};
}

void EmbeddingMapWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    if (m_points.empty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Choose a version and a method, then Compute."));
        return;
    }
    painter.setRenderHint(QPainter::Antialiasing, m_points.size() < 20000);
    const double radius = m_points.size() > 20000 ? 1.2 : m_points.size() > 2000 ? 2.0 : 3.5;
    painter.setPen(Qt::NoPen);
    // Plain points first, coloured ones (queries by value) on top.
    for (int pass = 0; pass < 2; ++pass) {
        for (const MapPoint &p : m_points) {
            QColor colour;
            if (m_byValue) {
                const auto it = m_valueColours.constFind(p.itemId);
                if ((it == m_valueColours.constEnd()) != (pass == 0))
                    continue;
                colour = it == m_valueColours.constEnd() ? QColor(190, 190, 190) : *it;
            } else {
                if (pass == 1)
                    break;
                colour = categoryColour(p.category, static_cast<int>(m_categories.size()));
            }
            painter.setBrush(colour);
            painter.drawEllipse(toWidget(p), m_byValue && pass == 1 ? radius * 1.6 : radius,
                m_byValue && pass == 1 ? radius * 1.6 : radius);
        }
    }
    // The current query and its neighbours.
    painter.setBrush(Qt::NoBrush);
    for (const MapPoint &p : m_points) {
        if (p.itemId == m_query) {
            painter.setPen(QPen(palette().color(QPalette::Text), 2.5));
            painter.drawEllipse(toWidget(p), 9, 9);
        } else if (m_neighbours.contains(p.itemId)) {
            painter.setPen(QPen(palette().color(QPalette::Highlight), 1.8));
            painter.drawEllipse(toWidget(p), 6, 6);
        }
    }
    if (!m_lasso.isEmpty()) {
        painter.setPen(QPen(palette().color(QPalette::Highlight), 1.5, Qt::DashLine));
        painter.setBrush(QColor(0x15, 0x65, 0xc0, 30));
        painter.drawPolygon(m_lasso);
    }
    // Legend: categories (up to 12) or the value scale.
    painter.setPen(palette().color(QPalette::Text));
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    painter.setFont(small);
    int y = kMargin;
    if (m_byValue) {
        painter.drawText(QPoint(width() - 150, y + 10), tr("query nDCG@5: 0 → 1"));
        for (int i = 0; i <= 10; ++i)
            painter.fillRect(QRect(width() - 150 + i * 12, y + 14, 12, 8), valueColour(i / 10.0));
    } else {
        for (int i = 0; i < m_categories.size() && i < 12; ++i, y += 14) {
            painter.setBrush(categoryColour(i, static_cast<int>(m_categories.size())));
            painter.setPen(Qt::NoPen);
            painter.drawEllipse(QPointF(width() - 140, y + 6), 4, 4);
            painter.setPen(palette().color(QPalette::Text));
            painter.drawText(QPoint(width() - 130, y + 10), m_categories[i].isEmpty() ? tr("(none)") : m_categories[i]);
        }
    }
}

void EmbeddingMapWidget::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        m_lasso = QPolygonF({event->position()});
}

void EmbeddingMapWidget::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_lasso.isEmpty()) {
        m_lasso << event->position();
        update();
    }
}

void EmbeddingMapWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_lasso.isEmpty() || event->button() != Qt::LeftButton)
        return;
    m_lasso << event->position();
    QList<qint64> selected;
    if (m_lasso.size() >= 3)
        for (const MapPoint &p : m_points)
            if (m_lasso.containsPoint(toWidget(p), Qt::OddEvenFill))
                selected << p.itemId;
    m_lasso.clear();
    update();
    Q_EMIT lassoSelected(selected);
}

// ------------------------------------------------------------------------------------ the view

MapView::MapView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_map(new EmbeddingMapWidget(this))
    , m_selection(new NeighbourModel(session, thumbnails, this))
    , m_cancelled(std::make_shared<std::atomic<bool>>(false))
    , m_done(std::make_shared<std::atomic<int>>(0))
{
    setObjectName(QStringLiteral("mapView"));
    auto *layout = new QVBoxLayout(this);
    auto *bar = new QHBoxLayout;
    m_version = new QComboBox(this);
    m_version->setObjectName(QStringLiteral("mapVersion"));
    m_version->setSizeAdjustPolicy(
        QComboBox::AdjustToMinimumContentsLengthWithIcon); // long names must not widen the window
    m_version->setMinimumContentsLength(14);
    for (const ModelVersion &v : m_session->models())
        m_version->addItem(QString::fromStdString(v.name), QVariant::fromValue<qint64>(v.id));
    m_method = new QComboBox(this);
    m_method->setObjectName(QStringLiteral("mapMethod"));
    m_method->addItems({tr("PCA"), tr("t-SNE")});
    m_colour = new QComboBox(this);
    m_colour->setObjectName(QStringLiteral("mapColour"));
    m_colour->addItems({tr("Colour by category"), tr("Colour queries by nDCG@5")});
    m_compute = new QPushButton(tr("Co&mpute"), this);
    m_compute->setObjectName(QStringLiteral("mapCompute"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("mapCancel"));
    m_cancel->hide();
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("mapProgress"));
    m_progress->setMaximumWidth(200);
    m_progress->hide();
    bar->addWidget(new QLabel(tr("Version:"), this));
    bar->addWidget(m_version);
    bar->addWidget(m_method);
    bar->addWidget(m_colour);
    bar->addWidget(m_compute);
    bar->addWidget(m_progress);
    bar->addWidget(m_cancel);
    bar->addStretch();
    layout->addLayout(bar);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("mapMessage"));
    m_message->setWordWrap(true);
    layout->addWidget(m_message);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_map);
    m_grid = new NeighbourGrid(split);
    m_grid->setObjectName(QStringLiteral("mapSelection"));
    m_grid->setModel(m_selection);
    m_grid->setItemDelegate(new NeighbourCardDelegate({}, m_grid));
    split->addWidget(m_grid);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(m_compute, &QPushButton::clicked, this, [this] { compute(static_cast<Method>(m_method->currentIndex())); });
    connect(m_cancel, &QPushButton::clicked, this, &MapView::cancel);
    connect(m_colour, &QComboBox::currentIndexChanged, this, &MapView::recolour);
    connect(m_map, &EmbeddingMapWidget::lassoSelected, this, &MapView::showSelection);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &MapView::finished);
    connect(m_session, &ReviewSession::judgmentChanged, this, [this] {
        if (m_colour->currentIndex() == 1)
            recolour();
    });
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, [this] {
        if (m_watcher.isRunning())
            m_progress->setValue(m_done->load());
    });
    timer->start(100);
}

MapView::~MapView()
{
    m_cancelled->store(true);
    m_watcher.waitForFinished();
}

void MapView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_map->points().empty() && !m_busy && m_message->text().isEmpty())
        compute(Pca);
}

QString MapView::message() const
{
    return m_message->text();
}

void MapView::compute(Method method)
{
    if (m_busy)
        return;
    ReviewSession::MapSource source;
    const qint64 modelId = m_version->currentData().toLongLong();
    // A seeded sample beyond the method's budget (t-SNE is O(n^2); PCA of a million rows would
    // read gigabytes): only the sampled rows are read from the embeddings file.
    if (!m_session->mapSource(modelId, method == Tsne ? ReviewSession::maxTsnePoints() : kMaxMapPoints, &source)
        || source.itemIds.empty()) {
        m_message->setText(source.unavailable.isEmpty() ? tr("This version has no embeddings to map.")
                                                        : tr("Nothing to map: %1").arg(source.unavailable));
        return;
    }
    m_mapModel = modelId;
    m_busy = true;
    m_cancelled->store(false);
    m_done->store(0);
    const std::size_t points = source.rows.size();
    m_mapTotal = source.total;
    m_progress->setRange(0, method == Tsne ? ReviewSession::tsneIterations() : 0);
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    m_compute->setEnabled(false);
    m_message->setText(method == Tsne ? tr("Computing t-SNE of %1 points…").arg(points)
                                      : tr("Computing PCA of %1 points…").arg(points));
    m_watcher.setFuture(m_session->computeMap(source, method == Tsne, m_cancelled, m_done));
}

void MapView::cancel()
{
    m_cancelled->store(true);
}

void MapView::finished()
{
    Outcome out = m_watcher.result();
    m_busy = false;
    m_progress->hide();
    m_cancel->hide();
    m_compute->setEnabled(true);
    if (!out.error.isEmpty()) {
        m_message->setText(tr("The map could not be computed: %1").arg(out.error));
        Q_EMIT computed();
        return;
    }
    // Scale to [0, 1] on both axes, keeping the aspect ratio.
    float minX = INFINITY, maxX = -INFINITY, minY = INFINITY, maxY = -INFINITY;
    for (std::size_t i = 0; i < out.itemIds.size(); ++i) {
        minX = std::min(minX, out.xy[2 * i]);
        maxX = std::max(maxX, out.xy[2 * i]);
        minY = std::min(minY, out.xy[2 * i + 1]);
        maxY = std::max(maxY, out.xy[2 * i + 1]);
    }
    const float span = std::max({maxX - minX, maxY - minY, 1e-12f});
    std::set<QString> names(out.categories.begin(), out.categories.end());
    const QStringList categories(names.begin(), names.end());
    std::vector<MapPoint> points;
    points.reserve(out.itemIds.size());
    for (std::size_t i = 0; i < out.itemIds.size(); ++i)
        points.push_back({(out.xy[2 * i] - minX) / span + (1 - (maxX - minX) / span) / 2,
            (out.xy[2 * i + 1] - minY) / span + (1 - (maxY - minY) / span) / 2, out.itemIds[i],
            static_cast<int>(categories.indexOf(out.categories[i]))});
    m_map->setPoints(std::move(points), categories);
    recolour();
    setCurrentQuery(m_query);
    const QString sampled = static_cast<std::int64_t>(out.itemIds.size()) < m_mapTotal
        ? tr(" (a seeded sample of its %1 embedded items)").arg(m_mapTotal)
        : QString();
    m_message->setText(tr("%1 items of %2%3. Drag a loop around points to see them below.")
                           .arg(out.itemIds.size())
                           .arg(m_version->currentText(), sampled));
    Q_EMIT computed();
}

void MapView::recolour()
{
    if (m_colour->currentIndex() == 0 || !m_mapModel) {
        m_map->setValueColours({});
        return;
    }
    QHash<qint64, QColor> colours;
    for (const std::int64_t q : m_session->queryIds())
        if (const QueryMetrics *m = m_session->queryMetrics(q, m_mapModel))
            colours.insert(q, valueColour(m->ndcg5));
    if (colours.isEmpty())
        m_message->setText(tr("No query of this version is judged yet: nothing to colour by nDCG@5."));
    m_map->setValueColours(colours);
}

void MapView::setCurrentQuery(qint64 query)
{
    m_query = query;
    QList<qint64> neighbours;
    if (query && m_mapModel)
        for (const Candidate &c : m_session->candidates(query, m_mapModel))
            neighbours << c.itemId;
    m_map->setHighlights(query, neighbours);
}

void MapView::showSelection(const QList<qint64> &ids)
{
    std::vector<std::int64_t> wanted(ids.begin(), ids.begin() + std::min<qsizetype>(ids.size(), kMaxSelectionCards));
    std::vector<Candidate> cards;
    int rank = 0;
    for (const Item &item : m_session->items(wanted)) {
        Candidate c;
        c.rank = ++rank;
        c.itemId = item.id;
        c.key = QString::fromStdString(item.key);
        c.title = QString::fromStdString(item.title);
        c.category = QString::fromStdString(item.category);
        c.image = QString::fromStdString(item.image.string());
        cards.push_back(std::move(c));
    }
    m_selection->showItems(std::move(cards));
    m_message->setText(ids.size() > kMaxSelectionCards
            ? tr("%1 items selected; the first %2 are shown below.").arg(ids.size()).arg(kMaxSelectionCards)
            : tr("%1 items selected.").arg(ids.size()));
}

} // namespace lookalike::ui
