// A big catalog in the GUI: a generated project of 1,000,000 items (no images: the manifest's
// paths need not exist) with clustered 768-d vectors imported as two precomputed versions,
// IVF-PQ indexes, a query set (100,000 by default) with frozen lists of 10, and every tenth
// query's top 5 graded. Generated once into CACHE/<items>x<queries>x<dim>/ (skipped when
// present; resumable by step, so an interrupted generation keeps what it finished), then
// measured in a fresh process (so the RSS numbers are the GUI's, not the generator's):
//  - opening: engine only (Project + EvaluationEngine), ReviewSession, and the main window
//    opened, shown and painted; first in the process (cold-ish) and again (warm);
//  - RSS after each step (VmRSS) and the peak (VmHWM) of the GUI phase;
//  - the query list: a scroll to a random place painted, and how many rows the list reads;
//    a text filter and a category filter; a sort on nDCG@5;
//  - `n` to the next query painted; the map (a seeded sample, read row by row);
//  - neighbours of one item (after loading the version's index, which is outside the GUI's open).
//
//   nice -n 19 bench_bigproject CACHE [--items N] [--queries Q] [--dim D] [--versions V]
//                                     [--lists L] [--probe P] [--presses K]
#include "BenchProject.h"

#include "core/index/NpyFile.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelIndex.h"
#include "ui/MainWindow.h"
#include "ui/MapView.h"
#include "ui/NeighbourGrid.h"
#include "ui/QueryListModel.h"
#include "ui/ReviewSession.h"
#include "ui/ReviewView.h"

#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QScrollBar>
#include <QTableView>
#include <QTest>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace lookalike;
namespace fs = std::filesystem;
using bench::Clock;
using bench::msSince;
using bench::percentile;

namespace {

struct Options {
    fs::path cache;
    std::int64_t items = 1000000;
    int queries = 100000;
    int dim = 768;
    int versions = 2;
    int lists = 256;
    int probe = 16;
    int presses = 200;
    bool measureOnly = false;
};

constexpr int kClusters = 1000;
constexpr int kCategories = 40;

// The cluster of catalog item i: scattered, so neighbours are not neighbours in id order.
int clusterOf(std::int64_t i)
{
    return static_cast<int>((static_cast<std::uint64_t>(i) * 2654435761u) % kClusters);
}

std::string kb(const char *field)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0) {
            const auto n = std::strtoll(line.c_str() + std::strlen(field), nullptr, 10);
            char out[32];
            std::snprintf(out, sizeof out, "%.0f MB", static_cast<double>(n) / 1024.0);
            return out;
        }
    return "?";
}

void rss(const char *after)
{
    std::printf("  RSS after %-44s %10s (peak %s)\n", after, kb("VmRSS:").c_str(), kb("VmHWM:").c_str());
    std::fflush(stdout);
}

void report(const char *what, const std::vector<double> &v)
{
    std::printf("  %-54s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", what, percentile(v, 0.5), percentile(v, 0.99),
        percentile(v, 1.0));
    std::fflush(stdout);
}

double secondsSince(Clock::time_point t0)
{
    return msSince(t0) / 1000.0;
}

