// The neighbour cards of one version.
#include "ui/NeighbourModel.h"

#include "ui/ThumbnailCache.h"

#include <QPixmap>

namespace lookalike::ui {

NeighbourModel::NeighbourModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent)
    : QAbstractListModel(parent)
    , m_session(session)
    , m_thumbnails(thumbnails)
{
    connect(m_session, &ReviewSession::judgmentChanged, this, [this](const JudgmentChange &change) {
        if (change.query != m_query || m_query == 0)
            return;
        // Only this pair's grades changed (a grade counts for every list that holds the pair).
        for (int row = 0; row < static_cast<int>(m_cards.size()); ++row) {
            Candidate &card = m_cards[static_cast<std::size_t>(row)];
            if (card.itemId != change.candidate)
                continue;
            card.grade = change.grade;
            card.ownGrade = change.ownGrade;
            Q_EMIT dataChanged(index(row), index(row), {GradeRole, OwnGradeRole});
        }
    });
    connect(m_thumbnails, &ThumbnailCache::thumbnailReady, this, [this](const QString &path) {
        for (int row = 0; row < static_cast<int>(m_cards.size()); ++row)
            if (m_cards[static_cast<std::size_t>(row)].image == path)
                Q_EMIT dataChanged(index(row), index(row), {Qt::DecorationRole, ImageFailureRole});
    });
}

void NeighbourModel::show(qint64 queryItemId, qint64 modelId, int depth)
{
    m_query = queryItemId;
    m_model = modelId;
    m_depth = depth;
    reload();
}

void NeighbourModel::showItems(std::vector<Candidate> cards)
{
    beginResetModel();
    m_query = 0;
    m_model = 0;
    m_cards = std::move(cards);
    m_other.clear();
    endResetModel();
}

void NeighbourModel::reload()
{
    beginResetModel();
    m_cards = m_session->candidates(m_query, m_model);
    if (static_cast<int>(m_cards.size()) > m_depth)
        m_cards.resize(static_cast<std::size_t>(m_depth));
    endResetModel();
}

void NeighbourModel::setOtherItems(const QSet<qint64> &items)
{
    m_other = items;
    if (!m_cards.empty())
        Q_EMIT dataChanged(index(0), index(rowCount() - 1), {InOtherListRole});
}

QSet<qint64> NeighbourModel::itemIds() const
{
    QSet<qint64> ids;
    for (const Candidate &c : m_cards)
        ids.insert(c.itemId);
    return ids;
}

const Candidate *NeighbourModel::candidate(int row) const
{
    return row >= 0 && row < rowCount() ? &m_cards[static_cast<std::size_t>(row)] : nullptr;
}

int NeighbourModel::nextUngraded(int from) const
{
    const int n = rowCount();
    for (int i = 0; i < n; ++i) {
        const int row = (from + i) % n;
        if (!m_cards[static_cast<std::size_t>(row)].grade)
            return row;
    }
    return -1;
}

int NeighbourModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_cards.size());
}

QVariant NeighbourModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Candidate &c = m_cards[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        return c.title;
    case Qt::ToolTipRole:
        return QStringLiteral("%1\n%2 · %3 · cosine %4").arg(c.title, c.key, c.category).arg(c.score, 0, 'f', 4);
    case Qt::DecorationRole: {
        const QImage thumb = m_thumbnails->thumbnail(c.image);
        return thumb.isNull() ? QVariant() : QVariant(QPixmap::fromImage(thumb));
    }
    case ItemIdRole:
        return QVariant::fromValue<qint64>(c.itemId);
    case RankRole:
        return c.rank;
    case ScoreRole:
        return double(c.score);
    case KeyRole:
        return c.key;
    case GradeRole:
        return c.grade ? QVariant(*c.grade) : QVariant();
    case OwnGradeRole:
        return c.ownGrade ? QVariant(*c.ownGrade) : QVariant();
    case ImagePathRole:
        return c.image;
    case ImageFailureRole:
        return m_thumbnails->failure(c.image);
    case FlagsRole: {
        QStringList flags;
        if (c.sameImage)
            flags << tr("same image");
        else if (c.nearIdentical)
            flags << tr("near-identical");
        if (!c.sameSeller.isEmpty())
            flags << tr("same %1").arg(c.sameSeller);
        return flags;
    }
    case InOtherListRole:
        return m_other.contains(c.itemId);
    }
    return {};
}

QHash<int, QByteArray> NeighbourModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(ItemIdRole, "itemId");
    names.insert(RankRole, "rank");
    names.insert(ScoreRole, "score");
    names.insert(KeyRole, "key");
    names.insert(TitleRole, "title");
    names.insert(GradeRole, "grade");
    names.insert(OwnGradeRole, "ownGrade");
    names.insert(ImagePathRole, "imagePath");
    names.insert(ImageFailureRole, "imageFailure");
    names.insert(FlagsRole, "flags");
    names.insert(InOtherListRole, "inOtherList");
    return names;
}

} // namespace lookalike::ui
