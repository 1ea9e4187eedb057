// The Lookalike main window.
#include "core/Error.h"
#include "ui/MainWindow.h"

#include "core/Version.h"
#include "ui/FailureView.h"
#include "ui/MapView.h"
#include "ui/MetricsPanel.h"
#include "ui/RaterProgressPanel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"
#include "ui/SearchView.h"
#include "ui/ThumbnailCache.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <exception>

namespace lookalike::ui {

namespace {

constexpr int kMaxRecent = 8;
const QString kRecentKey = QStringLiteral("recentProjects");

QStringList recentProjects()
{
    return QSettings().value(kRecentKey).toStringList();
}

void rememberProject(const QString &folder)
{
    QStringList recent = recentProjects();
    recent.removeAll(folder);
    recent.prepend(folder);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    QSettings().setValue(kRecentKey, recent);
}

// The shortcuts, as the ? dialog lists them (the actions and the grid use the same keys).
const char *const kShortcutHelp[][2] = {
    {"0 - 3", "grade the focused card (0 not relevant ... 3 same product), then go to the next ungraded one"},
    {"Arrows", "move between cards"},
    {"Space", "show the focused card's image full size"},
    {"N / P", "next / previous query"},
    {"Shift+N", "next unfinished query"},
    {"J", "the pair whose grade tells most about A against B (judging planner)"},
    {"Ctrl+Z / Ctrl+Shift+Z", "undo / redo your last grade"},
    {"Ctrl+D", "compare two versions side by side"},
    {"Ctrl+B", "blind mode (names hidden, sides shuffled per query)"},
    {"Ctrl+R", "reveal the names in blind mode"},
    {"Ctrl+1 ... Ctrl+4", "Review / Inspect / Search / Map tab"},
    {"Drop an image file", "search the catalog for its look-alikes"},
    {"Ctrl+F", "filter the query list"},
    {"Ctrl+O", "open a project"},
    {"Ctrl+Shift+E", "export the evaluation report (HTML, blind when the review is)"},
    {"?", "this list"},
};

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Lookalike"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/lookalike.svg")));
    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
    m_errorLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
    statusBar()->addPermanentWidget(m_errorLabel);
    createActions();
    showWelcome();
    statusBar()->showMessage(tr("Ready"));
    // As large as the screen allows, up to 1500 x 900.
    const QRect screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableGeometry()
                                                          : QRect(0, 0, 1500, 900);
    resize(std::min(1500, screen.width()), std::min(900, screen.height()));
}

MainWindow::~MainWindow()
{
    // Views hold pointers to the session and the cache: delete them first.
    delete m_metricsDock;
    delete m_ratersDock;
    delete takeCentralWidget();
}

