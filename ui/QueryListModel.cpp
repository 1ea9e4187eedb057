// The query list, paged.
#include "ui/QueryListModel.h"

#include "ui/ReviewSession.h"
#include "ui/ThumbnailCache.h"

#include <QColor>
#include <QHash>
#include <QPixmap>

#include <algorithm>

namespace lookalike::ui {

QueryListModel::QueryListModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent)
    : QAbstractTableModel(parent)
    , m_session(session)
    , m_thumbnails(thumbnails)
{
    if (!m_session->models().empty())
        m_modelId = m_session->models().front().id;
    m_rows = orderedIds();
    connect(m_session, &ReviewSession::queriesChanged, this, &QueryListModel::reload);
    connect(
        m_session, &ReviewSession::judgmentChanged, this, [this](const JudgmentChange &change) { onJudgmentChanged(change.query); });
    connect(m_thumbnails, &ThumbnailCache::thumbnailReady, this, &QueryListModel::onThumbnail);
    connect(m_session, &ReviewSession::planChanged, this, [this] {
        if (rowCount() > 0)
            Q_EMIT dataChanged(index(0, InfoColumn), index(rowCount() - 1, InfoColumn));
    });
}

std::vector<std::int64_t> QueryListModel::orderedIds() const
{
    const bool descending = m_sortOrder == Qt::DescendingOrder && m_sortColumn >= 0;
    const std::optional<QString> category = m_category.isEmpty() ? std::nullopt : std::optional<QString>(m_category);
    ReviewSession::QueryOrder order = ReviewSession::QueryOrder::ById;
    switch (m_sortColumn) {
    case TitleColumn: order = ReviewSession::QueryOrder::ByTitle; break;
    case IdColumn: order = ReviewSession::QueryOrder::ByKey; break;
    case CategoryColumn: order = ReviewSession::QueryOrder::ByCategory; break;
    default: break;
    }
    // No filter and the session's order: the session already has the ids.
    std::vector<std::int64_t> ids = m_text.isEmpty() && !category && order == ReviewSession::QueryOrder::ById
        ? m_session->queryIds()
        : m_session->findQueries(m_text, category, order, descending && order != ReviewSession::QueryOrder::ById);
    if (m_restriction)
        std::erase_if(ids, [this](std::int64_t id) { return !m_restriction->contains(id); });
    if (m_sortColumn == JudgedColumn || m_sortColumn == NdcgColumn || m_sortColumn == InfoColumn) {
        // The metrics are in memory (the engine's): a key per id, then a stable sort, so ties
        // stay in id order like a sort of the rows would leave them.
        std::vector<std::pair<double, std::int64_t>> keyed;
        keyed.reserve(ids.size());
        for (std::int64_t id : ids) {
            double key = -1.0;
            if (m_sortColumn == JudgedColumn) {
                const auto [judged, shown] = m_session->judgedCount(id, m_modelId, 5);
                key = shown > 0 ? double(judged) / shown : -1.0;
            } else if (m_sortColumn == InfoColumn) {
                key = m_session->informationLeft(id).value_or(-1.0);
            } else if (m_blind) {
                key = 0.0;
            } else if (const QueryMetrics *metrics = m_session->queryMetrics(id, m_modelId)) {
                key = metrics->ndcg5;
            }
            keyed.emplace_back(key, id);
        }
        if (descending)
            std::stable_sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
        else
            std::stable_sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        for (std::size_t i = 0; i < keyed.size(); ++i)
            ids[i] = keyed[i].second;
    }
    return ids;
}

void QueryListModel::reload()
{
    beginResetModel();
    m_rows = orderedIds();
    m_pages.clear();
    m_recent.clear();
    endResetModel();
}

void QueryListModel::setFilter(const QString &text, const QString &category)
{
    if (text == m_text && category == m_category)
        return;
    m_text = text;
    m_category = category;
    reload();
}

void QueryListModel::setRestriction(std::optional<std::vector<std::int64_t>> queryItemIds)
{
    if (!queryItemIds && !m_restriction)
        return;
    if (queryItemIds)
        m_restriction.emplace(queryItemIds->begin(), queryItemIds->end());
    else
        m_restriction.reset();
    reload();
}

void QueryListModel::sort(int column, Qt::SortOrder order)
{
    if (column >= ColumnCount)
        return;
    if (column == m_sortColumn && order == m_sortOrder)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    std::vector<std::int64_t> ids;
    ids.reserve(static_cast<std::size_t>(before.size()));
    for (const QModelIndex &index : before)
        ids.push_back(queryAt(index.row()));
    m_rows = orderedIds();
    m_pages.clear();
    m_recent.clear();
    QModelIndexList after;
    after.reserve(before.size());
    for (int i = 0; i < before.size(); ++i) {
        const int row = rowOf(ids[static_cast<std::size_t>(i)]);
        after << (row < 0 ? QModelIndex() : index(row, before[i].column()));
    }
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

qint64 QueryListModel::queryAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)] : 0;
}

int QueryListModel::rowOf(qint64 queryItemId) const
{
    const auto it = std::find(m_rows.begin(), m_rows.end(), queryItemId);
    return it == m_rows.end() ? -1 : static_cast<int>(it - m_rows.begin());
}

int QueryListModel::cachedItems() const
{
    int n = 0;
    for (const auto &[page, items] : m_pages)
        n += static_cast<int>(items.size());
    return n;
}

