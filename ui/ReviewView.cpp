// The review view.
#include "ui/ReviewView.h"

#include "core/util/SeededRandom.h"
#include "ui/NeighbourGrid.h"
#include "ui/NeighbourModel.h"
#include "ui/QueryListModel.h"
#include "ui/ReviewSession.h"
#include "ui/ThumbnailCache.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <set>
#include <utility>

#include <algorithm>

namespace lookalike::ui {

namespace {

std::vector<GradeBadge> badgesOf(const GradeScale &scale)
{
    std::vector<GradeBadge> out;
    for (const GradeLevel &l : scale.levels)
        out.push_back({l.grade, QString::fromStdString(l.label)});
    return out;
}

void fillModels(QComboBox *box, const ReviewSession *session)
{
    for (const ModelVersion &v : session->models())
        box->addItem(QString::fromStdString(v.name), QVariant::fromValue<qint64>(v.id));
}

} // namespace

ReviewView::ReviewView(ReviewSession *session, ThumbnailCache *thumbnails, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_thumbnails(thumbnails)
    , m_queries(new QueryListModel(session, thumbnails, this))
    , m_filter(new QueryFilterModel(this))
    , m_left(new NeighbourModel(session, thumbnails, this))
    , m_right(new NeighbourModel(session, thumbnails, this))
{
    setObjectName(QStringLiteral("reviewView"));
    m_filter->setSourceModel(m_queries);

    // Left: the query list.
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_filterEdit = new QLineEdit(left);
    m_filterEdit->setObjectName(QStringLiteral("queryFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter queries (title or id)"));
    m_filterEdit->setClearButtonEnabled(true);
    m_categoryBox = new QComboBox(left);
    m_categoryBox->setObjectName(QStringLiteral("queryCategory"));
    m_categoryBox->addItem(tr("All categories"), QString());
    for (const QString &c : m_session->categories())
        m_categoryBox->addItem(c.isEmpty() ? tr("(none)") : c, c);
    // A rater with an assignment (`lookalike assign`) starts on their own queries; unticking
    // shows every query (someone may help out with another rater's share).
    const std::vector<std::int64_t> assigned = m_session->assignedQueries();
    m_assignedBox = new QCheckBox(tr("Only my %n assigned queries", nullptr, static_cast<int>(assigned.size())), left);
    m_assignedBox->setObjectName(QStringLiteral("assignedOnly"));
    m_assignedBox->setVisible(!assigned.empty());
    m_assignedBox->setChecked(!assigned.empty());
    if (!assigned.empty())
        m_queries->setRestriction(assigned);
    m_queryTable = new QTableView(left);
    m_queryTable->setObjectName(QStringLiteral("queryTable"));
    m_queryTable->setModel(m_filter);
    m_queryTable->setSortingEnabled(true);
    m_queryTable->sortByColumn(-1, Qt::AscendingOrder); // session order until the user sorts
    m_queryTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_queryTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_queryTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_queryTable->verticalHeader()->hide();
    m_queryTable->verticalHeader()->setDefaultSectionSize(44);
    m_queryTable->setIconSize(QSize(40, 40));
    // Fixed widths: ResizeToContents would measure every row, which freezes on big query sets.
    m_queryTable->horizontalHeader()->setSectionResizeMode(QueryListModel::TitleColumn, QHeaderView::Stretch);
    m_queryTable->horizontalHeader()->resizeSection(QueryListModel::JudgedColumn, 52);
    m_queryTable->horizontalHeader()->resizeSection(QueryListModel::NdcgColumn, 58);
    m_queryTable->horizontalHeader()->resizeSection(QueryListModel::InfoColumn, 58);
    m_queryTable->setColumnHidden(QueryListModel::CategoryColumn, true);
    m_queryTable->setColumnHidden(QueryListModel::IdColumn, true); // in the tooltip and the query pane
    m_queryTable->setWordWrap(false);
    leftLayout->addWidget(m_filterEdit);
    leftLayout->addWidget(m_categoryBox);
    leftLayout->addWidget(m_assignedBox);
    leftLayout->addWidget(m_queryTable);
    left->setMinimumWidth(230);

    // Centre: the query.
    auto *centre = new QWidget(this);
    auto *centreLayout = new QVBoxLayout(centre);
    m_queryImage = new QLabel(centre);
    m_queryImage->setObjectName(QStringLiteral("queryImage"));
    m_queryImage->setAlignment(Qt::AlignCenter);
    m_queryImage->setMinimumSize(160, 160);
    m_queryImage->setWordWrap(true);
    m_queryInfo = new QLabel(centre);
    m_queryInfo->setObjectName(QStringLiteral("queryInfo"));
    m_queryInfo->setWordWrap(true);
    m_queryInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_queryInfo->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    centreLayout->addWidget(m_queryImage);
    centreLayout->addWidget(m_queryInfo, 1);

    // Right: the neighbours, one or two lists.
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    auto *bar = new QHBoxLayout;
    m_modelA = new QComboBox(right);
    m_modelA->setObjectName(QStringLiteral("modelA"));
    m_modelB = new QComboBox(right);
    m_modelB->setObjectName(QStringLiteral("modelB"));
    fillModels(m_modelA, m_session);
    fillModels(m_modelB, m_session);
    for (QComboBox *box : {m_modelA, m_modelB}) { // long version names must not widen the window
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(10);
        box->setToolTip(tr("The model version whose result lists are shown"));
    }
    if (m_modelB->count() > 1)
        m_modelB->setCurrentIndex(1);
    m_compareBox = new QCheckBox(tr("&Compare"), right);
    m_compareBox->setObjectName(QStringLiteral("compareToggle"));
    m_blindBox = new QCheckBox(tr("&Blind"), right);
    m_blindBox->setObjectName(QStringLiteral("blindToggle"));
    m_revealButton = new QPushButton(tr("&Reveal"), right);
    m_revealButton->setObjectName(QStringLiteral("revealButton"));
    m_depth = new QSpinBox(right);
    m_depth->setObjectName(QStringLiteral("depthSpin"));
    m_depth->setRange(1, 10);
    m_depth->setValue(5);
    m_depth->setPrefix(tr("k = "));
    bar->addWidget(m_modelA);
    bar->addWidget(m_compareBox);
    bar->addWidget(m_modelB);
    bar->addWidget(m_blindBox);
    bar->addWidget(m_revealButton);
    bar->addStretch();
    bar->addWidget(m_depth);
    rightLayout->addLayout(bar);
    auto *lists = new QHBoxLayout;
    auto makeColumn = [&](QLabel *&label, NeighbourGrid *&grid, NeighbourModel *model, const QString &name) {
        auto *column = new QWidget(right);
        auto *layout = new QVBoxLayout(column);
        layout->setContentsMargins(0, 0, 0, 0);
        label = new QLabel(column);
        label->setObjectName(name + QStringLiteral("Label"));
        QFont f = label->font();
        f.setBold(true);
        label->setFont(f);
        grid = new NeighbourGrid(column);
        grid->setObjectName(name + QStringLiteral("Grid"));
        grid->setModel(model);
        auto *delegate = new NeighbourCardDelegate(badgesOf(m_session->scale()), grid);
        grid->setItemDelegate(delegate);
        layout->addWidget(label);
        layout->addWidget(grid);
        lists->addWidget(column);
        connect(grid, &NeighbourGrid::gradeRequested, this,
            [this, grid, model](const QModelIndex &index, int g) { grade(grid, model, index, g); });
        connect(delegate, &NeighbourCardDelegate::gradeClicked, this,
            [this, grid, model](const QModelIndex &index, int g) { grade(grid, model, index, g); });
        connect(grid, &NeighbourGrid::fullImageRequested, this, [this](const QModelIndex &index) {
            showFullImage(
                index.data(NeighbourModel::ImagePathRole).toString(), index.data(NeighbourModel::TitleRole).toString());
        });
        return column;
    };
    makeColumn(m_leftLabel, m_leftGrid, m_left, QStringLiteral("left"));
    m_rightColumn = makeColumn(m_rightLabel, m_rightGrid, m_right, QStringLiteral("right"));
    rightLayout->addLayout(lists, 1);

    auto *splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(centre);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 2);
    splitter->setStretchFactor(2, 6);
    splitter->setSizes({340, 260, 900});
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);

