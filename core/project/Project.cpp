// Opening, creating and migrating a project; the catalog and the query set.
#include "core/project/Project.h"

#include "core/Error.h"
#include "core/project/JudgmentDatabase.h"
#include "core/project/ProjectSchema.h"
#include "core/project/Sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QUrl>

#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>

namespace lookalike {

std::optional<std::string> itemField(const Item &item, const std::string &field)
{
    if (field == "category")
        return item.category;
    if (field == "title")
        return item.title;
    if (field == "url")
        return item.url;
    for (const auto &[name, value] : item.attributes)
        if (name == field)
            return value;
    return std::nullopt;
}

namespace fs = std::filesystem;

namespace {

std::string attributesJson(const std::vector<std::pair<std::string, std::string>> &attributes)
{
    QJsonArray pairs; // an array of [name, value] keeps the manifest's column order
    for (const auto &[k, v] : attributes)
        pairs.append(QJsonArray{QString::fromStdString(k), QString::fromStdString(v)});
    return QJsonDocument(pairs).toJson(QJsonDocument::Compact).toStdString();
}

std::vector<std::pair<std::string, std::string>> parseAttributes(const QString &json)
{
    std::vector<std::pair<std::string, std::string>> out;
    for (const QJsonValue &pair : QJsonDocument::fromJson(json.toUtf8()).array())
        out.emplace_back(pair.toArray().at(0).toString().toStdString(), pair.toArray().at(1).toString().toStdString());
    return out;
}

constexpr const char *kItemColumns = "id, item_key, image, title, category, url, attributes";

Item itemFromRow(const Sql &q)
{
    Item item;
    item.id = q.int64(0);
    item.key = q.text(1);
    item.image = q.text(2);
    item.title = q.text(3);
    item.category = q.text(4);
    item.url = q.text(5);
    item.attributes = parseAttributes(q.value(6).toString());
    return item;
}

} // namespace

struct Project::Impl {
    fs::path folder;
    std::string file;
    QString connection;
    mutable QSqlDatabase db;
    mutable std::unique_ptr<JudgmentDatabase> judgments; // opened on first use
    mutable std::optional<ProjectSettings> settings;      // read on first use
    bool readOnly = false;                                // opened without write access

    ~Impl()
    {
        judgments.reset(); // closes the PostgreSQL connection before the project's
        if (db.isValid()) {
            db.close();
            db = QSqlDatabase(); // drop our handle before removing the connection
            QSqlDatabase::removeDatabase(connection);
        }
    }
};

Project::Project(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
Project::Project(Project &&) noexcept = default;
Project &Project::operator=(Project &&) noexcept = default;
Project::~Project() = default;

std::unique_ptr<Project::Impl> Project::connect(const fs::path &folder, bool readOnly)
{
    static std::atomic<int> counter{0};
    auto impl = std::make_unique<Project::Impl>();
    impl->folder = fs::absolute(folder).lexically_normal();
    impl->file = (impl->folder / Project::kDatabaseFile).string();
    impl->readOnly = readOnly;
    impl->connection = QStringLiteral("lookalike-project-%1").arg(++counter);
    impl->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), impl->connection);
    if (!impl->db.isValid())
        throw Error(ErrorCode::DatabaseError, impl->file, "the Qt SQLite driver (libqt6sql6-sqlite) is not installed");
    // Wait up to 5 s for another rater's write instead of failing at once.
    QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000");
    QString name = QString::fromStdString(impl->file);
    if (readOnly) {
        // Another user's project or a mounted archive. A WAL database needs its -shm file to be
        // read; when no -wal file exists nothing is pending in one, and immutable=1 reads the
        // database file alone. With a -wal file (written elsewhere, not checkpointed), SQLite
        // must read it: a plain read-only open.
        options += QStringLiteral(";QSQLITE_OPEN_READONLY");
        if (!fs::exists(impl->file + "-wal")) {
            options += QStringLiteral(";QSQLITE_OPEN_URI");
            name = QStringLiteral("file:") + QString::fromUtf8(QUrl::toPercentEncoding(name, "/")) + QStringLiteral("?immutable=1");
        }
    }
    impl->db.setDatabaseName(name);
    impl->db.setConnectOptions(options);
    if (!impl->db.open())
        throwSqlError(impl->db.lastError(), impl->file, "opening the database");
    if (!readOnly) {
        // WAL: readers never block the writer; FULL: a committed write survives a crash.
        execSql(impl->db, impl->file, QStringLiteral("PRAGMA journal_mode=WAL"));
        execSql(impl->db, impl->file, QStringLiteral("PRAGMA synchronous=FULL"));
    }
    execSql(impl->db, impl->file, QStringLiteral("PRAGMA foreign_keys=ON"));
    return impl;
}

