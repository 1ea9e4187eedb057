// One open project as the GUI sees it: the query set, each version's frozen lists with the
// catalog items behind them, the rater's grading (saved before anything on screen changes),
// undo/redo, and the live metrics. The widgets and item models talk to this object only; it
// talks to the engine (core/project), and no exception leaves it: failures become
// errorOccurred() with a one-line message, and the call reports false.
#pragma once

#include "core/metrics/Comparison.h"
#include "core/metrics/MetricKind.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"
#include "core/project/RaterAgreement.h"
#include "core/project/RaterBoard.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QString>

class QTimer;

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace lookalike::ui {

// One card of a result list.
struct Candidate {
    int rank = 0;
    std::int64_t itemId = 0;
    float score = 0;
    QString key;
    QString title;
    QString category;
    QString image;
    std::optional<int> grade; // the grade the metrics use (any rater, by the project's rule)
    std::optional<int> ownGrade; // this rater's grade
    bool sameImage = false; // the same image file, or the same bytes, as the query's
    bool nearIdentical = false; // cosine >= kNearIdenticalCosine
    QString sameSeller; // the attribute (seller, shop, listing...) it shares with the query, if any
};

// One changed pair, as every view needs it: its grades after the change, so no listener has to
// read them back. `own`: this rater's grade, undo or redo, saved before the signal; otherwise
// another rater's grade that the poll brought in.
struct JudgmentChange {
    qint64 query = 0;
    qint64 candidate = 0;
    std::optional<int> grade;    // the grade the metrics use now (the project's rule)
    std::optional<int> ownGrade; // this rater's grade now
    bool own = false;
};

// Cosine from which a candidate is flagged as a near-duplicate of its query.
inline constexpr float kNearIdenticalCosine = 0.995f;

// The running mean of nDCG@5 per version after each grade of this session.
struct MeanPoint {
    int grades = 0; // grades given in this session so far
    std::map<std::int64_t, double> ndcg5; // model id -> mean nDCG@5 (models with a mean)
};

class ReviewSession : public QObject {
    Q_OBJECT
public:
    // Opens the project folder (throws lookalike::Error naming the folder if it cannot).
    ReviewSession(const QString &folder, const QString &rater, QObject *parent = nullptr);
    ~ReviewSession() override;

    QString folder() const { return m_folder; }
    QString rater() const { return m_rater; }
    // The project could not be opened for writing: everything shows, grades are refused.
    bool readOnly() const { return m_project->readOnly(); }
    const GradeScale &scale() const { return m_scale; }
    const std::vector<ModelVersion> &models() const { return m_engine->models(); }
    const ModelVersion *model(std::int64_t id) const;
    // How a view names a version: its name, or "version N" (N = side) when blind or unknown.
    QString versionLabel(std::int64_t modelId, int side, bool blind) const;
    // The query set. Only ids and categories are held (a few bytes per query): items are read
    // when a view shows them, so a project with 100,000 queries opens as fast as one with 100.
    const std::vector<std::int64_t> &queryIds() const { return m_queryIds; } // by item id
    int queryCount() const { return static_cast<int>(m_queryIds.size()); }
    int queryRow(std::int64_t queryItemId) const; // index in queryIds(); -1 if not a query
    QString queryCategory(std::int64_t queryItemId) const; // "" if none or not a query
    std::optional<Item> queryItem(std::int64_t queryItemId) const; // nothing if not a query or on error
    QStringList categories() const; // of the queries, sorted

    using QueryOrder = Project::QueryOrder;
    // The queries whose title or id contains `text` (empty: all) in `category` (nothing: any),
    // in the given order; read from the database, no items loaded. Empty after errorOccurred().
    std::vector<std::int64_t> findQueries(const QString &text, const std::optional<QString> &category,
        QueryOrder order = QueryOrder::ById, bool descending = false) const;
    // The version's frozen list for the query, with items and grades (empty if none).
    std::vector<Candidate> candidates(std::int64_t queryItemId, std::int64_t modelId) const;
    // The grade the metrics use and this rater's own grade of one pair (nothing: ungraded).
    std::pair<std::optional<int>, std::optional<int>> gradesOf(
        std::int64_t queryItemId, std::int64_t candidateItemId) const;
    // How many of the top k of the version's list have a grade, and the list's length up to k.
    std::pair<int, int> judgedCount(std::int64_t queryItemId, std::int64_t modelId, int k = 5) const;
    // Per-query metrics, if the query enters the version's mean.
    const QueryMetrics *queryMetrics(std::int64_t queryItemId, std::int64_t modelId) const;
    const ModelMetrics &metrics(std::int64_t modelId) const { return m_engine->metrics(modelId); }
    // B against A on the queries both evaluate, as `eval` compares them but with the live
    // panel's statistics (ComparisonOptions::live(): normal interval, no test).
    PairedComparison compare(std::int64_t modelA, std::int64_t modelB, Metric metric) const
    {
        return m_engine->compare(modelA, modelB, metric, ComparisonOptions::live());
    }
    const std::vector<MeanPoint> &runningMean() const { return m_running; }

    // The judging planner of B against A on nDCG@5 (core/project/JudgingPlanner.h). Built on
    // first use for that pair on a worker thread with a connection of its own (about 0.5 s for
    // 10,000 queries: the window stays responsive), then kept up to date with every grade, ours
    // and other raters', those given while it was built included. The next `n` pairs to judge,
    // most informative first; nothing while it is being built (planReady() follows, or
    // errorOccurred()); empty after errorOccurred(), or when nothing can change the comparison.
    std::optional<std::vector<PlannedPair>> plannedPairs(std::int64_t modelA, std::int64_t modelB, std::size_t n);
    // Its one-line status with these names ("settled after 312 of 2,150 pairs: ..."), "building
    // the plan ..." while it is built, or empty when no planner was asked for that pair.
    QString planStatus(std::int64_t modelA, std::int64_t modelB, const QString &nameA, const QString &nameB) const;
    // How much is still unknown about a query's difference under the current planner (the
    // width of its bounds); nothing before a planner is built.
    std::optional<double> informationLeft(std::int64_t queryItemId) const;

    // Grading as this rater. Each returns after the change is committed to the database (or
    // false after errorOccurred()). Undo and redo revert / re-apply this rater's latest change.
    bool grade(std::int64_t queryItemId, std::int64_t candidateItemId, std::optional<int> grade);
    bool undo();
    bool redo();

    // Catalog items by id, in the order given (empty after errorOccurred()).
    std::vector<Item> items(const std::vector<std::int64_t> &ids) const;
    // Adds a catalog item to the query set and freezes its lists for every version that has an
    // index (false after errorOccurred(), or if it already is a query). queriesChanged() follows.
    bool addQuery(std::int64_t itemId);

    // What the embedding map needs of a version: a seeded sample of at most `limit` of its
    // embedded items (rows of its normalized .npy file; all of them when there are that few,
    // with the query items first in line), that file, and each item's category. False with
    // `unavailable` saying why; a failure other than a version without embeddings (an imported
    // run) is also reported through errorOccurred().
    struct MapSource {
        std::int64_t total = 0; // embedded items of the version (sampled or not)
        std::vector<std::int64_t> rows; // sampled rows of the file, ascending
        std::vector<std::int64_t> itemIds; // per row above
        QString embeddingsFile;
        std::vector<QString> categories; // per row above
        QString unavailable; // when false: why there is nothing to map
    };
    bool mapSource(std::int64_t modelId, std::int64_t limit, MapSource *out) const;
    // The 2-d map of such a sample, on a worker thread: the sampled rows are read from the
    // embeddings file, then PCA, or t-SNE reporting each iteration to `done` and stopping when
    // `cancelled` is set. Owns copies of what it needs: the session may close before it ends.
    struct MapOutcome {
        std::vector<float> xy; // n x 2
        std::vector<qint64> itemIds;
        std::vector<QString> categories;
        QString error;
    };
    static int tsneIterations();           // the progress of a t-SNE map runs to this
    static std::int64_t maxTsnePoints();   // t-SNE is O(n^2): at most this many points
    QFuture<MapOutcome> computeMap(const MapSource &source, bool tsne, std::shared_ptr<std::atomic<bool>> cancelled,
                                   std::shared_ptr<std::atomic<int>> done) const;

    // Free-form search of the catalog under a version, on a worker thread: a text through the
    // SigLIP text tower, or an image file through the version's encoder. The future holds the
    // k nearest items (id, score) or the error. A version's searcher (its index, then its model)
    // is loaded on first use and kept; searches of one version run one at a time.
    struct SearchOutcome {
        std::vector<std::pair<qint64, float>> hits;
        QString error;
    };
    QFuture<SearchOutcome> searchCatalog(const QString &version, bool byText, const QString &input, int k);

    // Agreement between the raters (weighted kappa per pair, Krippendorff's alpha, disagreements).
    AgreementReport agreement() const;

    // Many raters on one judgment database (see RaterBoard): everyone's progress; this rater's
    // heartbeat, the query they are on now; and other raters' new grades: pollOthers()
    // recomputes the metrics of the queries they changed and emits judgmentChanged() for each
    // changed pair, returning their number. These run on a timer or in passing, so a failure
    // does not emit errorOccurred(): it goes to `error` (progress: empty, poll: -1, heartbeat:
    // false; the heartbeat is best-effort and skipped if the database is busy).
    //
    // The session's own timer (startPolling(); the main window starts it) runs poll() every
    // kPollMs: the settings are re-read (a rule changed with `lookalike settings` applies), other
    // raters' grades come in, and othersPolled() tells the raters dock to redraw.
    static constexpr int kPollMs = 2000;
    void startPolling(int intervalMs = kPollMs);
    void poll();
    std::vector<RaterStatus> raterProgress(QString *error = nullptr) const;
    // The queries `lookalike assign` gave this rater (by item id); empty if none or on error.
    std::vector<std::int64_t> assignedQueries() const;
    bool setCurrentQuery(std::int64_t queryItemId);
    int pollOthers(QString *error = nullptr);

    // Exports (false after errorOccurred()).
    bool exportTrecFiles(const QString &folder, QString *summary = nullptr);
    // The evaluation report (core/report/EvaluationReport.h) of every version, in the project's
    // order, blind when the review is.
    bool exportReport(const QString &file, bool blind, QString *summary = nullptr);

Q_SIGNALS:
    // A grade of a pair changed (this rater's, saved; or another's, polled); the metrics of its
    // query are already recomputed.
    void judgmentChanged(const lookalike::ui::JudgmentChange &change);
    // poll() ran; `error` is empty, or why other raters could not be read (the server is down).
    void othersPolled(const QString &error);
    void errorOccurred(const QString &message);
    // The query set changed (rows added), or the rule or scale behind every grade (a setting
    // changed elsewhere, seen by poll()): views that list queries, grades or metrics reload.
    void queriesChanged();
    // A judging planner was built (or dropped): what it says of every query changed.
    void planChanged();
    // The planner plannedPairs() was building is ready: asked again, it answers.
    void planReady();

private:
    bool afterChange(const std::optional<JudgmentEvent> &event);
    JudgmentChange changeOf(qint64 query, qint64 candidate, bool own) const;
    void recordMean();
    void loadQueries();

    QString m_folder;
    QString m_rater;
    std::unique_ptr<Project> m_project;
    std::unique_ptr<JudgmentStore> m_store;
    std::unique_ptr<EvaluationEngine> m_engine;
    std::shared_ptr<JudgingPlanner> m_planner;
    void updatePlanner(std::int64_t query);
    void dropPlanner(); // the query set or the grades' meaning changed: built again when asked
    struct PlanOutcome {
        std::shared_ptr<JudgingPlanner> planner;
        QString error;
        int generation = 0;
    };
    void planBuilt();
    QFutureWatcher<PlanOutcome> *m_planWatcher = nullptr;
    std::optional<std::pair<std::int64_t, std::int64_t>> m_planBuilding; // (A, B) in the works
    std::set<std::int64_t> m_gradedWhileBuilding; // queries to bring up to date when it lands
    int m_planGeneration = 0;                     // a dropped build's result is not taken
    std::unique_ptr<RaterBoard> m_board;
    std::optional<std::pair<std::int64_t, std::int64_t>> m_seenEvents; // RaterBoard::eventStamp() last polled
    GradeScale m_scale;
    std::vector<std::int64_t> m_queryIds; // sorted
    std::vector<int> m_queryCategory;     // per query: index into m_categoryNames
    QStringList m_categoryNames;          // sorted
    std::vector<MeanPoint> m_running;
    int m_grades = 0;
    struct Searcher; // a version's CatalogSearch, loaded on first use, and its lock
    std::map<QString, std::shared_ptr<Searcher>> m_searchers;
    QTimer *m_pollTimer = nullptr;
};

} // namespace lookalike::ui

Q_DECLARE_METATYPE(lookalike::ui::JudgmentChange)