    connect(m_thumbnails, &ThumbnailCache::thumbnailReady, this, [this](const QString &path) {
        if (path == m_queryImagePath)
            showQueryImage();
    });
    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &QueryFilterModel::setText);
    // Filtering re-reads the list (a reset): keep the shown query current if it is still listed.
    connect(m_filter, &QAbstractItemModel::modelReset, this, [this] {
        const int row = m_queries->rowOf(m_query);
        if (row >= 0) {
            QSignalBlocker block(m_queryTable->selectionModel());
            m_queryTable->setCurrentIndex(m_filter->mapFromSource(m_queries->index(row, 0)));
        }
    });
    connect(m_assignedBox, &QCheckBox::toggled, this, [this](bool only) {
        m_queries->setRestriction(only ? std::optional(m_session->assignedQueries()) : std::nullopt);
    });
    connect(m_categoryBox, &QComboBox::currentIndexChanged, this,
        [this] { m_filter->setCategory(m_categoryBox->currentData().toString()); });
    connect(m_queryTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex &current) {
            if (current.isValid())
                showQuery(current.data(QueryListModel::QueryIdRole).toLongLong());
        });
    auto modelsChangedNow = [this] {
        m_queries->setModelId(modelA());
        refreshNeighbours();
        Q_EMIT modelsChanged(modelA(), m_compare ? modelB() : 0);
    };
    connect(m_modelA, &QComboBox::currentIndexChanged, this, modelsChangedNow);
    connect(m_modelB, &QComboBox::currentIndexChanged, this, modelsChangedNow);
    connect(m_compareBox, &QCheckBox::toggled, this, &ReviewView::setCompareMode);
    connect(m_blindBox, &QCheckBox::toggled, this, &ReviewView::setBlind);
    connect(m_revealButton, &QPushButton::clicked, this, &ReviewView::reveal);
    connect(m_depth, &QSpinBox::valueChanged, this, &ReviewView::refreshNeighbours);
    // "Saved" only for this rater's own changes: another rater's grade arriving on this query
    // (ReviewSession::pollOthers) must not read as a save of yours.
    connect(m_session, &ReviewSession::queriesChanged, this, &ReviewView::refreshNeighbours); // grades may differ
    connect(m_session, &ReviewSession::planReady, this, [this] {
        if (std::exchange(m_jumpWhenPlanned, false))
            jumpToPlannedPair();
    });
    connect(m_session, &ReviewSession::judgmentChanged, this, [this](const JudgmentChange &change) {
        if (change.own && change.query == m_query) {
            const auto [judged, shown] = m_session->judgedCount(m_query, modelA(), m_depth->value());
            Q_EMIT statusMessage(tr("Saved. %1 of %2 judged for this query.").arg(judged).arg(shown));
        }
    });

    setCompareMode(false);
    if (m_filter->rowCount() > 0)
        m_queryTable->setCurrentIndex(m_filter->index(0, 0));
}