void MainWindow::createActions()
{
    auto add = [this](QMenu *menu, const QString &name, const QString &text, const QKeySequence &key, auto slot,
                   bool project) {
        QAction *a = menu->addAction(text);
        a->setObjectName(name);
        if (!key.isEmpty())
            a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        if (project)
            m_projectActions.append(a);
        addAction(a); // shortcuts work wherever the focus is in the window
        return a;
    };
    QMenu *file = menuBar()->addMenu(tr("&File"));
    add(
        file, QStringLiteral("actionOpen"), tr("&Open Project…"), QKeySequence::Open, [this] { chooseProject(); },
        false);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    add(
        file, QStringLiteral("actionExportMetrics"), tr("Export &Metrics Table (CSV)…"), {},
        [this] {
            const QString f = QFileDialog::getSaveFileName(
                this, tr("Export metrics"), QStringLiteral("metrics.csv"), tr("CSV (*.csv)"));
            if (!f.isEmpty())
                exportMetricsCsv(f);
        },
        true);
    add(
        file, QStringLiteral("actionExportTrec"), tr("Export &TREC qrels and Runs…"), {},
        [this] {
            const QString d = QFileDialog::getExistingDirectory(this, tr("Export TREC files to"));
            if (!d.isEmpty())
                exportTrecFiles(d);
        },
        true);
    add(
        file, QStringLiteral("actionExportReport"), tr("Export &Report (HTML)…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
        [this] {
            const QString f = QFileDialog::getSaveFileName(
                this, tr("Export report"), QStringLiteral("report.html"), tr("HTML (*.html)"));
            if (!f.isEmpty())
                exportReport(f);
        },
        true);
    add(
        file, QStringLiteral("actionExportChart"), tr("Export &Chart (PNG)…"), {},
        [this] {
            const QString f = QFileDialog::getSaveFileName(
                this, tr("Export chart"), QStringLiteral("metrics.png"), tr("PNG (*.png)"));
            if (!f.isEmpty())
                exportChartPng(f);
        },
        true);
    file->addSeparator();
    add(
        file, QStringLiteral("actionQuit"), tr("&Quit"), QKeySequence::Quit, [this] { close(); }, false);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    add(
        edit, QStringLiteral("actionUndo"), tr("&Undo Grade"), QKeySequence(Qt::CTRL | Qt::Key_Z),
        [this] { undoOrRedo(true); }, true);
    add(
        edit, QStringLiteral("actionRedo"), tr("&Redo Grade"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z),
        [this] { undoOrRedo(false); }, true);
    add(
        edit, QStringLiteral("actionFilter"), tr("&Filter Queries"), QKeySequence::Find,
        [this] {
            if (auto *f = findChild<QWidget *>(QStringLiteral("queryFilter")))
                f->setFocus();
        },
        true);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    add(
        view, QStringLiteral("actionCompare"), tr("&Compare Two Versions"), QKeySequence(Qt::CTRL | Qt::Key_D),
        [this] { m_review->setCompareMode(!m_review->compareMode()); }, true);
    add(
        view, QStringLiteral("actionBlind"), tr("&Blind Mode"), QKeySequence(Qt::CTRL | Qt::Key_B),
        [this] {
            if (!m_review->compareMode())
                m_review->setCompareMode(true);
            m_review->setBlind(!m_review->blind());
        },
        true);
    add(
        view, QStringLiteral("actionReveal"), tr("&Reveal Names"), QKeySequence(Qt::CTRL | Qt::Key_R),
        [this] { m_review->reveal(); }, true);
    view->addSeparator();
    add(
        view, QStringLiteral("actionReviewTab"), tr("Re&view"), QKeySequence(Qt::CTRL | Qt::Key_1),
        [this] { m_tabs->setCurrentIndex(0); }, true);
    add(
        view, QStringLiteral("actionInspectTab"), tr("&Inspect"), QKeySequence(Qt::CTRL | Qt::Key_2),
        [this] { m_tabs->setCurrentIndex(1); }, true);
    add(
        view, QStringLiteral("actionSearchTab"), tr("&Search"), QKeySequence(Qt::CTRL | Qt::Key_3),
        [this] {
            m_tabs->setCurrentIndex(2);
            if (auto *text = m_search->findChild<QWidget *>(QStringLiteral("searchText")))
                text->setFocus();
        },
        true);
    add(
        view, QStringLiteral("actionMapTab"), tr("&Map"), QKeySequence(Qt::CTRL | Qt::Key_4),
        [this] { m_tabs->setCurrentIndex(3); }, true);

    QMenu *go = menuBar()->addMenu(tr("&Go"));
    add(
        go, QStringLiteral("actionNextQuery"), tr("&Next Query"), QKeySequence(Qt::Key_N),
        [this] { m_review->nextQuery(); }, true);
    add(
        go, QStringLiteral("actionPreviousQuery"), tr("&Previous Query"), QKeySequence(Qt::Key_P),
        [this] { m_review->previousQuery(); }, true);
    add(
        go, QStringLiteral("actionNextUnfinished"), tr("Next &Unfinished Query"), QKeySequence(Qt::SHIFT | Qt::Key_N),
        [this] { m_review->nextUnfinishedQuery(); }, true);
    add(
        go, QStringLiteral("actionNextPlanned"), tr("Next Pair to &Judge (planner)"), QKeySequence(Qt::Key_J),
        [this] {
            m_review->jumpToPlannedPair();
            m_metrics->refresh(); // the planner's line, now that it exists
        },
        true);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    add(
        help, QStringLiteral("actionShortcuts"), tr("&Keyboard Shortcuts"), QKeySequence(Qt::Key_Question),
        [this] { showShortcuts(); }, false);
    add(
        help, QStringLiteral("actionAbout"), tr("&About Lookalike"), {}, [this] { showAbout(); }, false);
    setProjectActionsEnabled(false);
    updateRecentMenu();
}

void MainWindow::setProjectActionsEnabled(bool enabled)
{
    for (QAction *a : m_projectActions)
        a->setEnabled(enabled);
}

void MainWindow::showWelcome()
{
    auto *welcome = new QWidget(this);
    auto *layout = new QVBoxLayout(welcome);
    layout->addStretch();
    auto *placeholder = new QLabel(
        tr("No project open.\n\nOpen a project folder (File > Open, Ctrl+O), or create one with `lookalike init`."),
        welcome);
    placeholder->setObjectName(QStringLiteral("placeholder"));
    placeholder->setAlignment(Qt::AlignCenter);
    layout->addWidget(placeholder);
    auto *open = new QPushButton(tr("Open Project…"), welcome);
    connect(open, &QPushButton::clicked, this, &MainWindow::chooseProject);
    layout->addWidget(open, 0, Qt::AlignCenter);
    m_recentList = new QListWidget(welcome);
    m_recentList->setObjectName(QStringLiteral("recentProjects"));
    m_recentList->addItems(recentProjects());
    m_recentList->setMaximumWidth(600);
    connect(
        m_recentList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) { openProject(item->text()); });
    if (m_recentList->count() > 0) {
        layout->addWidget(new QLabel(tr("Recent projects:"), welcome), 0, Qt::AlignCenter);
        layout->addWidget(m_recentList, 0, Qt::AlignCenter);
    } else {
        m_recentList->hide();
    }
    layout->addStretch();
    setCentralWidget(welcome);
}

