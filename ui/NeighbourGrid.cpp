// Neighbour cards: painting, grade buttons, keys.
#include "ui/NeighbourGrid.h"

#include "ui/NeighbourModel.h"
#include "ui/TestDriver.h"

#include <QApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

namespace lookalike::ui {

namespace {

constexpr int kCardWidth = 200;
constexpr int kCardHeight = 272;
constexpr int kImageHeight = 150;
constexpr int kMargin = 6;
constexpr int kButtonHeight = 22;

} // namespace

QColor gradeColour(int grade, int lowest, int highest)
{
    const double t = highest > lowest ? double(grade - lowest) / double(highest - lowest) : 1.0;
    // red -> amber -> green
    if (t < 0.5)
        return QColor::fromHsvF(0.0 + t * 2 * 0.11, 0.75, 0.85);
    return QColor::fromHsvF(0.11 + (t - 0.5) * 2 * 0.22, 0.75, 0.75);
}

NeighbourCardDelegate::NeighbourCardDelegate(std::vector<GradeBadge> grades, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_grades(std::move(grades))
{
}

QSize NeighbourCardDelegate::sizeHint(const QStyleOptionViewItem &, const QModelIndex &) const
{
    return {kCardWidth, kCardHeight};
}

QRect NeighbourCardDelegate::buttonRect(const QRect &card, int i) const
{
    const int n = static_cast<int>(m_grades.size());
    const int width = (card.width() - 2 * kMargin - (n - 1) * 4) / std::max(n, 1);
    return {card.left() + kMargin + i * (width + 4), card.bottom() - kMargin - kButtonHeight, width, kButtonHeight};
}

void NeighbourCardDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    const QRect card = option.rect.adjusted(3, 3, -3, -3);
    const bool focused = option.state & QStyle::State_HasFocus;
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;
    QPainterPath frame;
    frame.addRoundedRect(card, 6, 6);
    p->fillPath(frame, pal.base());
    p->setPen(
        QPen(focused ? pal.highlight().color() : (selected ? pal.highlight().color().lighter(150) : pal.mid().color()),
            focused ? 3 : 1));
    p->drawPath(frame);

    // Image, or the reason it cannot be shown.
    const QRect imageRect(card.left() + kMargin, card.top() + kMargin, card.width() - 2 * kMargin, kImageHeight);
    const QPixmap pixmap = index.data(Qt::DecorationRole).value<QPixmap>();
    if (!pixmap.isNull()) {
        const QPixmap scaled = pixmap.scaled(imageRect.size(), Qt::KeepAspectRatio, Qt::SmoothTransformation);
        p->drawPixmap(imageRect.center() - QPoint(scaled.width() / 2, scaled.height() / 2), scaled);
    } else {
        p->fillRect(imageRect, pal.window());
        const QString failure = index.data(NeighbourModel::ImageFailureRole).toString();
        p->setPen(pal.color(QPalette::PlaceholderText));
        p->drawText(imageRect.adjusted(6, 6, -6, -6), Qt::AlignCenter | Qt::TextWordWrap,
            failure.isEmpty() ? tr("loading…")
                              : tr("cannot show image:\n%1").arg(failure.section(QLatin1String(": "), -1)));
    }

    // Rank and score over the image's top corners.
    QFont bold = option.font;
    bold.setBold(true);
    p->setFont(bold);
    const QString rank = QStringLiteral("#%1").arg(index.data(NeighbourModel::RankRole).toInt());
    const QRect rankRect(imageRect.left(), imageRect.top(), p->fontMetrics().horizontalAdvance(rank) + 10, 20);
    p->fillRect(rankRect, QColor(0, 0, 0, 160));
    p->setPen(Qt::white);
    p->drawText(rankRect, Qt::AlignCenter, rank);
    const double scoreValue = index.data(NeighbourModel::ScoreRole).toDouble();
    const QString score
        = scoreValue != 0.0 ? QString::number(scoreValue, 'f', 3) : QString(); // map selections have none
    const QRect scoreRect(imageRect.right() - p->fontMetrics().horizontalAdvance(score) - 10, imageRect.top(),
        p->fontMetrics().horizontalAdvance(score) + 10, 20);
    if (!score.isEmpty()) {
        p->fillRect(scoreRect, QColor(0, 0, 0, 160));
        p->drawText(scoreRect, Qt::AlignCenter, score);
    }
    if (index.data(NeighbourModel::InOtherListRole).toBool()) {
        const QString both = tr("in both");
        const QRect bothRect(
            imageRect.left(), imageRect.bottom() - 19, p->fontMetrics().horizontalAdvance(both) + 10, 20);
        p->fillRect(bothRect, QColor(0x15, 0x65, 0xc0, 220));
        p->drawText(bothRect, Qt::AlignCenter, both);
    }

    // Title (two lines), id, flags.
    p->setFont(option.font);
    p->setPen(pal.color(QPalette::Text));
    const QRect titleRect(
        card.left() + kMargin, imageRect.bottom() + 4, card.width() - 2 * kMargin, 2 * p->fontMetrics().height());
    const QString title = index.data(NeighbourModel::TitleRole).toString();
    p->drawText(titleRect, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
        p->fontMetrics().elidedText(title, Qt::ElideRight, titleRect.width() * 2 - 20));
    QFont small = option.font;
    small.setPointSizeF(option.font.pointSizeF() * 0.85);
    p->setFont(small);
    p->setPen(pal.color(QPalette::PlaceholderText));
    const QRect idRect(titleRect.left(), titleRect.bottom() + 2, titleRect.width(), p->fontMetrics().height());
    p->drawText(idRect, Qt::AlignLeft,
        p->fontMetrics().elidedText(index.data(NeighbourModel::KeyRole).toString(), Qt::ElideMiddle, idRect.width()));
    const QStringList flags = index.data(NeighbourModel::FlagsRole).toStringList();
    if (!flags.isEmpty()) {
        p->setPen(QColor(0xb2, 0x6a, 0x00));
        const QRect flagRect(idRect.left(), idRect.bottom() + 2, idRect.width(), p->fontMetrics().height());
        p->drawText(flagRect, Qt::AlignLeft,
            p->fontMetrics().elidedText(
                QStringLiteral("⚑ ") + flags.join(QStringLiteral(", ")), Qt::ElideRight, flagRect.width()));
    }

    // Grade buttons; the current grade is filled with its colour.
    const QVariant grade = index.data(NeighbourModel::GradeRole);
    const int lowest = m_grades.empty() ? 0 : m_grades.front().grade;
    const int highest = m_grades.empty() ? 0 : m_grades.back().grade;
    p->setFont(bold);
    for (int i = 0; i < static_cast<int>(m_grades.size()); ++i) {
        const QRect b = buttonRect(card, i);
        const bool current = grade.isValid() && grade.toInt() == m_grades[static_cast<std::size_t>(i)].grade;
        const QColor colour = gradeColour(m_grades[static_cast<std::size_t>(i)].grade, lowest, highest);
        QPainterPath button;
        button.addRoundedRect(b, 4, 4);
        if (current)
            p->fillPath(button, colour);
        p->setPen(QPen(colour, 1.5));
        p->drawPath(button);
        p->setPen(current ? Qt::white : colour.darker(130));
        p->drawText(b, Qt::AlignCenter, QString::number(m_grades[static_cast<std::size_t>(i)].grade));
    }
    if (m_grades.empty()) {
        // Search results: no grades to show.
    } else if (!grade.isValid()) {
        p->setFont(small);
        p->setPen(pal.color(QPalette::PlaceholderText));
        const QRect r = buttonRect(card, 0);
        p->drawText(QRect(card.left() + kMargin, r.top() - p->fontMetrics().height() - 2, card.width() - 2 * kMargin,
                        p->fontMetrics().height()),
            Qt::AlignRight, tr("not graded"));
    } else {
        p->setFont(small);
        p->setPen(gradeColour(grade.toInt(), lowest, highest).darker(120));
        QString label;
        for (const GradeBadge &g : m_grades)
            if (g.grade == grade.toInt())
                label = g.label;
        const QRect r = buttonRect(card, 0);
        p->drawText(QRect(card.left() + kMargin, r.top() - p->fontMetrics().height() - 2, card.width() - 2 * kMargin,
                        p->fontMetrics().height()),
            Qt::AlignRight, p->fontMetrics().elidedText(label, Qt::ElideRight, card.width() - 2 * kMargin));
        if (TestDriver::enabled()) // tests/tst_crashsafety: what the rater has seen
            if (const auto *model = qobject_cast<const NeighbourModel *>(index.model()))
                TestDriver::gradeShown(
                    model->queryItemId(), index.data(NeighbourModel::ItemIdRole).toLongLong(), grade.toInt());
    }
    p->restore();
}

bool NeighbourCardDelegate::editorEvent(
    QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option, const QModelIndex &index)
{
    if (event->type() == QEvent::MouseButtonRelease) {
        const auto *mouse = static_cast<QMouseEvent *>(event);
        const QRect card = option.rect.adjusted(3, 3, -3, -3);
        for (int i = 0; i < static_cast<int>(m_grades.size()); ++i)
            if (buttonRect(card, i).contains(mouse->position().toPoint())) {
                Q_EMIT gradeClicked(index, m_grades[static_cast<std::size_t>(i)].grade);
                return true;
            }
    }
    return QStyledItemDelegate::editorEvent(event, model, option, index);
}

NeighbourGrid::NeighbourGrid(QWidget *parent)
    : QListView(parent)
{
    setViewMode(QListView::IconMode);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setUniformItemSizes(true);
    setSpacing(4);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setMouseTracking(true);
}

void NeighbourGrid::keyPressEvent(QKeyEvent *event)
{
    const QString text = event->text();
    if (text.size() == 1 && text.at(0).isDigit() && !(event->modifiers() & (Qt::ControlModifier | Qt::AltModifier))) {
        if (currentIndex().isValid())
            Q_EMIT gradeRequested(currentIndex(), text.at(0).digitValue());
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Space) {
        if (currentIndex().isValid())
            Q_EMIT fullImageRequested(currentIndex());
        event->accept();
        return;
    }
    QListView::keyPressEvent(event);
}

} // namespace lookalike::ui