bool Project::exists(const fs::path &folder)
{
    return fs::is_regular_file(folder / kDatabaseFile);
}

Project Project::create(const fs::path &folder)
{
    if (exists(folder))
        throw Error(ErrorCode::InvalidArgument, folder.string(), "a Lookalike project already exists here");
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec)
        throw Error(ErrorCode::FileUnreadable, folder.string(), "cannot create the project folder: " + ec.message());
    Project project(connect(folder, false));
    migrateProjectSchema(project.d->db, project.d->file);
    project.setSetting("created_at", nowIso8601());
    return project;
}

Project Project::open(const fs::path &folder)
{
    if (!exists(folder))
        throw Error(ErrorCode::NotFound, folder.string(),
                    "no Lookalike project here (lookalike.db is missing); create one with `lookalike init`");
    const fs::path file = folder / kDatabaseFile;
    std::error_code ec;
    if (fs::file_size(file, ec) == 0 && !ec) // SQLite would silently make it a new, empty database
        throw Error(ErrorCode::DatabaseError, file.string(),
                    "not a Lookalike project (an empty database file); restore it from a backup, or remove it and "
                    "run `lookalike init`");
    // Writable if both the file and its folder are (SQLite writes -wal and -shm beside it).
    const bool readOnly = ::access(file.c_str(), W_OK) != 0 || ::access(folder.c_str(), W_OK) != 0;
    Project project(connect(folder, readOnly));
    if (readOnly) {
        const int schema = projectSchemaVersion(project.d->db, project.d->file);
        if (schema < oldestReadableSchemaVersion())
            throw Error(ErrorCode::DatabaseError, project.d->file,
                        "the project is read-only and was written by an older Lookalike; open it once where it can "
                        "be written, so that it is upgraded");
        if (schema < latestSchemaVersion())
            return project; // readable as it is; it is upgraded where it can be written
    }
    migrateProjectSchema(project.d->db, project.d->file); // read-only: nothing to do, or a newer schema refused
    return project;
}

bool Project::readOnly() const
{
    return d->readOnly;
}

const fs::path &Project::folder() const
{
    return d->folder;
}

fs::path Project::databaseFile() const
{
    return d->file;
}

QSqlDatabase &Project::database() const
{
    return d->db;
}

void Project::beginTransaction()
{
    // IMMEDIATE takes the write lock up front. A deferred transaction that reads first and then
    // writes would get SQLITE_BUSY at once, without waiting, when another rater is writing.
    execSql(d->db, d->file, QStringLiteral("BEGIN IMMEDIATE"));
}

void Project::commitTransaction()
{
    execSql(d->db, d->file, QStringLiteral("COMMIT"));
}

void Project::rollbackTransaction()
{
    QSqlQuery(d->db).exec(QStringLiteral("ROLLBACK"));
    d->settings.reset(); // a setting written in the transaction is gone again
}