// Resumable by step (<step>.done markers): an interrupted generation keeps the catalog and the
// versions it finished.
void generate(const Options &o, const fs::path &dir)
{
    auto done = [&](const std::string &step) { return fs::exists(dir / (step + ".done")); };
    auto mark = [&](const std::string &step) { std::ofstream(dir / (step + ".done")) << "done\n"; };
    auto t0 = Clock::now();
    if (done("catalog")) {
        std::printf("generate: catalog already there (%s)\n", (dir / "catalog.done").string().c_str());
    } else {
        fs::remove_all(dir);
        fs::create_directories(dir);
        {
            std::ofstream csv(dir / "catalog.csv");
            csv << "id,image,title,category,brand\n";
            for (std::int64_t i = 0; i < o.items; ++i)
                csv << "item-" << i << ",images/" << i << ".jpg,product " << i << " of cluster " << clusterOf(i)
                    << ",cat-" << clusterOf(i) % kCategories << ",brand-" << (i % 97) << "\n";
            std::ofstream ids(dir / "ids.txt");
            for (std::int64_t i = 0; i < o.items; ++i)
                ids << "item-" << i << "\n";
        }
        Project created = Project::create(dir / "project");
        ManifestOptions manifest;
        manifest.checkImages = false; // no images: the paths need not exist
        created.importCatalog(dir / "catalog.csv", manifest);
        std::printf("generate: catalog of %lld items imported in %.1f s\n", static_cast<long long>(o.items),
            secondsSince(t0));
        std::fflush(stdout);
        mark("catalog");
    }
    Project project = Project::open(dir / "project");

    // Clustered vectors: a shared centre per cluster plus noise; each version its own noise.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> centres(static_cast<std::size_t>(kClusters) * static_cast<std::size_t>(o.dim));
    for (float &v : centres)
        v = normal(rng);
    std::vector<ModelVersion> versions;
    for (int v = 0; v < o.versions; ++v) {
        t0 = Clock::now();
        const std::string name = v == 0 ? "baseline" : "candidate-" + std::to_string(v);
        if (done(name)) {
            for (const ModelVersion &existing : modelVersions(project))
                if (existing.name == name)
                    versions.push_back(existing);
            std::printf("generate: %s already there\n", name.c_str());
            continue;
        }
        for (const ModelVersion &existing : modelVersions(project))
            if (existing.name == name)
                throw std::runtime_error("an interrupted run left version " + name + " half made: remove "
                                         + dir.string() + " and start again");
        const fs::path npy = dir / (name + ".npy");
        {
            FloatMatrix m(o.items, o.dim);
            std::mt19937 noise(100 + static_cast<unsigned>(v));
            const float spread = v == 0 ? 0.6f : 0.5f;
            for (std::int64_t i = 0; i < o.items; ++i) {
                const float *c = centres.data() + static_cast<std::size_t>(clusterOf(i)) * static_cast<std::size_t>(o.dim);
                float *row = m.data.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(o.dim);
                for (int k = 0; k < o.dim; ++k)
                    row[k] = c[k] + spread * normal(noise);
            }
            writeNpyMatrix(npy, m);
        }
        const ModelVersion version = registerModelVersion(project, precomputedVersion(name, npy, dir / "ids.txt"));
        importPrecomputedEmbeddings(project, version, npy, dir / "ids.txt");
        fs::remove(npy); // the project keeps its own raw and normalised copies
        std::printf("generate: %s: %lld x %d vectors written and imported in %.1f s\n", name.c_str(),
            static_cast<long long>(o.items), o.dim, secondsSince(t0));
        std::fflush(stdout);
        t0 = Clock::now();
        IndexOptions index;
        index.kind = IndexKind::IvfPq;
        index.ivfLists = o.lists;
        index.ivfProbe = o.probe;
        const IndexBuildReport built = buildNeighbourIndex(project, version, index, false);
        std::printf("generate: %s: IVF-PQ index (%d lists, probe %d) built in %.1f s\n", name.c_str(), o.lists,
            o.probe, built.seconds);
        std::fflush(stdout);
        versions.push_back(version);
        mark(name);
    }

    t0 = Clock::now();
    std::vector<std::int64_t> queries;
    const std::int64_t step = std::max<std::int64_t>(1, o.items / o.queries);
    for (std::int64_t i = 0; i < o.items && static_cast<int>(queries.size()) < o.queries; i += step)
        queries.push_back(project.requireItem("item-" + std::to_string(i)).id);
    project.addQueries(queries, "bench");
    for (const ModelVersion &v : versions) {
        const auto t1 = Clock::now();
        const FreezeReport r = freezeResultLists(project, v, 10, false, false);
        std::printf("generate: %s: %lld lists of 10 frozen in %.1f s\n", v.name.c_str(),
            static_cast<long long>(r.frozen), secondsSince(t1));
        std::fflush(stdout);
    }
    // Every tenth query's top 5 graded: relevant when the candidate is of the query's cluster.
    std::vector<GradeToImport> grades;
    for (std::size_t q = 0; q < queries.size(); q += 10) {
        const Item query = project.item(queries[q]);
        const int cluster = clusterOf(std::stoll(query.key.substr(5)));
        for (const ModelVersion &v : versions) {
            std::vector<std::int64_t> ids;
            for (const ResultEntry &e : frozenResultList(project, v, queries[q]))
                if (e.rank <= 5)
                    ids.push_back(e.candidateItemId);
            for (const Item &c : project.items(ids))
                grades.push_back({queries[q], c.id, clusterOf(std::stoll(c.key.substr(5))) == cluster ? 3 : 0});
        }
    }
    JudgmentStore(project).importGrades(grades, "seed");
    std::printf("generate: query set of %zu, %zu grades, in %.1f s\n", queries.size(), grades.size(),
        secondsSince(t0));
    std::ofstream(dir / "complete") << "items " << o.items << " queries " << o.queries << " dim " << o.dim
                                    << " versions " << o.versions << " lists " << o.lists << " probe " << o.probe
                                    << "\n";
}

