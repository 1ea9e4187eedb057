// The grid of neighbour cards and its painter. Keyboard first: a digit grades the focused card
// (the window then moves focus to the next ungraded one), arrows move, Space asks for the full
// image. Each card also has one small button per grade for the mouse.
#pragma once

#include <QListView>
#include <QStyledItemDelegate>

#include <vector>

namespace lookalike::ui {

struct GradeBadge {
    int grade = 0;
    QString label;
};

// The colour of a grade's badge: red (not relevant) through green (same product).
QColor gradeColour(int grade, int lowest, int highest);

class NeighbourCardDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    // Without grades (an empty vector) the cards have no grade buttons (search results).
    explicit NeighbourCardDelegate(std::vector<GradeBadge> grades, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
        const QModelIndex &index) override;

    // Where the button of grade `i` (index into the grades) is drawn on a card at `rect`.
    QRect buttonRect(const QRect &card, int i) const;

Q_SIGNALS:
    void gradeClicked(const QModelIndex &index, int grade);

private:
    std::vector<GradeBadge> m_grades;
};

class NeighbourGrid : public QListView {
    Q_OBJECT
public:
    explicit NeighbourGrid(QWidget *parent = nullptr);

Q_SIGNALS:
    void gradeRequested(const QModelIndex &index, int grade);
    void fullImageRequested(const QModelIndex &index);

protected:
    void keyPressEvent(QKeyEvent *event) override;
};

} // namespace lookalike::ui
