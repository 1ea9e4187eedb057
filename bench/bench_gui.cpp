// GUI responsiveness on a project of 10,000 queries (bench/BenchProject.h), offscreen:
//  - grade key press -> metrics panel updated: the digit key through the grid, the committed
//    write, the metric update and the panel's refresh (tables and both charts), then the
//    window repainted;
//  - `n` -> the next query fully painted: the query image, the five cards and the list row,
//    with thumbnails served from the cache (warm) and decoded on the workers first (cold).
//  - `j` (#16's judging planner) -> the next planned pair painted, its card focused, after a
//    grade in compare mode; the first `j` builds the plan on a worker thread: the time until the
//    window is painted again and until the plan's first pair is, apart.
// Targets: 16 ms and 50 ms. Also the time to open the project. `--during-map` presses the keys
// while t-SNE maps (ui::ReviewSession::computeMap, on a worker thread) run one after another: #14's
// "the GUI stays responsive while a map runs".
//
//   QT_QPA_PLATFORM=offscreen bench_gui [--queries N] [--presses P] [--keep DIR] [--during-map]
#include "BenchProject.h"

#include "ui/MainWindow.h"
#include "ui/NeighbourGrid.h"
#include "ui/NeighbourModel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"
#include "ui/ThumbnailCache.h"

#include <QApplication>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

#include <QFutureWatcher>

#include <algorithm>
#include <atomic>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <unistd.h>

using namespace lookalike;
namespace fs = std::filesystem;
using bench::Clock;
using bench::msSince;
using bench::percentile;

namespace {

void report(const char *what, const std::vector<double> &v)
{
    std::printf("  %-52s p50 %6.2f ms  p90 %6.2f ms  max %6.2f ms\n", what, percentile(v, 0.5), percentile(v, 0.9),
        percentile(v, 1.0));
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("LookalikeBench"));
    int queries = 10000, presses = 100;
    bool duringMap = false;
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--queries") && a + 1 < argc)
            queries = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--presses") && a + 1 < argc)
            presses = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--during-map"))
            duringMap = true;
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(stderr, "usage: bench_gui [--queries N] [--presses P] [--keep DIR] [--during-map]\n");
            return 2;
        }
    }
    const fs::path dir
        = keep.empty() ? fs::temp_directory_path() / ("lookalike-bench-gui-" + std::to_string(::getpid())) : keep;
    try {
        QString folder;
        {
            bench::BenchProject b = bench::makeBenchProject(dir, queries);
            folder = QString::fromStdString(b.folder.string());
        }
        ui::MainWindow window;
        window.resize(1600, 1000);
        window.show();
        auto t0 = Clock::now();
        if (!window.openProject(folder, QStringLiteral("bench")))
            throw std::runtime_error(window.lastError().toStdString());
        QApplication::processEvents();
        std::printf("open the project (both versions evaluated): %.0f ms\n", msSince(t0));
        window.activateWindow();
        if (!QTest::qWaitForWindowActive(&window))
            throw std::runtime_error("the window never became active");
        ui::ReviewView *review = window.reviewView();
        review->setCompareMode(false);

        // --during-map: t-SNE maps of the first version, one after another, for the whole run.
        ui::ReviewSession *session = window.session();
        auto cancelled = std::make_shared<std::atomic<bool>>(false);
        auto done = std::make_shared<std::atomic<int>>(0);
        ui::ReviewSession::MapSource source;
        QFutureWatcher<ui::ReviewSession::MapOutcome> mapWatcher;
        int maps = 0;
        if (duringMap) {
            if (session->models().empty()
                || !session->mapSource(session->models().front().id, ui::ReviewSession::maxTsnePoints(), &source))
                throw std::runtime_error("nothing to map");
            QObject::connect(&mapWatcher, &QFutureWatcher<ui::ReviewSession::MapOutcome>::finished, [&] {
                ++maps;
                if (!*cancelled)
                    mapWatcher.setFuture(session->computeMap(source, true, cancelled, done));
            });
            mapWatcher.setFuture(session->computeMap(source, true, cancelled, done));
            std::printf("pressing keys while t-SNE maps of %zu points run on a worker thread\n", source.itemIds.size());
        }

        std::vector<double> grade, next, nextCold;
        for (int i = 0; i < presses; ++i) {
            ui::NeighbourGrid *grid = review->leftGrid();
            review->focusCards();
            // Grade the focused card, then wait for the repaint of the whole window.
            t0 = Clock::now();
            QTest::keyClick(grid, static_cast<char>('0' + i % 4));
            window.repaint();
            grade.push_back(msSince(t0));

            // n: the next query, painted. Cold: the first time its thumbnails are decoded.
            window.thumbnails()->waitForIdle();
            t0 = Clock::now();
            QTest::keyClick(grid, 'n');
            window.repaint();
            const double ms = msSince(t0);
            window.thumbnails()->waitForIdle();
            const double withThumbnails = msSince(t0);
            (i % 2 ? next : nextCold).push_back(i % 2 ? ms : withThumbnails);
            if (i % 2 == 0) {
                // Come back to it (thumbnails now cached) and measure the warm case on the next press.
                QTest::keyClick(grid, 'p');
                window.repaint();
                QTest::keyClick(grid, 'n');
                window.repaint();
            }
        }
        if (duringMap) {
            *cancelled = true;
            mapWatcher.waitForFinished();
            std::printf("t-SNE iterations done meanwhile: %d (%d maps finished)\n", done->load(), maps);
        }
        // j: compare mode on A and B, the plan built on the first press, then grade and j.
        std::vector<double> gradePlanned, planned;
        window.thumbnails()->waitForIdle();
        QSignalSpy planReady(session, &ui::ReviewSession::planReady);
        t0 = Clock::now();
        QTest::keyClick(review->leftGrid(), 'j');
        window.repaint();
        const double firstJ = msSince(t0); // the plan is built on a worker: back at once
        if (!planReady.wait(60000))
            throw std::runtime_error("the plan was never built");
        window.repaint();
        const double firstPair = msSince(t0);
        for (int i = 0; i < presses; ++i) {
            window.thumbnails()->waitForIdle();
            QWidget *card = QApplication::focusWidget();
            t0 = Clock::now();
            QTest::keyClick(card, static_cast<char>('0' + i % 4));
            window.repaint();
            gradePlanned.push_back(msSince(t0));
            window.thumbnails()->waitForIdle();
            t0 = Clock::now();
            QTest::keyClick(QApplication::focusWidget(), 'j');
            window.repaint();
            planned.push_back(msSince(t0));
        }
        std::printf("over %d key presses (%d queries)%s:\n", presses, queries, duringMap ? ", during a map" : "");
        report("grade key -> saved, metrics panel and window painted", grade);
        report("n -> next query painted (thumbnails cached)", next);
        report("n -> next query painted, thumbnails decoded too", nextCold);
        std::printf("  %-52s %6.2f ms\n", "first j -> window painted (plan built on a worker)", firstJ);
        std::printf("  %-52s %6.2f ms\n", "first j -> plan built, its first pair painted", firstPair);
        report("grade key in compare mode, plan line updated", gradePlanned);
        report("j -> next planned pair painted (thumbnails on the way)", planned);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_gui: %s\n", e.what());
        return 1;
    }
    if (keep.empty())
        fs::remove_all(dir);
    return 0;
}