CatalogImportReport Project::importCatalog(const fs::path &manifest, const ManifestOptions &options)
{
    const ManifestReadResult read = readCatalogManifest(manifest, options);
    CatalogImportReport report;
    report.accepted = static_cast<std::int64_t>(read.rows.size());
    report.rejected = static_cast<std::int64_t>(read.rejected.size());

    // The new rejected-rows report is written beside the old one and swapped in just before the
    // commit (the old one is put back if the commit fails), so an import that throws leaves the
    // project as it was: catalog, import log and report.
    const fs::path reportFile = d->folder / "rejected-rows.csv";
    const fs::path newReport = d->folder / "rejected-rows.csv.new", oldReport = d->folder / "rejected-rows.csv.old";
    std::error_code ec;
    fs::remove(newReport, ec);
    fs::remove(oldReport, ec);
    if (!read.rejected.empty()) {
        if (!writeRejectedRowsReport(newReport, read.rejected)) {
            fs::remove(newReport, ec);
            throw Error(ErrorCode::FileUnreadable, reportFile.string(), "cannot write the rejected-rows report");
        }
        report.rejectedReport = reportFile;
    }
    bool oldMoved = false, newMoved = false;
    auto swapReports = [&] {
        auto move = [&](const fs::path &from, const fs::path &to) {
            fs::rename(from, to, ec);
            if (ec)
                throw Error(ErrorCode::FileUnreadable, to.string(),
                            "cannot replace the rejected-rows report: " + ec.message());
        };
        if (fs::exists(reportFile)) { // a stale report from an earlier import would mislead
            move(reportFile, oldReport);
            oldMoved = true;
        }
        if (!read.rejected.empty()) {
            move(newReport, reportFile);
            newMoved = true;
        }
    };
    struct RestoreReports { // unless the import commits
        std::function<void()> restore;
        bool committed = false;
        ~RestoreReports()
        {
            if (!committed)
                restore();
        }
    } guard{[&] {
        std::error_code ignored;
        if (newMoved)
            fs::remove(reportFile, ignored);
        if (oldMoved)
            fs::rename(oldReport, reportFile, ignored);
        fs::remove(newReport, ignored);
    }};

    inTransaction([&] {
        struct Stored {
            std::int64_t id;
            std::string image, title, category, url, attributes;
        };
        std::map<std::string, Stored> existing;
        Sql all(d->db, d->file, QStringLiteral("SELECT id, item_key, image, title, category, url, attributes FROM items"));
        for (all.exec(); all.next();)
            existing[all.text(1)] = {all.int64(0), all.text(2), all.text(3), all.text(4), all.text(5), all.text(6)};

        Sql insert(d->db, d->file,
                   QStringLiteral("INSERT INTO items (item_key, image, title, category, url, attributes, manifest_line) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)"));
        Sql update(d->db, d->file,
                   QStringLiteral("UPDATE items SET image = ?, title = ?, category = ?, url = ?, attributes = ?, "
                                  "manifest_line = ? WHERE id = ?"));
        std::set<std::string> seen;
        for (const CatalogRow &row : read.rows) {
            seen.insert(row.id);
            const std::string attrs = attributesJson(row.attributes);
            const auto it = existing.find(row.id);
            if (it == existing.end()) {
                insert.bind(row.id).bind(row.image.string()).bind(row.title).bind(row.category).bind(row.url)
                    .bind(attrs).bind(std::int64_t(row.line)).exec();
                ++report.added;
            } else if (it->second.image != row.image.string() || it->second.title != row.title
                       || it->second.category != row.category || it->second.url != row.url
                       || it->second.attributes != attrs) {
                update.bind(row.image.string()).bind(row.title).bind(row.category).bind(row.url).bind(attrs)
                    .bind(std::int64_t(row.line)).bind(it->second.id).exec();
                ++report.updated;
            } else {
                ++report.unchanged;
            }
        }
        for (const auto &kv : existing)
            if (!seen.count(kv.first))
                ++report.notInManifest;
        Sql log(d->db, d->file,
                QStringLiteral("INSERT INTO catalog_imports (manifest, imported_at, accepted, rejected, added, updated, "
                               "report) VALUES (?, ?, ?, ?, ?, ?, ?)"));
        log.bind(fs::absolute(manifest).lexically_normal().string()).bind(nowIso8601()).bind(report.accepted)
            .bind(report.rejected).bind(report.added).bind(report.updated).bind(report.rejectedReport.string()).exec();
        swapReports(); // last, so that only the COMMIT itself can still fail after it
    });
    guard.committed = true;
    fs::remove(oldReport, ec);
    return report;
}

std::int64_t Project::itemCount() const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT COUNT(*) FROM items"));
    q.exec();
    return q.next() ? q.int64(0) : 0;
}

