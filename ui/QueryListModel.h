// The query set as a table for the review sidebar: thumbnail and title, catalog id, category,
// how much of the shown version's top 5 is judged ("3/5") and its nDCG@5. A filter proxy
// narrows it by text (title or id) and category. Rows follow the session's query order.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QSortFilterProxyModel>

namespace lookalike::ui {

class ReviewSession;
class ThumbnailCache;

class QueryListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TitleColumn, IdColumn, CategoryColumn, JudgedColumn, NdcgColumn, ColumnCount };
    enum Role { QueryIdRole = Qt::UserRole + 1, SortRole, CategoryRole, FinishedRole };

    QueryListModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent = nullptr);

    // The version whose judged count and nDCG@5 are shown.
    void setModelId(qint64 modelId);
    qint64 modelId() const { return m_modelId; }
    // Blind mode hides nDCG@5 (it would tell which version is which).
    void setBlind(bool blind);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void onJudgmentChanged(qint64 query);
    void indexImages();
    void onThumbnail(const QString &path);

    ReviewSession *m_session;
    ThumbnailCache *m_thumbnails;
    qint64 m_modelId = 0;
    bool m_blind = false;
    QHash<QString, QList<int>> m_rowsOfImage;
};

// Text (title or id, case-insensitive) and category filter; sorts on QueryListModel::SortRole.
class QueryFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit QueryFilterModel(QObject *parent = nullptr);
    void setText(const QString &text);
    void setCategory(const QString &category); // empty: all

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    QString m_category;
};

} // namespace lookalike::ui
