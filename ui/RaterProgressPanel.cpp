// The raters dock.
#include "ui/RaterProgressPanel.h"

#include "ui/ReviewSession.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lookalike::ui {

namespace {

// "12 s ago", "3 min ago", or the date: how fresh a heartbeat is.
QString ago(const std::string &iso)
{
    if (iso.empty())
        return QStringLiteral("-");
    const QDateTime at = QDateTime::fromString(QString::fromStdString(iso), Qt::ISODateWithMs);
    const qint64 s = at.secsTo(QDateTime::currentDateTimeUtc());
    if (!at.isValid())
        return QString::fromStdString(iso);
    if (s < 60)
        return RaterProgressPanel::tr("%1 s ago").arg(std::max<qint64>(s, 0));
    if (s < 3600)
        return RaterProgressPanel::tr("%1 min ago").arg(s / 60);
    return at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace

RaterProgressPanel::RaterProgressPanel(ReviewSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_table(new QTableWidget(this))
    , m_summary(new QLabel(this))
{
    m_table->setObjectName(QStringLiteral("raterTable"));
    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels(
        {tr("Rater"), tr("Assigned"), tr("Done"), tr("In progress"), tr("On query"), tr("Last seen")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_table);
    connect(m_session, &ReviewSession::othersPolled, this, &RaterProgressPanel::refresh);
    refresh();
}

void RaterProgressPanel::refresh(const QString &pollError)
{
    QString error = pollError; // the first failure says most
    std::vector<RaterStatus> raters;
    if (error.isEmpty())
        raters = m_session->raterProgress(&error);
    if (!error.isEmpty()) { // e.g. the server is down: say so here, keep the last table
        m_summary->setText(tr("Cannot refresh: %1").arg(error));
        m_summary->setStyleSheet(QStringLiteral("color: #b00020"));
        return;
    }
    m_summary->setStyleSheet(QString());
    m_table->setRowCount(static_cast<int>(raters.size()));
    int row = 0;
    for (const RaterStatus &s : raters) {
        QString on = QStringLiteral("-");
        if (s.currentQuery) {
            const auto item = m_session->queryItem(*s.currentQuery);
            on = item ? QString::fromStdString(item->key) : QString::number(*s.currentQuery);
        }
        const bool me = QString::fromStdString(s.rater) == m_session->rater();
        const QStringList cells{QString::fromStdString(s.rater) + (me ? tr(" (you)") : QString()),
                                QString::number(s.assigned), QString::number(s.done), QString::number(s.inProgress), on,
                                ago(s.lastSeen)};
        for (int c = 0; c < cells.size(); ++c) {
            auto *cell = m_table->item(row, c);
            if (!cell) {
                cell = new QTableWidgetItem;
                m_table->setItem(row, c, cell);
            }
            cell->setText(cells[c]);
        }
        ++row;
    }
    m_summary->setText(tr("%n rater(s) on %1 queries", nullptr, static_cast<int>(raters.size())).arg(m_session->queryCount()));
}

} // namespace lookalike::ui