qint64 ReviewView::modelA() const
{
    return m_modelA->currentData().toLongLong();
}

qint64 ReviewView::modelB() const
{
    return m_modelB->currentData().toLongLong();
}

bool ReviewView::shuffled() const
{
    return m_compare && m_blind && m_swapped;
}

qint64 ReviewView::leftModel() const
{
    return shuffled() ? modelB() : modelA();
}

qint64 ReviewView::rightModel() const
{
    return shuffled() ? modelA() : modelB();
}

void ReviewView::focusCards()
{
    focusNextUngraded(m_leftGrid, m_left, 0);
}

void ReviewView::jumpToPlannedPair()
{
    const qint64 a = modelA(), b = modelB();
    if (!a || !b || a == b) {
        Q_EMIT statusMessage(tr("Choose two different versions as A and B to plan the judging."));
        return;
    }
    // A rater with assigned queries (`assign --plan`) gets the planned pairs of those first.
    const std::vector<std::int64_t> mine = m_session->assignedQueries();
    if (!m_compare)
        setCompareMode(true); // the pair may be in either list, and the metrics panel shows the plan's line
    std::optional<std::vector<PlannedPair>> planned = m_session->plannedPairs(a, b, mine.empty() ? 64 : 4096);
    if (!planned) {
        m_jumpWhenPlanned = true;
        Q_EMIT statusMessage(tr("Building the judging plan: its first pair opens when it is ready; grading goes on meanwhile."));
        return;
    }
    m_jumpWhenPlanned = false;
    std::vector<PlannedPair> next = std::move(*planned);
    if (next.empty()) {
        Q_EMIT statusMessage(tr("No ungraded pair can change this comparison any more."));
        return;
    }
    if (!mine.empty()) {
        const std::set<std::int64_t> assigned(mine.begin(), mine.end());
        std::vector<PlannedPair> own;
        for (const PlannedPair &p : next)
            if (assigned.count(p.query))
                own.push_back(p);
        if (own.empty())
            Q_EMIT statusMessage(tr("None of your queries holds a pair that can still change the comparison: "
                                    "this one is from the rest."));
        else
            next = std::move(own);
    }
    // The first planned pair a grid can show (a pair only in a third version's list cannot be).
    for (const PlannedPair &p : next) {
        showQuery(p.query);
        for (int attempt = 0; attempt < 2; ++attempt) {
            for (auto [grid, model] : {std::pair{m_leftGrid, m_left}, std::pair{m_rightGrid, m_right}})
                for (int row = 0; row < model->rowCount(); ++row)
                    if (model->candidate(row)->itemId == p.candidate) {
                        grid->setCurrentIndex(model->index(row));
                        grid->setFocus(Qt::OtherFocusReason);
                        return;
                    }
            if (m_depth->value() == m_depth->maximum())
                break;
            m_depth->setValue(m_depth->maximum()); // below the shown depth: show the whole list
        }
    }
    Q_EMIT statusMessage(tr("The next pairs to judge are in another version's list."));
}