// Everything the window does before the next frame: events, then a full repaint.
void settle(QWidget &w)
{
    QApplication::processEvents();
    w.repaint();
}

void measure(const Options &o, const fs::path &dir)
{
    const QString folder = QString::fromStdString((dir / "project").string());
    std::printf("measure: %s\n", folder.toUtf8().constData());
    rss("start (QApplication)");

    // Cold-ish: the first open in this process (the file cache is whatever the OS kept).
    auto window = std::make_unique<ui::MainWindow>();
    window->resize(1600, 1000);
    window->show();
    auto t0 = Clock::now();
    if (!window->openProject(folder, QStringLiteral("bench")))
        throw std::runtime_error(window->lastError().toStdString());
    settle(*window);
    std::printf("  open: main window opened, shown and painted (first) %9.0f ms\n", msSince(t0));
    rss("opening the window");

    t0 = Clock::now();
    {
        Project project = Project::open(folder.toStdString());
        EvaluationEngine engine(project);
        std::printf("  open: engine only (Project + EvaluationEngine)     %9.0f ms\n", msSince(t0));
    }
    t0 = Clock::now();
    {
        ui::ReviewSession session(folder, QStringLiteral("bench"));
        std::printf("  open: ReviewSession (engine + query ids)           %9.0f ms\n", msSince(t0));
    }
    window.reset();
    window = std::make_unique<ui::MainWindow>();
    window->resize(1600, 1000);
    window->show();
    t0 = Clock::now();
    if (!window->openProject(folder, QStringLiteral("bench")))
        throw std::runtime_error(window->lastError().toStdString());
    settle(*window);
    std::printf("  open: main window opened, shown and painted (warm)  %9.0f ms\n", msSince(t0));
    rss("opening it again");
    window->activateWindow();
    (void)QTest::qWaitForWindowActive(window.get());

    ui::ReviewView *review = window->reviewView();
    ui::QueryListModel *list = review->queryModel();
    auto *table = window->findChild<QTableView *>(QStringLiteral("queryTable"));
    std::printf("  query list: %d rows, %d items read (%d pages)\n", list->rowCount(), list->cachedItems(),
        list->pagesRead());

    std::mt19937 rng(3);
    std::vector<double> scroll;
    const int pagesBefore = list->pagesRead();
    for (int i = 0; i < 50; ++i) {
        t0 = Clock::now();
        table->verticalScrollBar()->setValue(static_cast<int>(rng() % static_cast<unsigned>(std::max(1, table->verticalScrollBar()->maximum()))));
        table->viewport()->repaint();
        scroll.push_back(msSince(t0));
    }
    report("query list: jump-scroll to a random place, painted", scroll);
    std::printf("  query list: %d pages read for 50 jumps; %d items held (bound %d)\n",
        list->pagesRead() - pagesBefore, list->cachedItems(), ui::QueryListModel::kPageRows * ui::QueryListModel::kMaxPages);

    std::vector<double> next;
    ui::NeighbourGrid *grid = review->leftGrid();
    table->scrollToTop();
    review->showQuery(list->queryAt(0));
    for (int i = 0; i < o.presses; ++i) {
        t0 = Clock::now();
        QTest::keyClick(grid, 'n');
        window->repaint();
        next.push_back(msSince(t0));
    }
    report("n -> next query painted", next);

    auto *filter = window->findChild<QLineEdit *>(QStringLiteral("queryFilter"));
    t0 = Clock::now();
    filter->setText(QStringLiteral("product 1200"));
    settle(*window);
    std::printf("  filter 'product 1200' (SQL), painted: %d rows in %.0f ms\n", list->rowCount(), msSince(t0));
    t0 = Clock::now();
    filter->clear();
    settle(*window);
    std::printf("  filter cleared, painted: %d rows in %.0f ms\n", list->rowCount(), msSince(t0));
    auto *category = window->findChild<QComboBox *>(QStringLiteral("queryCategory"));
    t0 = Clock::now();
    category->setCurrentIndex(1);
    settle(*window);
    std::printf("  category filter, painted: %d rows in %.0f ms\n", list->rowCount(), msSince(t0));
    category->setCurrentIndex(0);
    t0 = Clock::now();
    table->sortByColumn(ui::QueryListModel::NdcgColumn, Qt::DescendingOrder);
    settle(*window);
    std::printf("  sort by nDCG@5, painted: %.0f ms\n", msSince(t0));
    t0 = Clock::now();
    table->sortByColumn(ui::QueryListModel::TitleColumn, Qt::AscendingOrder);
    settle(*window);
    std::printf("  sort by title (SQL), painted: %.0f ms\n", msSince(t0));
    rss("the list and n");

    ui::MapView *map = window->mapView();
    t0 = Clock::now();
    map->compute(ui::MapView::Pca);
    while (map->isBusy())
        QTest::qWait(20);
    std::printf("  map (PCA): %.0f ms: %s\n", msSince(t0), map->message().toUtf8().constData());
    rss("the map");
    std::printf("  GUI phase peak RSS (VmHWM): %s\n", kb("VmHWM:").c_str());
    window.reset();

    // Neighbours of one item: the search behind the search tab (it loads the index first).
    Project project = Project::open(folder.toStdString());
    const std::vector<ModelVersion> versions = modelVersions(project);
    t0 = Clock::now();
    const ModelIndex index = ModelIndex::load(project, versions.front());
    std::printf("  index of %s loaded (IVF-PQ + normalised vectors) in %.0f ms\n", versions.front().name.c_str(),
        msSince(t0));
    rss("loading one version's index");
    std::vector<double> neighbours;
    for (int i = 0; i < 200; ++i) {
        const std::int64_t item = static_cast<std::int64_t>(rng() % static_cast<unsigned>(o.items)) + 1;
        t0 = Clock::now();
        (void)index.neighboursOfItems({item}, 10, false);
        neighbours.push_back(msSince(t0));
    }
    report("neighbours (k = 10) of one item", neighbours);
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    Options o;
    for (int a = 1; a < argc; ++a) {
        auto number = [&](auto &into) {
            if (a + 1 >= argc)
                return false;
            into = static_cast<std::remove_reference_t<decltype(into)>>(std::atoll(argv[++a]));
            return true;
        };
        bool ok = true;
        if (!std::strcmp(argv[a], "--items"))
            ok = number(o.items);
        else if (!std::strcmp(argv[a], "--queries"))
            ok = number(o.queries);
        else if (!std::strcmp(argv[a], "--dim"))
            ok = number(o.dim);
        else if (!std::strcmp(argv[a], "--versions"))
            ok = number(o.versions);
        else if (!std::strcmp(argv[a], "--lists"))
            ok = number(o.lists);
        else if (!std::strcmp(argv[a], "--probe"))
            ok = number(o.probe);
        else if (!std::strcmp(argv[a], "--presses"))
            ok = number(o.presses);
        else if (!std::strcmp(argv[a], "--measure-only"))
            o.measureOnly = true;
        else if (argv[a][0] != '-' && o.cache.empty())
            o.cache = argv[a];
        else
            ok = false;
        if (!ok) {
            std::fprintf(stderr, "usage: bench_bigproject CACHE [--items N] [--queries Q] [--dim D] [--versions V] "
                                 "[--lists L] [--probe P] [--presses K]\n");
            return 2;
        }
    }
    if (o.items < 1 || o.queries < 1 || o.queries > o.items || o.dim < 1 || o.versions < 1) {
        std::fprintf(stderr, "bench_bigproject: the sizes must be positive, with no more queries than items\n");
        return 2;
    }
    if (o.cache.empty()) {
        std::fprintf(stderr, "bench_bigproject: give a cache folder (the generated project is kept there)\n");
        return 2;
    }
    const fs::path dir = o.cache
        / (std::to_string(o.items) + "x" + std::to_string(o.queries) + "x" + std::to_string(o.dim) + "-v"
            + std::to_string(o.versions) + "-l" + std::to_string(o.lists));
    try {
        if (!o.measureOnly && !fs::exists(dir / "complete")) {
            {
                QCoreApplication core(argc, argv);
                generate(o, dir);
            }
            // Measure in a fresh process: the generator's peak memory must not show as the GUI's.
            std::vector<char *> args(argv, argv + argc);
            std::string flag = "--measure-only";
            args.push_back(flag.data());
            args.push_back(nullptr);
            std::fflush(stdout);
            ::execv("/proc/self/exe", args.data());
            throw std::runtime_error("cannot start the measuring process");
        }
        QApplication app(argc, argv);
        QCoreApplication::setOrganizationName(QStringLiteral("LookalikeBench"));
        std::printf("project: %s (%lld items, %d queries, %d-d, %d versions, IVF-PQ %d lists, probe %d)\n",
            dir.string().c_str(), static_cast<long long>(o.items), o.queries, o.dim, o.versions, o.lists, o.probe);
        measure(o, dir);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_bigproject: %s\n", e.what());
        return 1;
    }
    return 0;
}
