// The query list.
#include "ui/QueryListModel.h"

#include "ui/ReviewSession.h"
#include "ui/ThumbnailCache.h"

#include <QColor>
#include <QPixmap>

namespace lookalike::ui {

QueryListModel::QueryListModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent)
    : QAbstractTableModel(parent)
    , m_session(session)
    , m_thumbnails(thumbnails)
{
    indexImages();
    connect(m_session, &ReviewSession::queriesChanged, this, [this] {
        beginResetModel();
        indexImages();
        endResetModel();
    });
    if (!m_session->models().empty())
        m_modelId = m_session->models().front().id;
    connect(
        m_session, &ReviewSession::judgmentChanged, this, [this](qint64 query, qint64) { onJudgmentChanged(query); });
    connect(m_thumbnails, &ThumbnailCache::thumbnailReady, this, &QueryListModel::onThumbnail);
}

void QueryListModel::indexImages()
{
    m_rowsOfImage.clear();
    const auto &queries = m_session->queries();
    for (int row = 0; row < static_cast<int>(queries.size()); ++row)
        m_rowsOfImage[QString::fromStdString(queries[static_cast<std::size_t>(row)].image.string())].append(row);
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
    return parent.isValid() ? 0 : static_cast<int>(m_session->queries().size());
}

int QueryListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QueryListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Item &item = m_session->queries()[static_cast<std::size_t>(index.row())];
    // Computed only for the roles and columns that show them: data() runs for every visible cell.
    auto judgedCount = [&] { return m_session->judgedCount(item.id, m_modelId, 5); };
    switch (role) {
    case QueryIdRole:
        return QVariant::fromValue<qint64>(item.id);
    case CategoryRole:
        return QString::fromStdString(item.category);
    case FinishedRole: {
        const auto [judged, shown] = judgedCount();
        return shown > 0 && judged == shown;
    }
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case TitleColumn:
            return QString::fromStdString(item.title);
        case IdColumn:
            return QString::fromStdString(item.key);
        case CategoryColumn:
            return QString::fromStdString(item.category);
        case JudgedColumn: {
            const auto [judged, shown] = judgedCount();
            if (role == SortRole)
                return shown > 0 ? double(judged) / shown : -1.0;
            return QStringLiteral("%1/%2").arg(judged).arg(shown);
        }
        case NdcgColumn: {
            if (m_blind)
                return role == SortRole ? QVariant(0.0) : QVariant(QStringLiteral("hidden"));
            const QueryMetrics *metrics = m_session->queryMetrics(item.id, m_modelId);
            if (!metrics)
                return role == SortRole ? QVariant(-1.0) : QVariant(QStringLiteral("-"));
            return role == SortRole ? QVariant(metrics->ndcg5) : QVariant(QString::number(metrics->ndcg5, 'f', 3));
        }
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == TitleColumn) {
            const QImage thumb = m_thumbnails->thumbnail(QString::fromStdString(item.image.string()));
            if (!thumb.isNull())
                return QPixmap::fromImage(thumb.scaled(40, 40, Qt::KeepAspectRatio, Qt::SmoothTransformation));
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == TitleColumn) {
            const QString failure = m_thumbnails->failure(QString::fromStdString(item.image.string()));
            return failure.isEmpty() ? QStringLiteral("%1\n%2 · %3")
                                           .arg(QString::fromStdString(item.title), QString::fromStdString(item.key),
                                               QString::fromStdString(item.category))
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
    }
    return {};
}

void QueryListModel::onJudgmentChanged(qint64 query)
{
    const int row = m_session->queryRow(query);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, JudgedColumn), index(row, NdcgColumn));
}

void QueryListModel::onThumbnail(const QString &path)
{
    for (int row : m_rowsOfImage.value(path))
        Q_EMIT dataChanged(index(row, TitleColumn), index(row, TitleColumn), {Qt::DecorationRole, Qt::ToolTipRole});
}

QueryFilterModel::QueryFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(QueryListModel::SortRole);
}

void QueryFilterModel::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

void QueryFilterModel::setCategory(const QString &category)
{
    m_category = category;
    invalidateFilter();
}

bool QueryFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *m = sourceModel();
    if (!m_category.isEmpty()
        && m->index(sourceRow, QueryListModel::CategoryColumn, sourceParent).data().toString() != m_category)
        return false;
    if (m_text.isEmpty())
        return true;
    return m->index(sourceRow, QueryListModel::TitleColumn, sourceParent)
               .data()
               .toString()
               .contains(m_text, Qt::CaseInsensitive)
        || m->index(sourceRow, QueryListModel::IdColumn, sourceParent)
               .data()
               .toString()
               .contains(m_text, Qt::CaseInsensitive);
}

} // namespace lookalike::ui
