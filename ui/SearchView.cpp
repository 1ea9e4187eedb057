// Text and image search.
#include "ui/SearchView.h"

#include "ui/NeighbourGrid.h"
#include "ui/NeighbourModel.h"
#include "ui/ReviewSession.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace lookalike::ui {

namespace {

constexpr int kResults = 20;

} // namespace

SearchView::SearchView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_results(new NeighbourModel(session, thumbnails, this))
{
    setObjectName(QStringLiteral("searchView"));
    auto *layout = new QVBoxLayout(this);
    auto *bar = new QHBoxLayout;
    m_version = new QComboBox(this);
    m_version->setObjectName(QStringLiteral("searchVersion"));
    m_version->setSizeAdjustPolicy(
        QComboBox::AdjustToMinimumContentsLengthWithIcon); // long names must not widen the window
    m_version->setMinimumContentsLength(14);
    for (const ModelVersion &v : m_session->models())
        m_version->addItem(QString::fromStdString(v.name));
    m_text = new QLineEdit(this);
    m_text->setObjectName(QStringLiteral("searchText"));
    m_text->setPlaceholderText(
        tr("Describe an item, e.g. red leather wallet, and press Enter; or drop an image file on the window"));
    m_text->setClearButtonEnabled(true);
    m_busyBar = new QProgressBar(this);
    m_busyBar->setObjectName(QStringLiteral("searchBusy"));
    m_busyBar->setRange(0, 0);
    m_busyBar->setMaximumWidth(120);
    m_busyBar->hide();
    m_addQuery = new QPushButton(tr("&Add as Query"), this);
    m_addQuery->setObjectName(QStringLiteral("addQueryButton"));
    m_addQuery->setEnabled(false);
    bar->addWidget(new QLabel(tr("Version:"), this));
    bar->addWidget(m_version);
    bar->addWidget(m_text, 1);
    bar->addWidget(m_busyBar);
    bar->addWidget(m_addQuery);
    layout->addLayout(bar);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("searchMessage"));
    m_message->setWordWrap(true);
    layout->addWidget(m_message);
    m_grid = new NeighbourGrid(this);
    m_grid->setObjectName(QStringLiteral("searchGrid"));
    m_grid->setModel(m_results);
    m_grid->setItemDelegate(new NeighbourCardDelegate({}, m_grid));
    layout->addWidget(m_grid, 1);

    connect(m_text, &QLineEdit::returnPressed, this, [this] { searchText(m_text->text()); });
    connect(m_addQuery, &QPushButton::clicked, this, &SearchView::addSelectedAsQuery);
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
        [this](const QModelIndex &current) { m_addQuery->setEnabled(current.isValid()); });
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &SearchView::finished);
}

SearchView::~SearchView()
{
    m_watcher.waitForFinished();
}

bool SearchView::isBusy() const
{
    return m_busy;
}

QString SearchView::message() const
{
    return m_message->text();
}

void SearchView::searchText(const QString &text)
{
    if (text.trimmed().isEmpty())
        return;
    if (m_text->text() != text)
        m_text->setText(text);
    start({true, text, m_version->currentText()});
}

void SearchView::searchImage(const QString &imageFile)
{
    start({false, imageFile, m_version->currentText()});
}

void SearchView::start(const Request &request)
{
    if (request.version.isEmpty()) {
        m_message->setText(tr("The project has no model version to search with."));
        return;
    }
    if (m_busy) {
        m_pending = request; // run after the current one; newer requests replace older ones
        return;
    }
    m_busy = true;
    m_busyBar->show();
    m_running = request.text ? tr("“%1”").arg(request.input) : QFileInfo(request.input).fileName();
    m_message->setText(tr("Searching for %1 with %2…").arg(m_running, request.version));
    m_watcher.setFuture(m_session->searchCatalog(request.version, request.text, request.input, kResults));
}

void SearchView::finished()
{
    const Outcome out = m_watcher.result();
    m_busy = false;
    m_busyBar->hide();
    if (!out.error.isEmpty()) {
        m_message->setText(tr("Search failed: %1").arg(out.error));
        m_results->showItems({});
    } else {
        std::vector<std::int64_t> ids;
        for (const auto &[id, score] : out.hits)
            ids.push_back(id);
        const std::vector<Item> items = m_session->items(ids);
        std::vector<Candidate> cards;
        for (std::size_t i = 0; i < items.size() && i < out.hits.size(); ++i) {
            Candidate c;
            c.rank = static_cast<int>(i + 1);
            c.itemId = items[i].id;
            c.score = out.hits[i].second;
            c.key = QString::fromStdString(items[i].key);
            c.title = QString::fromStdString(items[i].title);
            c.category = QString::fromStdString(items[i].category);
            c.image = QString::fromStdString(items[i].image.string());
            cards.push_back(std::move(c));
        }
        m_results->showItems(std::move(cards));
        m_message->setText(tr("%1 items nearest to %2. Select one and press Add as Query to review its neighbours.")
                               .arg(m_results->rowCount())
                               .arg(m_running));
        if (m_results->rowCount() > 0)
            m_grid->setCurrentIndex(m_results->index(0));
    }
    if (m_pending) {
        const Request next = *m_pending;
        m_pending.reset();
        start(next);
        return;
    }
    Q_EMIT searchFinished();
}

void SearchView::addSelectedAsQuery()
{
    const Candidate *c = m_results->candidate(m_grid->currentIndex().row());
    if (!c)
        return;
    const qint64 id = c->itemId;
    if (m_session->queryRow(id) < 0 && !m_session->addQuery(id))
        return; // the session reported why
    Q_EMIT openQuery(id);
}

} // namespace lookalike::ui
