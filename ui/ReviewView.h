// The rater's and researcher's main view: the query list on the left (filter by text and
// category, sortable), the query image with its details, and the ranked neighbours of one
// version, or of two side by side in compare mode (optionally blind: names hidden and sides
// shuffled per query with a fixed seed until revealed). Grading is from the keyboard: a digit
// grades the focused card and moves to the next ungraded one.
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace lookalike::ui {

class NeighbourGrid;
class NeighbourModel;
class QueryFilterModel;
class QueryListModel;
class ReviewSession;
class ThumbnailCache;

class ReviewView : public QWidget {
    Q_OBJECT
public:
    ReviewView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent = nullptr);

    qint64 currentQuery() const { return m_query; }
    void showQuery(qint64 queryItemId);
    // n / p / next unfinished, in the list's current (filtered, sorted) order.
    void nextQuery();
    void previousQuery();
    void nextUnfinishedQuery();

    void setCompareMode(bool on);
    bool compareMode() const { return m_compare; }
    void setBlind(bool on);
    bool blind() const { return m_blind; }
    void reveal();
    // Which version each side shows for the current query (after blind shuffling).
    qint64 leftModel() const;
    qint64 rightModel() const;
    qint64 modelA() const;
    qint64 modelB() const;
    // The blind coin of the current query (it only swaps the sides in blind compare mode).
    bool sidesSwapped() const { return m_swapped; }
    // Focus the first ungraded card, ready for the digit keys.
    void focusCards();
    // The judging planner's next pair for B against A (key j): its query opens side by side and
    // its card takes the focus, in blind mode too. The status bar gets the planner's verdict.
    // The first time for a pair of versions the plan is built in the background: the status
    // bar says so and the jump is made when ReviewSession::planReady() comes.
    void jumpToPlannedPair();

    // Seed of the blind shuffle (fixed, so a rater sees the same sides when coming back).
    static constexpr quint64 kBlindSeed = 20260101;

    NeighbourModel *leftNeighbours() const { return m_left; }
    NeighbourModel *rightNeighbours() const { return m_right; }
    NeighbourGrid *leftGrid() const { return m_leftGrid; }
    QueryListModel *queryModel() const { return m_queries; }

Q_SIGNALS:
    void modelsChanged(qint64 a, qint64 b);
    void queryShown(qint64 queryItemId);
    void blindChanged(bool blind);
    void statusMessage(const QString &message);

private:
    void grade(NeighbourGrid *grid, NeighbourModel *model, const QModelIndex &index, int grade);
    void focusNextUngraded(NeighbourGrid *grid, NeighbourModel *model, int fromRow);
    void showFullImage(const QString &path, const QString &title);
    void refreshNeighbours();
    void showQueryImage();
    void updateSideLabels();
    void moveInList(int step, bool unfinishedOnly);
    bool shuffled() const;

    ReviewSession *m_session;
    ThumbnailCache *m_thumbnails;
    QueryListModel *m_queries;
    QueryFilterModel *m_filter;
    NeighbourModel *m_left;
    NeighbourModel *m_right;
    qint64 m_query = 0;
    QString m_queryImagePath;
    bool m_compare = false;
    bool m_jumpWhenPlanned = false; // j was pressed while the plan was built: jump when it is ready
    bool m_blind = false;
    bool m_revealed = false;
    bool m_swapped = false;

    QLineEdit *m_filterEdit;
    QComboBox *m_categoryBox;
    QCheckBox *m_assignedBox;
    QTableView *m_queryTable;
    QLabel *m_queryImage;
    QLabel *m_queryInfo;
    QComboBox *m_modelA;
    QComboBox *m_modelB;
    QCheckBox *m_compareBox;
    QCheckBox *m_blindBox;
    QPushButton *m_revealButton;
    QSpinBox *m_depth;
    QLabel *m_leftLabel;
    QLabel *m_rightLabel;
    NeighbourGrid *m_leftGrid;
    NeighbourGrid *m_rightGrid;
    QWidget *m_rightColumn;
};

} // namespace lookalike::ui
