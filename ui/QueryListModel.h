// The query set as a table for the review sidebar: thumbnail and title, catalog id, category,
// how much of the shown version's top 5 is judged ("3/5"), its nDCG@5, and once the judging planner
// runs (J), how much is still unknown about the query's difference between A and B ("info left").
//
// Built for big query sets (100,000 queries of a million-item catalog): the model holds only
// the ids of its rows, in the current filter and sort order; the items behind the rows (title,
// catalog id, image) are read from the project a page at a time when a view asks for a row,
// and only the last few pages are kept. Filtering (text in the title or id, category) and
// sorting on the item columns run in SQL; sorting on the judged count, nDCG@5 or info left sorts the id
// array on the engine's in-memory metrics. Nothing here grows with the catalog.
#pragma once

#include "ui/ReviewSession.h"

#include <QAbstractTableModel>
#include <QIdentityProxyModel>

#include <list>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lookalike::ui {

class ThumbnailCache;

class QueryListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TitleColumn, IdColumn, CategoryColumn, JudgedColumn, NdcgColumn, InfoColumn, ColumnCount };
    enum Role { QueryIdRole = Qt::UserRole + 1, SortRole, CategoryRole, FinishedRole };
    static constexpr int kPageRows = 128; // items read per page
    static constexpr int kMaxPages = 8;   // pages kept (least recently used dropped)

    QueryListModel(ReviewSession *session, ThumbnailCache *thumbnails, QObject *parent = nullptr);

    // The version whose judged count and nDCG@5 are shown.
    void setModelId(qint64 modelId);
    qint64 modelId() const { return m_modelId; }
    // Blind mode hides nDCG@5 (it would tell which version is which).
    void setBlind(bool blind);

    // Narrows the rows to the queries whose title or id contains `text` (case-insensitive) and,
    // unless `category` is empty, in that category (a model reset).
    void setFilter(const QString &text, const QString &category);
    QString filterText() const { return m_text; }
    QString filterCategory() const { return m_category; }
    // Narrows the rows further to these queries (a rater's assignment); nothing: no restriction.
    void setRestriction(std::optional<std::vector<std::int64_t>> queryItemIds);
    bool restricted() const { return m_restriction.has_value(); }

    qint64 queryAt(int row) const; // 0 if out of range
    int rowOf(qint64 queryItemId) const; // -1 if not listed (filtered out or not a query)

    // Paging, for tests and benchmarks: items held now, and pages read since construction.
    int cachedItems() const;
    int pagesRead() const { return m_pagesRead; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // Column -1: the session's order (by item id). Keeps the persistent indexes (the current row).
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    const Item *itemAt(int row) const; // reads its page if needed; nullptr on error
    std::vector<std::int64_t> orderedIds() const; // the filter and the sort, from the session
    void reload();
    void onJudgmentChanged(qint64 query);
    void onThumbnail(const QString &path);

    ReviewSession *m_session;
    ThumbnailCache *m_thumbnails;
    qint64 m_modelId = 0;
    bool m_blind = false;
    QString m_text;
    QString m_category;
    std::optional<std::unordered_set<std::int64_t>> m_restriction;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    std::vector<std::int64_t> m_rows; // query item ids, in display order
    mutable std::unordered_map<int, std::vector<Item>> m_pages; // page number -> its items
    mutable std::list<int> m_recent;                            // page numbers, most recent first
    mutable int m_pagesRead = 0;
};

// The view's model: passes the text and category filters and the sort to the QueryListModel,
// which does them in the database instead of reading every row.
class QueryFilterModel : public QIdentityProxyModel {
    Q_OBJECT
public:
    explicit QueryFilterModel(QObject *parent = nullptr);
    void setText(const QString &text);
    void setCategory(const QString &category); // empty: all

private:
    QueryListModel *queries() const;
};

} // namespace lookalike::ui
