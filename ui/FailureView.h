// The product manager's failure view: the queries a version gets worst (by nDCG@5), or those on
// which two versions differ most, filterable by category; opening one jumps to it in review.
// Below it, the per-category breakdown of both versions, and how much the raters (the silver
// judge among them) agree.
#pragma once

#include <QAbstractTableModel>
#include <QWidget>

#include <vector>

class QComboBox;
class QTableView;
class QTableWidget;

namespace lookalike::ui {

class ReviewSession;

class FailureModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Order { WorstOfA, WorstOfB, LargestGap };
    enum Column { IdColumn, TitleColumn, CategoryColumn, AColumn, BColumn, DeltaColumn, ColumnCount };
    enum Role { QueryIdRole = Qt::UserRole + 1 };

    explicit FailureModel(ReviewSession *session, QObject *parent = nullptr);
    void configure(qint64 a, qint64 b, Order order, const QString &category);
    void setBlind(bool blind);
    void reload();
    qint64 queryAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        qint64 query = 0;
        double a = 0, b = 0;
        bool hasA = false, hasB = false;
    };
    ReviewSession *m_session;
    qint64 m_a = 0, m_b = 0;
    Order m_order = WorstOfA;
    QString m_category;
    bool m_blind = false;
    std::vector<Row> m_rows;
};

class FailureView : public QWidget {
    Q_OBJECT
public:
    explicit FailureView(ReviewSession *session, QWidget *parent = nullptr);
    void setModels(qint64 a, qint64 b);
    void setBlind(bool blind);
    void reload();
    FailureModel *model() const { return m_model; }

Q_SIGNALS:
    void openQuery(qint64 queryItemId);

private:
    void apply();
    void reloadBreakdown();
    void reloadAgreement();

    ReviewSession *m_session;
    qint64 m_a = 0, m_b = 0;
    bool m_blind = false;
    FailureModel *m_model;
    QComboBox *m_order;
    QComboBox *m_category;
    QTableView *m_table;
    QTableWidget *m_breakdown;
    QTableWidget *m_agreement;
};

} // namespace lookalike::ui