void ReviewView::showQuery(qint64 queryItemId)
{
    const std::optional<Item> found = m_session->queryItem(queryItemId);
    if (!found)
        return;
    const Item &item = *found;
    m_query = queryItemId;
    m_revealed = false;
    // Blind sides: a fixed coin per query, so the same query always shows the same sides.
    m_swapped = (SeededRandom(kBlindSeed ^ static_cast<quint64>(queryItemId)).next() & 1) != 0;
    const int row = m_queries->rowOf(queryItemId);
    const QModelIndex proxy = row < 0 ? QModelIndex() : m_filter->mapFromSource(m_queries->index(row, 0));
    if (proxy.isValid() && m_queryTable->currentIndex().row() != proxy.row()) {
        QSignalBlocker block(m_queryTable->selectionModel());
        m_queryTable->setCurrentIndex(proxy);
        m_queryTable->scrollTo(proxy);
    }
    // The query image comes from the thumbnail cache like the cards: decoded on a worker, so
    // moving to the next query never waits for a large photo.
    m_queryImagePath = QString::fromStdString(item.image.string());
    showQueryImage();
    QString info
        = QStringLiteral("<h3>%1</h3><p><b>%2</b> · %3</p>")
              .arg(QString::fromStdString(item.title).toHtmlEscaped(), QString::fromStdString(item.key).toHtmlEscaped(),
                  QString::fromStdString(item.category).toHtmlEscaped());
    for (const auto &[k, v] : item.attributes)
        info += QStringLiteral("%1: %2<br>")
                    .arg(QString::fromStdString(k).toHtmlEscaped(), QString::fromStdString(v).toHtmlEscaped());
    if (!item.url.empty())
        info += QStringLiteral("<a href=\"%1\">%1</a>").arg(QString::fromStdString(item.url).toHtmlEscaped());
    m_queryInfo->setText(info);
    refreshNeighbours();
    Q_EMIT queryShown(queryItemId);
}

