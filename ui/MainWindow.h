// The Lookalike main window: the Review tab (queries, the query, its neighbours; compare mode
// side by side, blind if wanted), the Inspect tab (failure cases, per-category breakdown), the
// metrics panel docked beside them and always visible, and the menus with every shortcut.
// Without a project it shows how to open one and the recent projects.
#pragma once

#include <QMainWindow>

#include <memory>

class QDockWidget;
class QLabel;
class QListWidget;
class QMenu;
class QTabWidget;

namespace lookalike::ui {

class FailureView;
class MapView;
class MetricsPanel;
class ReviewSession;
class ReviewView;
class SearchView;
class ThumbnailCache;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a project folder as `rater` (empty: the remembered name, asked for on first use).
    // Returns false, with the reason shown, if it cannot be opened.
    bool openProject(const QString &folder, const QString &rater = {});

    // Start-up options of `lookalike PROJECT --compare --blind --tab inspect` (unknown tab: review).
    void applyStartOptions(bool compare, bool blind, const QString &tab);

    ReviewSession *session() const { return m_session.get(); }
    ReviewView *reviewView() const { return m_review; }
    FailureView *failureView() const { return m_failures; }
    SearchView *searchView() const { return m_search; }
    MapView *mapView() const { return m_map; }
    MetricsPanel *metricsPanel() const { return m_metrics; }
    ThumbnailCache *thumbnails() const { return m_thumbnails.get(); }
    QString lastError() const { return m_lastError; }

    // Exports (also in the File menu, which asks for the file).
    bool exportMetricsCsv(const QString &file);
    bool exportChartPng(const QString &file);
    bool exportTrecFiles(const QString &folder);
    bool exportReport(const QString &file); // blind when the review is

    static QString settingsRaterKey() { return QStringLiteral("rater"); }

protected:
    // Dropping an image file on the window searches the catalog for it (query by new image).
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void showWelcome();
    void showError(const QString &message);
    void showShortcuts();
    void showAbout();
    void chooseProject();
    void updateRecentMenu();
    void undoOrRedo(bool undo);
    void setProjectActionsEnabled(bool enabled);

    std::unique_ptr<ThumbnailCache> m_thumbnails;
    std::unique_ptr<ReviewSession> m_session;
    QTabWidget *m_tabs = nullptr;
    ReviewView *m_review = nullptr;
    FailureView *m_failures = nullptr;
    SearchView *m_search = nullptr;
    MapView *m_map = nullptr;
    MetricsPanel *m_metrics = nullptr;
    QDockWidget *m_metricsDock = nullptr;
    QDockWidget *m_ratersDock = nullptr; // RaterProgressPanel
    QLabel *m_errorLabel = nullptr;
    QListWidget *m_recentList = nullptr;
    QMenu *m_recentMenu = nullptr;
    QList<QAction *> m_projectActions;
    QString m_lastError;
    qint64 m_lastChangedQuery = 0;
};

} // namespace lookalike::ui