std::optional<Item> Project::findItem(const std::string &key) const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT %1 FROM items WHERE item_key = ?").arg(QLatin1String(kItemColumns)));
    q.bind(key).exec();
    if (!q.next())
        return std::nullopt;
    return itemFromRow(q);
}

std::map<std::string, std::int64_t> Project::itemIdsByKey() const
{
    std::map<std::string, std::int64_t> byKey;
    Sql q(d->db, d->file, QStringLiteral("SELECT item_key, id FROM items"));
    for (q.exec(); q.next();)
        byKey[q.text(0)] = q.int64(1);
    return byKey;
}

Item Project::requireItem(const std::string &key) const
{
    if (auto found = findItem(key))
        return *found;
    throw Error(ErrorCode::NotFound, d->file, "no catalog item with id '" + key + "'");
}

Item Project::item(std::int64_t id) const
{
    auto found = items({id});
    if (found.empty())
        throw Error(ErrorCode::NotFound, d->file, "no item with internal id " + std::to_string(id));
    return found.front();
}

std::vector<Item> Project::items(const std::vector<std::int64_t> &ids) const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT %1 FROM items WHERE id = ?").arg(QLatin1String(kItemColumns)));
    std::vector<Item> out;
    out.reserve(ids.size());
    for (std::int64_t id : ids) {
        q.bind(id).exec();
        if (q.next())
            out.push_back(itemFromRow(q));
    }
    return out;
}

std::vector<std::pair<std::int64_t, std::string>> Project::itemCategories() const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT id, category FROM items ORDER BY id"));
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (q.exec(); q.next();)
        out.emplace_back(q.int64(0), q.text(1));
    return out;
}

std::vector<std::int64_t> Project::queryItemIds() const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT item_id FROM queries ORDER BY item_id"));
    std::vector<std::int64_t> out;
    for (q.exec(); q.next();)
        out.push_back(q.int64(0));
    return out;
}

std::int64_t Project::queryCount() const
{
    Sql q(d->db, d->file, QStringLiteral("SELECT COUNT(*) FROM queries"));
    q.exec();
    return q.next() ? q.int64(0) : 0;
}

std::vector<std::pair<std::int64_t, std::string>> Project::queryCategories() const
{
    Sql q(d->db, d->file,
          QStringLiteral("SELECT q.item_id, i.category FROM queries q JOIN items i ON i.id = q.item_id ORDER BY q.item_id"));
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (q.exec(); q.next();)
        out.emplace_back(q.int64(0), q.text(1));
    return out;
}

std::vector<std::int64_t> Project::findQueries(const std::string &text, const std::optional<std::string> &category,
                                               QueryOrder order, bool descending) const
{
    QString sql = QStringLiteral("SELECT q.item_id FROM queries q JOIN items i ON i.id = q.item_id WHERE 1");
    if (!text.empty()) // LIKE: case-insensitive for ASCII; the pattern's own % _ \ are escaped
        sql += QStringLiteral(" AND (i.title LIKE ? ESCAPE '\\' OR i.item_key LIKE ? ESCAPE '\\')");
    if (category)
        sql += QStringLiteral(" AND i.category = ?");
    const QString direction = descending ? QStringLiteral(" DESC") : QString();
    switch (order) {
    case QueryOrder::ById:
        sql += QStringLiteral(" ORDER BY q.item_id") + direction;
        break;
    case QueryOrder::ByTitle:
        sql += QStringLiteral(" ORDER BY i.title") + direction + QStringLiteral(", q.item_id");
        break;
    case QueryOrder::ByKey:
        sql += QStringLiteral(" ORDER BY i.item_key") + direction + QStringLiteral(", q.item_id");
        break;
    case QueryOrder::ByCategory:
        sql += QStringLiteral(" ORDER BY i.category") + direction + QStringLiteral(", q.item_id");
        break;
    }
    Sql q(d->db, d->file, sql);
    if (!text.empty()) {
        std::string pattern = "%";
        for (char c : text) {
            if (c == '%' || c == '_' || c == '\\')
                pattern += '\\';
            pattern += c;
        }
        q.bind(pattern + "%").bind(pattern + "%");
    }
    if (category)
        q.bind(*category);
    std::vector<std::int64_t> out;
    for (q.exec(); q.next();)
        out.push_back(q.int64(0));
    return out;
}