void MainWindow::updateRecentMenu()
{
    m_recentMenu->clear();
    for (const QString &folder : recentProjects())
        m_recentMenu->addAction(folder, this, [this, folder] { openProject(folder); });
    m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

void MainWindow::chooseProject()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a Lookalike project folder"));
    if (!folder.isEmpty())
        openProject(folder);
}

bool MainWindow::openProject(const QString &folder, const QString &raterName)
{
    QString rater = raterName.isEmpty() ? QSettings().value(settingsRaterKey()).toString() : raterName;
    if (rater.isEmpty()) {
        bool ok = false;
        rater = QInputDialog::getText(this, tr("Who is rating?"),
            tr("Your name, as it will be recorded with every grade you give:"), QLineEdit::Normal,
            qEnvironmentVariable("USER"), &ok)
                    .trimmed();
        if (!ok || rater.isEmpty())
            return false;
        QSettings().setValue(settingsRaterKey(), rater);
    }
    std::unique_ptr<ReviewSession> session;
    try {
        session = std::make_unique<ReviewSession>(folder, rater);
    } catch (const std::exception &e) {
        showError(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
    // Tear down the old views before the session they point to.
    delete m_metricsDock;
    m_metricsDock = nullptr;
    delete m_ratersDock;
    m_ratersDock = nullptr;
    delete takeCentralWidget();
    m_session = std::move(session);
    m_thumbnails = std::make_unique<ThumbnailCache>();
    connect(m_session.get(), &ReviewSession::errorOccurred, this, &MainWindow::showError);
    connect(m_session.get(), &ReviewSession::judgmentChanged, this,
            [this](const JudgmentChange &change) { m_lastChangedQuery = change.query; });

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_review = new ReviewView(m_session.get(), m_thumbnails.get(), m_tabs);
    m_failures = new FailureView(m_session.get(), m_tabs);
    m_tabs->addTab(m_review, tr("Review"));
    m_tabs->addTab(m_failures, tr("Inspect"));
    m_search = new SearchView(m_session.get(), m_thumbnails.get(), m_tabs);
    m_tabs->addTab(m_search, tr("Search"));
    m_map = new MapView(m_session.get(), m_thumbnails.get(), m_tabs);
    m_tabs->addTab(m_map, tr("Map"));
    connect(m_review, &ReviewView::queryShown, m_map, &MapView::setCurrentQuery);
    setAcceptDrops(true);
    setCentralWidget(m_tabs);
    m_metrics = new MetricsPanel(m_session.get());
    m_metricsDock = new QDockWidget(tr("Metrics"), this);
    m_metricsDock->setObjectName(QStringLiteral("metricsDock"));
    m_metricsDock->setFeatures(QDockWidget::DockWidgetMovable); // always visible: not closable
    m_metricsDock->setWidget(m_metrics);
    m_metricsDock->setMinimumWidth(400);
    addDockWidget(Qt::RightDockWidgetArea, m_metricsDock);
    m_ratersDock = new QDockWidget(tr("Raters"), this);
    m_ratersDock->setObjectName(QStringLiteral("ratersDock"));
    m_ratersDock->setWidget(new RaterProgressPanel(m_session.get()));
    m_session->startPolling(); // other raters' grades and changed settings, every 2 s
    addDockWidget(Qt::RightDockWidgetArea, m_ratersDock);
    // The rater's heartbeat: the others see which query they are on.
    connect(m_review, &ReviewView::queryShown, m_session.get(), [this](qint64 query) { m_session->setCurrentQuery(query); });
    if (m_review->currentQuery() != 0)
        m_session->setCurrentQuery(m_review->currentQuery());

    connect(m_review, &ReviewView::modelsChanged, this, [this](qint64 a, qint64 b) {
        m_metrics->setModels(a, b);
        m_failures->setModels(a, b ? b : a);
    });
    connect(m_review, &ReviewView::blindChanged, this, [this](bool blind) {
        m_metrics->setBlind(blind);
        m_failures->setBlind(blind);
    });
    connect(
        m_review, &ReviewView::statusMessage, this, [this](const QString &m) { statusBar()->showMessage(m, 8000); });
    connect(m_failures, &FailureView::openQuery, this, [this](qint64 query) {
        m_tabs->setCurrentIndex(0);
        m_review->showQuery(query);
    });
    connect(m_search, &SearchView::openQuery, this, [this](qint64 query) {
        m_tabs->setCurrentIndex(0);
        m_review->showQuery(query);
        m_review->focusCards();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab == 1)
            m_failures->reload();
    });
    m_metrics->setModels(m_review->modelA(), 0);
    m_failures->setModels(m_review->modelA(), m_review->modelB());

    setProjectActionsEnabled(true);
    m_review->focusCards();
    rememberProject(m_session->folder());
    updateRecentMenu();
    // A read-only project (another user's, a mounted archive) is shown and evaluated; grades are
    // refused with the reason, so the title says so up front.
    setWindowTitle((m_session->readOnly() ? tr("%1 (read-only) — Lookalike") : tr("%1 — Lookalike"))
                       .arg(QFileInfo(m_session->folder()).fileName()));
    m_errorLabel->clear();
    const auto models = m_session->models().size();
    statusBar()->showMessage(tr("Opened %1: %2 queries, %3 model versions. Rating as %4. Press ? for the shortcuts.")
                                 .arg(m_session->folder())
                                 .arg(m_session->queryCount())
                                 .arg(models)
                                 .arg(rater));
    return true;
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (m_search && event->mimeData()->hasUrls() && !event->mimeData()->urls().isEmpty()
        && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    if (!m_search || !event->mimeData()->hasUrls())
        return;
    const QString file = event->mimeData()->urls().first().toLocalFile();
    if (file.isEmpty())
        return;
    event->acceptProposedAction();
    m_tabs->setCurrentIndex(2);
    m_search->searchImage(file);
}

void MainWindow::applyStartOptions(bool compare, bool blind, const QString &tab)
{
    if (!m_session)
        return;
    m_review->setCompareMode(compare);
    m_review->setBlind(blind);
    const QStringList tabs{
        QStringLiteral("review"), QStringLiteral("inspect"), QStringLiteral("search"), QStringLiteral("map")};
    m_tabs->setCurrentIndex(std::max<qsizetype>(0, tabs.indexOf(tab.toLower())));
    if (m_tabs->currentIndex() == 0)
        m_review->focusCards();
}

void MainWindow::undoOrRedo(bool undo)
{
    if (!m_session)
        return;
    m_lastChangedQuery = 0;
    const bool done = undo ? m_session->undo() : m_session->redo();
    if (!done) {
        statusBar()->showMessage(undo ? tr("Nothing to undo.") : tr("Nothing to redo."), 5000);
        return;
    }
    // Show what changed, if it was another query.
    if (m_lastChangedQuery && m_lastChangedQuery != m_review->currentQuery())
        m_review->showQuery(m_lastChangedQuery);
    statusBar()->showMessage(undo ? tr("Grade undone.") : tr("Grade redone."), 5000);
}

void MainWindow::showError(const QString &message)
{
    m_lastError = message;
    m_errorLabel->setText(message);
    statusBar()->showMessage(tr("Error: %1").arg(message), 15000);
}

bool MainWindow::exportMetricsCsv(const QString &file)
{
    QFile f(file);
    if (!m_metrics || !f.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || f.write(m_metrics->metricsCsv().toUtf8()) < 0) {
        showError(tr("%1: cannot write the metrics table").arg(file));
        return false;
    }
    statusBar()->showMessage(tr("Metrics written to %1").arg(file), 5000);
    return true;
}

bool MainWindow::exportChartPng(const QString &file)
{
    if (!m_metrics || !m_metrics->chartImage().save(file, "PNG")) {
        showError(tr("%1: cannot write the chart").arg(file));
        return false;
    }
    statusBar()->showMessage(tr("Chart written to %1").arg(file), 5000);
    return true;
}

bool MainWindow::exportReport(const QString &file)
{
    QString summary;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = m_session && m_session->exportReport(file, m_review && m_review->blind(), &summary);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Wrote the report to %1 (%2)").arg(file, summary), 8000);
    return ok;
}

bool MainWindow::exportTrecFiles(const QString &folder)
{
    QString files;
    if (!m_session || !m_session->exportTrecFiles(folder, &files))
        return false;
    statusBar()->showMessage(tr("Wrote %1 to %2").arg(files, folder), 8000);
    return true;
}

void MainWindow::showShortcuts()
{
    QString html = QStringLiteral("<table cellpadding=4>");
    for (const auto &row : kShortcutHelp)
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(QLatin1String(row[0]), tr(row[1]));
    html += QStringLiteral("</table>");
    auto *box = new QMessageBox(QMessageBox::NoIcon, tr("Keyboard shortcuts"), html, QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("shortcutsDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Lookalike"),
        tr("<h3>Lookalike %1</h3><p>Review and measure visual product recommendations: "
           "SigLIP embeddings, nearest neighbours, relevance judgments, nDCG@5 and P@1.</p>")
            .arg(QStringLiteral(LOOKALIKE_VERSION)));
}

} // namespace lookalike::ui