void ReviewView::showQueryImage()
{
    const QImage image = m_thumbnails->thumbnail(m_queryImagePath);
    if (!image.isNull()) {
        const int side = std::clamp(m_queryImage->width() - 8, 160, 360);
        m_queryImage->setPixmap(
            QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
        return;
    }
    m_queryImage->setPixmap({});
    const QString failure = m_thumbnails->failure(m_queryImagePath);
    m_queryImage->setText(failure.isEmpty() ? tr("loading…") : tr("Cannot show the query image:\n%1").arg(failure));
}

void ReviewView::refreshNeighbours()
{
    if (!m_query)
        return;
    m_left->show(m_query, leftModel(), m_depth->value());
    if (m_compare) {
        m_right->show(m_query, rightModel(), m_depth->value());
        m_left->setOtherItems(m_right->itemIds());
        m_right->setOtherItems(m_left->itemIds());
    } else {
        m_left->setOtherItems({});
    }
    updateSideLabels();
    focusNextUngraded(m_leftGrid, m_left, 0);
}

void ReviewView::updateSideLabels()
{
    auto name = [this](qint64 id) {
        const ModelVersion *v = m_session->model(id);
        return v ? QString::fromStdString(v->name) : tr("(no version)");
    };
    const bool hidden = m_compare && m_blind && !m_revealed;
    m_leftLabel->setText(hidden ? tr("List 1") : name(leftModel()));
    m_rightLabel->setText(hidden ? tr("List 2") : name(rightModel()));
    m_modelA->setVisible(!(m_blind && m_compare));
    m_modelB->setVisible(m_compare && !m_blind);
    m_revealButton->setVisible(m_compare && m_blind);
    m_revealButton->setEnabled(!m_revealed);
}

void ReviewView::setCompareMode(bool on)
{
    m_compare = on;
    if (m_compareBox->isChecked() != on)
        m_compareBox->setChecked(on);
    m_rightColumn->setVisible(on);
    m_blindBox->setVisible(on);
    m_queries->setBlind(m_blind && on);
    refreshNeighbours();
    Q_EMIT blindChanged(m_blind && on);
    Q_EMIT modelsChanged(modelA(), m_compare ? modelB() : 0);
}

void ReviewView::setBlind(bool on)
{
    m_blind = on;
    if (m_blindBox->isChecked() != on)
        m_blindBox->setChecked(on);
    m_revealed = false;
    m_queries->setBlind(on && m_compare);
    refreshNeighbours(); // the sides may swap
    Q_EMIT blindChanged(on && m_compare);
}

void ReviewView::reveal()
{
    m_revealed = true;
    updateSideLabels();
    Q_EMIT statusMessage(tr("List 1 is %1, list 2 is %2.").arg(m_leftLabel->text(), m_rightLabel->text()));
}

void ReviewView::grade(NeighbourGrid *grid, NeighbourModel *model, const QModelIndex &index, int value)
{
    const Candidate *c = model->candidate(index.row());
    if (!c)
        return;
    if (!m_session->scale().contains(value)) {
        Q_EMIT statusMessage(tr("%1 is not a grade on this project's scale (%2 to %3).")
                                 .arg(value)
                                 .arg(m_session->scale().lowest())
                                 .arg(m_session->scale().highest()));
        return;
    }
    if (!m_session->grade(m_query, c->itemId, value))
        return; // the session reported the error; nothing changed on screen
    const int row = index.row();
    // Next ungraded card: in this list after this one, then the other list, else stay.
    const int next = model->nextUngraded(row + 1);
    if (next >= 0) {
        focusNextUngraded(grid, model, row + 1);
    } else if (m_compare) {
        NeighbourGrid *other = grid == m_leftGrid ? m_rightGrid : m_leftGrid;
        NeighbourModel *otherModel = grid == m_leftGrid ? m_right : m_left;
        if (otherModel->nextUngraded(0) >= 0)
            focusNextUngraded(other, otherModel, 0);
        else
            Q_EMIT statusMessage(tr("Every card of this query is graded. Press n for the next query."));
    } else {
        Q_EMIT statusMessage(tr("Every card of this query is graded. Press n for the next query."));
    }
}

void ReviewView::focusNextUngraded(NeighbourGrid *grid, NeighbourModel *model, int fromRow)
{
    if (model->rowCount() == 0)
        return;
    int row = model->nextUngraded(fromRow % model->rowCount());
    if (row < 0)
        row = 0;
    grid->setCurrentIndex(model->index(row));
    grid->setFocus(Qt::OtherFocusReason);
}

void ReviewView::moveInList(int step, bool unfinishedOnly)
{
    const int rows = m_filter->rowCount();
    if (rows == 0)
        return;
    int row = m_queryTable->currentIndex().isValid() ? m_queryTable->currentIndex().row() : -step;
    for (int i = 0; i < rows; ++i) {
        row += step;
        if (row < 0 || row >= rows) {
            Q_EMIT statusMessage(unfinishedOnly ? tr("No unfinished query after this one.") : tr("No more queries."));
            return;
        }
        const QModelIndex index = m_filter->index(row, 0);
        if (unfinishedOnly && index.data(QueryListModel::FinishedRole).toBool())
            continue;
        m_queryTable->setCurrentIndex(index);
        return;
    }
}

void ReviewView::nextQuery()
{
    moveInList(1, false);
}

void ReviewView::previousQuery()
{
    moveInList(-1, false);
}

void ReviewView::nextUnfinishedQuery()
{
    moveInList(1, true);
}

void ReviewView::showFullImage(const QString &path, const QString &title)
{
    QString error;
    const QImage image = ThumbnailCache::loadFull(path, &error);
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("fullImageDialog"));
    dialog.setWindowTitle(title);
    auto *layout = new QVBoxLayout(&dialog);
    auto *scroll = new QScrollArea(&dialog);
    auto *label = new QLabel;
    label->setAlignment(Qt::AlignCenter);
    if (image.isNull())
        label->setText(tr("Cannot show the image:\n%1").arg(error));
    else
        label->setPixmap(QPixmap::fromImage(image));
    scroll->setWidget(label);
    scroll->setWidgetResizable(true);
    layout->addWidget(scroll);
    dialog.resize(std::min(image.width() + 40, 1400), std::min(image.height() + 40, 1000));
    auto *close = new QShortcut(QKeySequence(Qt::Key_Space), &dialog);
    connect(close, &QShortcut::activated, &dialog, &QDialog::accept);
    dialog.exec();
}

} // namespace lookalike::ui
