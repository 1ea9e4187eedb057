// One version's ranked neighbours of the current query, as cards: image, rank, cosine score,
// title, the grade badge, and why the candidate is there (near-duplicate, same seller). In
// compare mode each card also knows whether the other version's list holds the same item.
#pragma once

#include "ui/ReviewSession.h"

#include <QAbstractListModel>
#include <QSet>

namespace lookalike::ui {

class ThumbnailCache;

class NeighbourModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        ItemIdRole = Qt::UserRole + 1,
        RankRole,
        ScoreRole,
        KeyRole,
        TitleRole,
        GradeRole, // resolved grade (int) or invalid when ungraded
        OwnGradeRole, // this rater's grade, or invalid
        ImagePathRole,
        ImageFailureRole, // why the image cannot be shown, or empty
        FlagsRole, // QStringList: "duplicate image", "near-identical", "same seller s-12"
        InOtherListRole, // bool: the other version's list (compare mode) holds it too
    };

    NeighbourModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent = nullptr);

    // Shows `modelId`'s list for `queryItemId`, cut at `depth` cards.
    void show(qint64 queryItemId, qint64 modelId, int depth);
    // Shows an ad-hoc list (search results): no query, no version, no grades.
    void showItems(std::vector<Candidate> cards);
    // Item ids of the other side's list, for InOtherListRole (empty outside compare mode).
    void setOtherItems(const QSet<qint64> &items);
    QSet<qint64> itemIds() const;

    qint64 queryItemId() const { return m_query; }
    qint64 modelId() const { return m_model; }
    const Candidate *candidate(int row) const;
    // The first row at or after `from` (wrapping) without a grade, or -1 when all are graded.
    int nextUngraded(int from) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    void reload();

    ReviewSession *m_session;
    ThumbnailCache *m_thumbnails;
    qint64 m_query = 0;
    qint64 m_model = 0;
    int m_depth = 5;
    std::vector<Candidate> m_cards;
    QSet<qint64> m_other;
};

} // namespace lookalike::ui