const Item *QueryListModel::itemAt(int row) const
{
    const int page = row / kPageRows;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        const auto first = m_rows.begin() + static_cast<std::ptrdiff_t>(page) * kPageRows;
        const auto last = m_rows.begin() + std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(page + 1) * kPageRows,
                                                static_cast<std::ptrdiff_t>(m_rows.size()));
        std::vector<Item> items = m_session->items(std::vector<std::int64_t>(first, last));
        ++m_pagesRead;
        if (static_cast<std::ptrdiff_t>(items.size()) != last - first)
            return nullptr; // the session reported the error
        it = m_pages.emplace(page, std::move(items)).first;
        m_recent.push_front(page);
        while (static_cast<int>(m_recent.size()) > kMaxPages) {
            m_pages.erase(m_recent.back());
            m_recent.pop_back();
        }
    } else if (m_recent.front() != page) {
        m_recent.remove(page);
        m_recent.push_front(page);
    }
    return &it->second[static_cast<std::size_t>(row % kPageRows)];
}

void QueryListModel::setModelId(qint64 modelId)
{
    if (modelId == m_modelId)
        return;
    m_modelId = modelId;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, JudgedColumn), index(rowCount() - 1, NdcgColumn));
}

void QueryListModel::setBlind(bool blind)
{
    if (blind == m_blind)
        return;
    m_blind = blind;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, NdcgColumn), index(rowCount() - 1, NdcgColumn));
}

int QueryListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int QueryListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QueryListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const qint64 id = m_rows[static_cast<std::size_t>(index.row())];
    // Computed only for the roles and columns that show them: data() runs for every visible
    // cell. The id-only roles (what n / Shift+N walk over) never read the item.
    auto judgedCount = [&] { return m_session->judgedCount(id, m_modelId, 5); };
    switch (role) {
    case QueryIdRole:
        return QVariant::fromValue<qint64>(id);
    case CategoryRole:
        return m_session->queryCategory(id);
    case FinishedRole: {
        const auto [judged, shown] = judgedCount();
        return shown > 0 && judged == shown;
    }
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case TitleColumn:
        case IdColumn: {
            const Item *item = itemAt(index.row());
            if (!item)
                return {};
            return QString::fromStdString(index.column() == TitleColumn ? item->title : item->key);
        }
        case CategoryColumn:
            return m_session->queryCategory(id);
        case JudgedColumn: {
            const auto [judged, shown] = judgedCount();
            if (role == SortRole)
                return shown > 0 ? double(judged) / shown : -1.0;
            return QStringLiteral("%1/%2").arg(judged).arg(shown);
        }
        case NdcgColumn: {
            if (m_blind)
                return role == SortRole ? QVariant(0.0) : QVariant(QStringLiteral("hidden"));
            const QueryMetrics *metrics = m_session->queryMetrics(id, m_modelId);
            if (!metrics)
                return role == SortRole ? QVariant(-1.0) : QVariant(QStringLiteral("-"));
            return role == SortRole ? QVariant(metrics->ndcg5) : QVariant(QString::number(metrics->ndcg5, 'f', 3));
        }
        case InfoColumn: {
            const std::optional<double> left = m_session->informationLeft(id);
            if (!left)
                return role == SortRole ? QVariant(-1.0) : QVariant(QStringLiteral("-"));
            return role == SortRole ? QVariant(*left) : QVariant(QString::number(*left, 'f', 2));
        }
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == TitleColumn) {
            const Item *item = itemAt(index.row());
            const QImage thumb = item ? m_thumbnails->thumbnail(QString::fromStdString(item->image.string())) : QImage();
            if (!thumb.isNull())
                return QPixmap::fromImage(thumb.scaled(40, 40, Qt::KeepAspectRatio, Qt::SmoothTransformation));
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == TitleColumn) {
            const Item *item = itemAt(index.row());
            if (!item)
                return {};
            const QString failure = m_thumbnails->failure(QString::fromStdString(item->image.string()));
            return failure.isEmpty() ? QStringLiteral("%1\n%2 · %3")
                                           .arg(QString::fromStdString(item->title), QString::fromStdString(item->key),
                                               QString::fromStdString(item->category))
                                     : failure;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() >= JudgedColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        if (index.column() == JudgedColumn) {
            const auto [judged, shown] = judgedCount();
            if (shown > 0 && judged == shown)
                return QColor(0x2e, 0x7d, 0x32); // finished
        }
        break;
    }
    return {};
}

QVariant QueryListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TitleColumn:
        return tr("Query");
    case IdColumn:
        return tr("Id");
    case CategoryColumn:
        return tr("Category");
    case JudgedColumn:
        return tr("Judged");
    case NdcgColumn:
        return tr("nDCG@5");
    case InfoColumn:
        return tr("Info left");
    }
    return {};
}

void QueryListModel::onJudgmentChanged(qint64 query)
{
    const int row = rowOf(query);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, JudgedColumn), index(row, InfoColumn));
}

void QueryListModel::onThumbnail(const QString &path)
{
    // Only rows of the pages held can be on screen (showing a row reads its page).
    const std::string image = path.toStdString();
    for (const auto &[page, items] : m_pages)
        for (std::size_t i = 0; i < items.size(); ++i)
            if (items[i].image.string() == image) {
                const int row = page * kPageRows + static_cast<int>(i);
                Q_EMIT dataChanged(
                    index(row, TitleColumn), index(row, TitleColumn), {Qt::DecorationRole, Qt::ToolTipRole});
            }
}

QueryFilterModel::QueryFilterModel(QObject *parent)
    : QIdentityProxyModel(parent)
{
}

QueryListModel *QueryFilterModel::queries() const
{
    return qobject_cast<QueryListModel *>(sourceModel());
}

void QueryFilterModel::setText(const QString &text)
{
    if (QueryListModel *q = queries())
        q->setFilter(text.trimmed(), q->filterCategory());
}

void QueryFilterModel::setCategory(const QString &category)
{
    if (QueryListModel *q = queries())
        q->setFilter(q->filterText(), category);
}

} // namespace lookalike::ui