std::int64_t Project::addQueries(const std::vector<std::int64_t> &itemIds, const std::string &source)
{
    return inTransaction([&] {
        Sql insert(d->db, d->file,
                   QStringLiteral("INSERT OR IGNORE INTO queries (item_id, source, added_at) VALUES (?, ?, ?)"));
        const std::string now = nowIso8601();
        std::int64_t added = 0;
        for (std::int64_t id : itemIds) {
            insert.bind(id).bind(source).bind(now).exec();
            added += insert.rowsAffected();
        }
        return added;
    });
}

namespace {
constexpr const char *kJudgmentDatabaseKey = "judgment_database";
constexpr const char *kProjectIdKey = "project_id";
} // namespace

std::optional<std::string> Project::judgmentDatabaseUrl() const
{
    auto url = setting(kJudgmentDatabaseKey);
    if (url && url->empty())
        url.reset();
    return url;
}

JudgmentDatabase &Project::judgmentDatabase() const
{
    if (!d->judgments) {
        if (const auto url = judgmentDatabaseUrl()) {
            auto db = JudgmentDatabase::connectPostgres(*url);
            db->claimFor(setting(kProjectIdKey).value_or(""), d->folder.string());
            d->judgments = std::move(db);
        } else {
            d->judgments = std::make_unique<JudgmentDatabase>(d->db, d->file);
        }
    }
    return *d->judgments;
}

void Project::setJudgmentDatabase(const std::string &url)
{
    if (url == judgmentDatabaseUrl().value_or(""))
        return;
    std::unique_ptr<JudgmentDatabase> next;
    if (!url.empty())
        next = JudgmentDatabase::connectPostgres(url); // before anything changes: a bad URL changes nothing
    {
        JudgmentDatabase &current = judgmentDatabase();
        Sql count(current.database(), current.label(), QStringLiteral("SELECT COUNT(*) FROM judgment_events"));
        count.exec();
        count.next();
        if (count.int64(0) > 0)
            throw Error(ErrorCode::InvalidArgument, current.label(),
                        "the project's judgments are kept here (" + std::to_string(count.int64(0))
                            + " events); moving them to another database is not supported, so the judgment database "
                              "can only be chosen before the first grade");
    }
    if (!setting(kProjectIdKey))
        setSetting(kProjectIdKey, QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString());
    if (next)
        next->claimFor(*setting(kProjectIdKey), d->folder.string());
    setSetting(kJudgmentDatabaseKey, url);
    d->judgments = std::move(next); // the SQLite one is made again on first use
}

const ProjectSettings &Project::settings() const
{
    if (!d->settings) {
        std::map<std::string, std::string> stored;
        Sql q(d->db, d->file, QStringLiteral("SELECT key, value FROM settings"));
        for (q.exec(); q.next();)
            stored.emplace(q.text(0), q.text(1));
        d->settings = ProjectSettings::parse(std::move(stored), d->file);
    }
    return *d->settings;
}

void Project::reloadSettings()
{
    d->settings.reset();
}

std::optional<std::string> Project::setting(const std::string &key) const
{
    return settings().value(key);
}

int Project::resultDepth() const
{
    return settings().resultDepth.value_or(kDefaultResultDepth);
}

bool Project::hasResultDepth() const
{
    return settings().resultDepth.has_value();
}

void Project::setResultDepth(int depth)
{
    if (depth < 1)
        throw Error(ErrorCode::InvalidArgument, d->file, "a result depth must be at least 1, not " + std::to_string(depth));
    setSetting(ProjectSettings::kResultDepthKey, std::to_string(depth));
}

void Project::setSetting(const std::string &key, const std::string &value)
{
    std::map<std::string, std::string> next = settings().raw;
    next[key] = value;
    ProjectSettings parsed = ProjectSettings::parse(std::move(next), d->file);
    Sql q(d->db, d->file, QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    q.bind(key).bind(value).exec();
    d->settings = std::move(parsed);
}

} // namespace lookalike
