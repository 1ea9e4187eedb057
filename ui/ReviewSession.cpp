// The GUI's view of an open project.
#include "ui/ReviewSession.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/analysis/EmbeddingProjection.h"
#include "core/report/EvaluationReport.h"
#include "core/project/AddQueries.h"
#include "core/project/CatalogSearch.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/ModelIndex.h"
#include "core/project/TrecInterchange.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <mutex>
#include <set>

namespace lookalike::ui {

namespace {

// Catalog columns that identify a seller or a listing: a candidate sharing one with its query
// is flagged, since recommending the same seller's copy of the same item is rarely useful.
const char *const kSellerColumns[]
    = {"seller", "seller_id", "shop", "shop_id", "store", "listing", "listing_id", "brand_seller"};

bool sameBytes(const QString &a, const QString &b)
{
    const QFileInfo fa(a), fb(b);
    if (!fa.exists() || !fb.exists() || fa.size() != fb.size())
        return false;
    QFile x(a), y(b);
    if (!x.open(QIODevice::ReadOnly) || !y.open(QIODevice::ReadOnly))
        return false;
    while (!x.atEnd()) {
        if (x.read(1 << 16) != y.read(1 << 16))
            return false;
    }
    return true;
}

} // namespace

ReviewSession::ReviewSession(const QString &folder, const QString &rater, QObject *parent)
    : QObject(parent)
    , m_folder(QDir(folder).absolutePath())
    , m_rater(rater)
{
    m_project = std::make_unique<Project>(Project::open(m_folder.toStdString()));
    m_store = std::make_unique<JudgmentStore>(*m_project);
    m_scale = m_store->gradeScale();
    m_board = std::make_unique<RaterBoard>(*m_project);
    // The stamp before the engine reads the grades: whatever lands in between, poll() brings in.
    m_seenEvents = m_board->eventStamp();
    m_engine = std::make_unique<EvaluationEngine>(*m_project);
    loadQueries();
    recordMean();
    m_planWatcher = new QFutureWatcher<PlanOutcome>(this);
    connect(m_planWatcher, &QFutureWatcherBase::finished, this, &ReviewSession::planBuilt);
}

void ReviewSession::loadQueries()
{
    const auto categories = m_project->queryCategories();
    std::set<std::string> names;
    for (const auto &[id, category] : categories)
        names.insert(category);
    m_categoryNames.clear();
    std::map<std::string, int> indexOf;
    for (const std::string &name : names) {
        indexOf.emplace(name, static_cast<int>(m_categoryNames.size()));
        m_categoryNames << QString::fromStdString(name);
    }
    m_queryIds.clear();
    m_queryCategory.clear();
    m_queryIds.reserve(categories.size());
    m_queryCategory.reserve(categories.size());
    for (const auto &[id, category] : categories) {
        m_queryIds.push_back(id);
        m_queryCategory.push_back(indexOf[category]);
    }
}

QString ReviewSession::queryCategory(std::int64_t queryItemId) const
{
    const int row = queryRow(queryItemId);
    return row < 0 ? QString() : m_categoryNames[m_queryCategory[static_cast<std::size_t>(row)]];
}

std::optional<Item> ReviewSession::queryItem(std::int64_t queryItemId) const
{
    if (queryRow(queryItemId) < 0)
        return std::nullopt;
    std::vector<Item> found = items({queryItemId});
    if (found.empty())
        return std::nullopt;
    return std::move(found.front());
}

std::vector<std::int64_t> ReviewSession::findQueries(const QString &text, const std::optional<QString> &category,
    Project::QueryOrder order, bool descending) const
{
    try {
        return m_project->findQueries(text.toStdString(),
            category ? std::optional<std::string>(category->toStdString()) : std::nullopt, order, descending);
    } catch (const std::exception &e) {
        Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return {};
    }
}

std::vector<Item> ReviewSession::items(const std::vector<std::int64_t> &ids) const
{
    try {
        return m_project->items(ids);
    } catch (const std::exception &e) {
        Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return {};
    }
}

bool ReviewSession::mapSource(std::int64_t modelId, std::int64_t limit, MapSource *out) const
{
    const ModelVersion *version = model(modelId);
    if (!version)
        return false;
    try {
        EmbeddingSample sample = sampleEmbeddedItems(*m_project, *version, limit);
        out->total = sample.total;
        out->rows = std::move(sample.rows);
        out->itemIds = std::move(sample.itemIds);
        out->embeddingsFile = QString::fromStdString(normalizedEmbeddingsFile(*m_project, *version).string());
        out->categories.clear();
        out->categories.reserve(sample.categories.size());
        for (const std::string &category : sample.categories)
            out->categories.push_back(QString::fromStdString(category));
        return true;
    } catch (const Error &e) {
        if (e.code() != ErrorCode::Unsupported)
            Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        out->unavailable = QString::fromStdString(e.problem()); // a version without embeddings: said in place
        return false;
    } catch (const std::exception &e) {
        Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

AgreementReport ReviewSession::agreement() const
{
    try {
        return raterAgreement(*m_store);
    } catch (const std::exception &e) {
        Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return {};
    }
}

bool ReviewSession::addQuery(std::int64_t itemId)
{
    if (queryRow(itemId) >= 0)
        return false;
    try {
        addQueriesAndFreeze(*m_project, {itemId}, "gui"); // at the project's result depth
        m_engine->refreshAll();
        dropPlanner();
        loadQueries();
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
    Q_EMIT queriesChanged();
    return true;
}

ReviewSession::~ReviewSession() = default;

const ModelVersion *ReviewSession::model(std::int64_t id) const
{
    for (const ModelVersion &v : models())
        if (v.id == id)
            return &v;
    return nullptr;
}

QString ReviewSession::versionLabel(std::int64_t modelId, int side, bool blind) const
{
    const ModelVersion *v = model(modelId);
    return blind || !v ? tr("version %1").arg(side) : QString::fromStdString(v->name);
}

int ReviewSession::queryRow(std::int64_t queryItemId) const
{
    const auto it = std::lower_bound(m_queryIds.begin(), m_queryIds.end(), queryItemId);
    return it == m_queryIds.end() || *it != queryItemId ? -1 : static_cast<int>(it - m_queryIds.begin());
}

QStringList ReviewSession::categories() const
{
    return m_categoryNames;
}

std::vector<Candidate> ReviewSession::candidates(std::int64_t queryItemId, std::int64_t modelId) const
{
    const ModelVersion *version = model(modelId);
    if (!version || queryRow(queryItemId) < 0)
        return {};
    try {
        const std::vector<ResultEntry> entries = frozenResultList(*m_project, *version, queryItemId);
        std::vector<std::int64_t> ids;
        for (const ResultEntry &e : entries)
            ids.push_back(e.candidateItemId);
        const std::vector<Item> items = m_project->items(ids);
        const QueryJudgments &resolved = m_engine->judgments(queryItemId);
        std::map<std::int64_t, int> own;
        for (const Judgment &j : m_store->judgments(queryItemId, m_rater.toStdString()))
            own[j.candidateItemId] = j.grade;
        const Item query = m_project->item(queryItemId);
        const QString queryImage = QString::fromStdString(query.image.string());
        std::vector<Candidate> out;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const Item &item = items[i];
            Candidate c;
            c.rank = entries[i].rank;
            c.itemId = item.id;
            c.score = entries[i].score;
            c.key = QString::fromStdString(item.key);
            c.title = QString::fromStdString(item.title);
            c.category = QString::fromStdString(item.category);
            c.image = QString::fromStdString(item.image.string());
            if (const auto g = resolved.find(item.id); g != resolved.end())
                c.grade = g->second;
            if (const auto g = own.find(item.id); g != own.end())
                c.ownGrade = g->second;
            c.sameImage = c.image == queryImage || sameBytes(c.image, queryImage);
            c.nearIdentical = c.score >= kNearIdenticalCosine;
            for (const char *column : kSellerColumns) {
                const QString a = QString::fromStdString(itemField(query, column).value_or(""));
                if (!a.isEmpty() && a == QString::fromStdString(itemField(item, column).value_or(""))) {
                    c.sameSeller = QStringLiteral("%1 %2").arg(QLatin1String(column), a);
                    break;
                }
            }
            out.push_back(std::move(c));
        }
        return out;
    } catch (const std::exception &e) {
        const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return {};
    }
}

std::pair<std::optional<int>, std::optional<int>> ReviewSession::gradesOf(
    std::int64_t queryItemId, std::int64_t candidateItemId) const
{
    std::pair<std::optional<int>, std::optional<int>> out;
    const QueryJudgments &resolved = m_engine->judgments(queryItemId);
    if (const auto g = resolved.find(candidateItemId); g != resolved.end())
        out.first = g->second;
    try {
        for (const Judgment &j : m_store->judgments(queryItemId, m_rater.toStdString()))
            if (j.candidateItemId == candidateItemId)
                out.second = j.grade;
    } catch (const std::exception &e) {
        Q_EMIT const_cast<ReviewSession *>(this)->errorOccurred(QString::fromStdString(oneLineMessage(e)));
    }
    return out;
}

std::pair<int, int> ReviewSession::judgedCount(std::int64_t queryItemId, std::int64_t modelId, int k) const
{
    const QueryJudgments &grades = m_engine->judgments(queryItemId);
    if (grades.empty()) // nothing judged: the list itself need not be read (a sort reads every row's count)
        return {0, std::min(k, m_engine->listLength(modelId, queryItemId))};
    const RankedList &list = m_engine->list(modelId, queryItemId);
    const int n = std::min(k, static_cast<int>(list.size()));
    int judged = 0;
    for (int i = 0; i < n; ++i)
        judged += grades.count(list[static_cast<std::size_t>(i)]) ? 1 : 0;
    return {judged, n};
}

const QueryMetrics *ReviewSession::queryMetrics(std::int64_t queryItemId, std::int64_t modelId) const
{
    try {
        const ModelMetrics &m = m_engine->metrics(modelId);
        const auto it = m.perQuery.find(queryItemId);
        return it == m.perQuery.end() ? nullptr : &it->second;
    } catch (const std::exception &) {
        return nullptr;
    }
}

bool ReviewSession::grade(std::int64_t queryItemId, std::int64_t candidateItemId, std::optional<int> value)
{
    try {
        return afterChange(m_store->grade(queryItemId, candidateItemId, m_rater.toStdString(), value));
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

bool ReviewSession::undo()
{
    try {
        return afterChange(m_store->undo(m_rater.toStdString()));
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

bool ReviewSession::redo()
{
    try {
        return afterChange(m_store->redo(m_rater.toStdString()));
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

void ReviewSession::updatePlanner(std::int64_t query)
{
    if (m_planBuilding)
        m_gradedWhileBuilding.insert(query); // it may have read the grades before this one
    if (m_planner && m_planner->holds(query))
        m_planner->setGrades(query, m_engine->judgments(query)); // the engine's resolved grades
}

void ReviewSession::dropPlanner()
{
    m_planner.reset();
    m_planBuilding.reset();
    m_gradedWhileBuilding.clear();
    ++m_planGeneration;
}

std::optional<std::vector<PlannedPair>> ReviewSession::plannedPairs(std::int64_t modelA, std::int64_t modelB, std::size_t n)
{
    try {
        const ModelVersion *a = model(modelA), *b = model(modelB);
        if (!a || !b || modelA == modelB)
            return std::vector<PlannedPair>{};
        if (m_planner && m_planner->versionA().id == modelA && m_planner->versionB().id == modelB)
            return m_planner->next(n);
        if (m_planBuilding == std::pair{modelA, modelB})
            return std::nullopt;
        // Built on a worker with its own connection: the task owns copies of what it reads.
        m_planner.reset();
        m_planBuilding = std::pair{modelA, modelB};
        m_gradedWhileBuilding.clear();
        m_planWatcher->setFuture(QtConcurrent::run([folder = m_folder.toStdString(), nameA = a->name, nameB = b->name,
                                                    generation = ++m_planGeneration]() -> PlanOutcome {
            PlanOutcome out;
            out.generation = generation;
            try {
                Project project = Project::open(folder);
                out.planner = std::make_shared<JudgingPlanner>(project, nameA, nameB, Metric::Ndcg5);
                out.planner->detachProject();
            } catch (const std::exception &e) {
                out.error = QString::fromStdString(oneLineMessage(e));
            }
            return out;
        }));
        Q_EMIT planChanged(); // the line says it is being built
        return std::nullopt;
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return std::vector<PlannedPair>{};
    }
}

void ReviewSession::planBuilt()
{
    const PlanOutcome out = m_planWatcher->result();
    if (out.generation != m_planGeneration)
        return; // dropped, or another pair asked for, while it was built
    m_planBuilding.reset();
    if (!out.error.isEmpty()) {
        Q_EMIT planChanged();
        Q_EMIT errorOccurred(out.error);
        return;
    }
    m_planner = out.planner;
    for (std::int64_t query : m_gradedWhileBuilding)
        updatePlanner(query);
    m_gradedWhileBuilding.clear();
    Q_EMIT planChanged();
    Q_EMIT planReady();
}

std::optional<double> ReviewSession::informationLeft(std::int64_t queryItemId) const
{
    if (!m_planner || !m_planner->holds(queryItemId))
        return std::nullopt;
    return m_planner->informationLeft(queryItemId);
}

QString ReviewSession::planStatus(std::int64_t modelA, std::int64_t modelB, const QString &nameA, const QString &nameB) const
{
    if (m_planBuilding == std::pair{modelA, modelB})
        return tr("building the plan for %1 queries ...").arg(QLocale(QLocale::English).toString(static_cast<qulonglong>(m_queryIds.size())));
    if (!m_planner || m_planner->versionA().id != modelA || m_planner->versionB().id != modelB)
        return {};
    return QString::fromStdString(
        planStatusLine(m_planner->status(), nameA.toStdString(), nameB.toStdString(), m_planner->metric()));
}

bool ReviewSession::afterChange(const std::optional<JudgmentEvent> &event)
{
    if (!event)
        return false;
    m_engine->refreshQuery(event->queryItemId);
    updatePlanner(event->queryItemId);
    if (m_seenEvents && event->id == m_seenEvents->second + 1) // our own event: not news for pollOthers()
        m_seenEvents = std::make_pair(m_seenEvents->first + 1, event->id);
    ++m_grades;
    recordMean();
    JudgmentChange change = changeOf(event->queryItemId, event->candidateItemId, true);
    change.ownGrade = event->newGrade; // what was just saved; no need to read it back
    Q_EMIT judgmentChanged(change);
    return true;
}

JudgmentChange ReviewSession::changeOf(qint64 query, qint64 candidate, bool own) const
{
    JudgmentChange change;
    change.query = query;
    change.candidate = candidate;
    change.own = own;
    const QueryJudgments &resolved = m_engine->judgments(query);
    if (const auto g = resolved.find(candidate); g != resolved.end())
        change.grade = g->second;
    if (!own) // another rater's: this rater's grade is unchanged unless they graded elsewhere too
        change.ownGrade = gradesOf(query, candidate).second;
    return change;
}

void ReviewSession::startPolling(int intervalMs)
{
    if (!m_pollTimer) {
        m_pollTimer = new QTimer(this);
        connect(m_pollTimer, &QTimer::timeout, this, &ReviewSession::poll);
    }
    m_pollTimer->start(intervalMs);
}

void ReviewSession::poll()
{
    QString error;
    bool rulesChanged = false;
    try {
        // A shared PostgreSQL database whose connection dropped is connected again here, so a
        // rater who waits sees the others again without reopening the project.
        m_project->judgmentDatabase().ensureConnected();
        const ProjectSettings before = m_project->settings();
        m_project->reloadSettings();
        const ProjectSettings &now = m_project->settings();
        rulesChanged = now.rule != before.rule || now.adjudicator != before.adjudicator
            || now.scale.toJson() != before.scale.toJson();
        if (rulesChanged) { // every resolved grade may differ: recompute all, then say so
            m_scale = now.scale;
            m_engine->refreshAll();
            dropPlanner();
            recordMean();
        }
    } catch (const std::exception &e) {
        error = QString::fromStdString(oneLineMessage(e));
    }
    if (error.isEmpty())
        pollOthers(&error);
    if (rulesChanged)
        Q_EMIT queriesChanged();
    Q_EMIT othersPolled(error);
}

void ReviewSession::recordMean()
{
    MeanPoint p;
    p.grades = m_grades;
    for (const ModelVersion &v : models()) {
        const ModelMetrics &m = m_engine->metrics(v.id);
        if (!m.perQuery.empty())
            p.ndcg5[v.id] = m.mean.ndcg5;
    }
    m_running.push_back(std::move(p));
}

bool ReviewSession::exportTrecFiles(const QString &folder, QString *summary)
{
    try {
        const TrecExportReport r = lookalike::exportTrecFiles(*m_project, folder.toStdString(), models());
        QStringList files{QString::fromStdString(r.qrelsFile.filename().string())};
        for (const TrecVersionExport &v : r.versions)
            files << QString::fromStdString(v.runFile.filename().string())
                  << QString::fromStdString(v.qrelsFile.filename().string());
        if (summary)
            *summary = files.join(QStringLiteral(", "));
        return true;
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

bool ReviewSession::exportReport(const QString &file, bool blind, QString *summary)
{
    try {
        ReportOptions options;
        options.blind = blind;
        const ReportSummary r = writeEvaluationReport(*m_project, file.toStdString(), options);
        if (summary)
            *summary = tr("%1 versions, %2 images, %3 KiB").arg(r.versions).arg(r.thumbnails).arg((r.bytes + 1023) / 1024);
        return true;
    } catch (const std::exception &e) {
        Q_EMIT errorOccurred(QString::fromStdString(oneLineMessage(e)));
        return false;
    }
}

std::vector<RaterStatus> ReviewSession::raterProgress(QString *error) const
{
    try {
        return m_board->progress();
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(oneLineMessage(e));
        return {};
    }
}

std::vector<std::int64_t> ReviewSession::assignedQueries() const
{
    try {
        return m_board->assignedQueries(m_rater.toStdString());
    } catch (const std::exception &) {
        return {}; // an unreadable assignment shows every query, which loses nothing
    }
}

bool ReviewSession::setCurrentQuery(std::int64_t queryItemId)
{
    try {
        m_board->setCurrentQuery(m_rater.toStdString(), queryItemId);
        return true;
    } catch (const std::exception &) {
        return false; // best-effort: the next move or grade tries again (and a grade reports)
    }
}

int ReviewSession::pollOthers(QString *error)
{
    try {
        const auto stamp = m_board->eventStamp();
        if (!m_seenEvents || stamp == *m_seenEvents) {
            m_seenEvents = stamp;
            return 0;
        }
        std::int64_t events = 0;
        const auto pairs = m_board->pairsChangedSince(m_seenEvents->second, &events);
        // On PostgreSQL two raters' events can commit out of id order: if more events arrived
        // than have ids above the last seen one, recompute every query's metrics.
        const bool lateEvents = stamp.first - m_seenEvents->first != events;
        m_seenEvents = stamp;
        std::set<std::int64_t> queries;
        if (lateEvents)
            queries.insert(m_queryIds.begin(), m_queryIds.end());
        for (const auto &[query, candidate] : pairs)
            queries.insert(query);
        for (std::int64_t query : queries) {
            m_engine->refreshQuery(query);
            updatePlanner(query);
        }
        for (const auto &[query, candidate] : pairs)
            Q_EMIT judgmentChanged(changeOf(query, candidate, false));
        return static_cast<int>(pairs.size());
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(oneLineMessage(e));
        return -1;
    }
}

struct ReviewSession::Searcher {
    std::mutex lock; // CatalogSearch: one thread at a time
    std::unique_ptr<CatalogSearch> search;
};

QFuture<ReviewSession::SearchOutcome> ReviewSession::searchCatalog(const QString &version, bool byText,
                                                                   const QString &input, int k)
{
    std::shared_ptr<Searcher> &slot = m_searchers[version];
    if (!slot)
        slot = std::make_shared<Searcher>();
    // The task owns copies of everything: the session may close before it ends.
    return QtConcurrent::run([searcher = slot, folder = m_folder.toStdString(), version = version.toStdString(), byText,
                              input = input.toStdString(), k]() -> SearchOutcome {
        SearchOutcome out;
        try {
            const std::lock_guard<std::mutex> hold(searcher->lock);
            if (!searcher->search)
                searcher->search = std::make_unique<CatalogSearch>(folder, version);
            const std::vector<Hit> hits = byText ? searcher->search->byText(input, k) : searcher->search->byImage(input, k);
            for (const Hit &h : hits)
                out.hits.emplace_back(h.itemId, h.score);
        } catch (const std::exception &e) {
            out.error = QString::fromStdString(oneLineMessage(e));
        }
        return out;
    });
}

std::int64_t ReviewSession::maxTsnePoints()
{
    return kMaxTsnePoints;
}

int ReviewSession::tsneIterations()
{
    return TsneOptions{}.iterations;
}

QFuture<ReviewSession::MapOutcome> ReviewSession::computeMap(const MapSource &source, bool tsne,
                                                             std::shared_ptr<std::atomic<bool>> cancelled,
                                                             std::shared_ptr<std::atomic<int>> done) const
{
    return QtConcurrent::run([source, tsne, cancelled, done]() -> MapOutcome {
        MapOutcome out;
        try {
            const FloatMatrix picked = readNpyRows(source.embeddingsFile.toStdString(), source.rows);
            out.itemIds.assign(source.itemIds.begin(), source.itemIds.end());
            out.categories = source.categories;
            const FloatMatrix xy = tsne ? tsneProject(picked, {},
                                                      [cancelled, done](int d, int) {
                                                          done->store(d);
                                                          return !cancelled->load();
                                                      })
                                        : pcaProject(picked, std::min<int>(2, static_cast<int>(picked.cols)));
            out.xy.assign(xy.data.begin(), xy.data.end());
            if (xy.cols == 1) // a 1-d embedding: spread along x only
                for (std::size_t i = out.xy.size(); i-- > 0;)
                    out.xy.insert(out.xy.begin() + static_cast<std::ptrdiff_t>(i + 1), 0.0f);
        } catch (const std::exception &e) {
            out.error = QString::fromStdString(oneLineMessage(e));
        }
        return out;
    });
}

} // namespace lookalike::ui
