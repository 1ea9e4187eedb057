// Project: creation and schema migration, catalog import (counts, idempotence, updates,
// rejected-rows report, strict mode leaving nothing half-imported), a database locked by
// another rater, the query set.
#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/JudgmentSchema.h"
#include "core/project/ProjectSchema.h"
#include "support/RefData.h"
#include "support/ScratchMount.h"
#include "support/TestCatalog.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

#include <unistd.h>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {


fs::path newProjectFolder()
{
    return (testsupport::scratchDir(QStringLiteral("project")) + QStringLiteral("/p")).toStdString();
}

// The whole items table as text, to compare two states of a database.
QString itemsDump(Project &project)
{
    QSqlQuery q(project.database());
    q.exec(QStringLiteral("SELECT id, item_key, image, title, category, url, attributes FROM items ORDER BY id"));
    QString out;
    while (q.next())
        for (int c = 0; c < 7; ++c)
            out += q.value(c).toString() + QLatin1Char(c == 6 ? '\n' : '|');
    return out;
}

void appendLine(const QString &file, const QByteArray &line)
{
    QFile f(file);
    QVERIFY(f.open(QIODevice::Append));
    f.write(line);
}

} // namespace

class TestProject : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void createAndReopen();
    void openWithoutProjectFails();
    void createTwiceFails();
    void migratesAnEmptyDatabaseAndRefusesANewerOne();
    void schema4KeepsEveryRowAndForeignKey();
    void importCountsAndKeepsAttributesInOrder();
    void reimportIsIdempotent();
    void reimportUpdatesChangedRows();
    void rejectedRowsAreReported();
    void strictImportChangesNothing();
    void lockedDatabaseGivesAClearError();
    void briefLockIsWaitedFor();
    void querySetSkipsDuplicates();
    void settingsPersist();
    void settingsAreTypedReadOnceAndChecked();
    void judgmentSchemaIsTheReleasedOne();
    void emptyOrForeignDatabaseIsNamed();
    void readOnlyProjectReadsAndRefusesWrites();
    void fullDiskIsSaidSo();
};

void TestProject::createAndReopen()
{
    const fs::path folder = newProjectFolder();
    {
        Project p = Project::create(folder);
        QVERIFY(fs::exists(folder / "lookalike.db"));
        QCOMPARE(p.itemCount(), 0);
    }
    Project again = Project::open(folder);
    QVERIFY(again.setting("created_at").has_value());
    QSqlQuery q(again.database());
    QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")) && q.next());
    QCOMPARE(q.value(0).toInt(), latestSchemaVersion());
    QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
    QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
}

void TestProject::openWithoutProjectFails()
{
    try {
        Project::open(newProjectFolder());
        QFAIL("opened a folder without a project");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::NotFound);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("lookalike init")));
    }
}

void TestProject::createTwiceFails()
{
    const fs::path folder = newProjectFolder();
    Project::create(folder);
    QVERIFY_THROWS_EXCEPTION(Error, Project::create(folder));
}

void TestProject::migratesAnEmptyDatabaseAndRefusesANewerOne()
{
    // A database at schema 0 (an SQLite file without tables) is brought to the latest schema on
    // open. (A 0-byte file is refused instead: emptyOrForeignDatabaseIsNamed.)
    const fs::path folder = newProjectFolder();
    fs::create_directories(folder);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("schema0"));
        db.setDatabaseName(QString::fromStdString((folder / "lookalike.db").string()));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE scratch (x)")) && q.exec(QStringLiteral("DROP TABLE scratch")));
        q = QSqlQuery();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("schema0"));
    {
        Project p = Project::open(folder);
        QCOMPARE(p.itemCount(), 0); // the items table exists now
        QSqlQuery q(p.database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 999")));
    }
    try {
        Project::open(folder);
        QFAIL("opened a project from the future");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("newer Lookalike")), e.what());
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("lookalike.db")));
    }
}

// Schema 4 rebuilds model_versions (its CHECK now allows 'run'): a schema-3 project keeps its
// versions and every row that refers to them, and the cascade still reaches those rows.
void TestProject::schema4KeepsEveryRowAndForeignKey()
{
    const fs::path folder = newProjectFolder();
    fs::create_directories(folder);
    const QString file = QString::fromStdString((folder / "lookalike.db").string());
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("schema3"));
        db.setDatabaseName(file);
        QVERIFY(db.open());
        migrateProjectSchema(db, file.toStdString(), 3);
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA foreign_keys=ON")));
        for (const QString &sql : {
                 QStringLiteral("INSERT INTO items (id, item_key, image, title) VALUES (1, 'a', 'a.png', 'A'), (2, 'b', 'b.png', 'B')"),
                 QStringLiteral("INSERT INTO model_versions (id, name, kind, source, fingerprint, dimension, created_at) "
                                "VALUES (7, 'old', 'siglip', '/m', 'f', 4, 'now')"),
                 QStringLiteral("INSERT INTO embedding_rows (model_id, row, item_id) VALUES (7, 0, 1), (7, 1, 2)"),
                 QStringLiteral("INSERT INTO queries (item_id, source, added_at) VALUES (1, 'test', 'now')"),
                 QStringLiteral("INSERT INTO result_lists (model_id, query_item_id, depth, index_kind, frozen_at) VALUES (7, 1, 10, 'exact', 'now')"),
                 QStringLiteral("INSERT INTO result_entries (model_id, query_item_id, rank, candidate_item_id, score) "
                                "VALUES (7, 1, 1, 2, 0.5)")})
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text() + QStringLiteral(": ") + sql));
        QVERIFY(!q.exec(QStringLiteral("INSERT INTO model_versions (name, kind, source, fingerprint, dimension, created_at) "
                                       "VALUES ('r', 'run', '/r', 'f', 0, 'now')"))); // not yet
        q = QSqlQuery();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("schema3"));

    Project p = Project::open(folder);
    QSqlQuery q(p.database());
    QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")) && q.next());
    QCOMPARE(q.value(0).toInt(), latestSchemaVersion());
    QVERIFY(q.exec(QStringLiteral("PRAGMA foreign_keys")) && q.next());
    QCOMPARE(q.value(0).toInt(), 1); // back on after the rebuild
    const auto count = [&](const QString &table) {
        QSqlQuery c(p.database());
        return c.exec(QStringLiteral("SELECT COUNT(*) FROM ") + table) && c.next() ? c.value(0).toInt() : -1;
    };
    QCOMPARE(count(QStringLiteral("model_versions")), 1);
    QCOMPARE(count(QStringLiteral("embedding_rows")), 2);
    QCOMPARE(count(QStringLiteral("result_entries")), 1);
    QVERIFY2(q.exec(QStringLiteral("INSERT INTO model_versions (name, kind, source, fingerprint, dimension, created_at) "
                                   "VALUES ('r', 'run', '/r', 'f', 0, 'now')")),
             qPrintable(q.lastError().text()));
    QVERIFY(!q.exec(QStringLiteral("INSERT INTO model_versions (name, kind, source, fingerprint, dimension, created_at) "
                                   "VALUES ('x', 'other', '/x', 'f', 0, 'now')")));
    // The foreign keys point at the rebuilt table: deleting the version cascades.
    QVERIFY(q.exec(QStringLiteral("DELETE FROM model_versions WHERE id = 7")));
    QCOMPARE(count(QStringLiteral("embedding_rows")), 0);
    QCOMPARE(count(QStringLiteral("result_lists")), 0);
    QCOMPARE(count(QStringLiteral("result_entries")), 0);
    QVERIFY(q.exec(QStringLiteral("PRAGMA foreign_key_check")));
    QVERIFY(!q.next());
}

void TestProject::importCountsAndKeepsAttributesInOrder()
{
    const auto catalog = testsupport::makeTestCatalog({});
    Project p = Project::create(newProjectFolder());
    const auto report = p.importCatalog(catalog.manifest.toStdString(), {});
    QCOMPARE(report.accepted, 30);
    QCOMPARE(report.added, 30);
    QCOMPARE(report.rejected, 0);
    QVERIFY(report.rejectedReport.empty());
    QCOMPARE(p.itemCount(), 30);
    const auto item = p.findItem("green-4");
    QVERIFY(item.has_value());
    QCOMPARE(item->title, std::string("green item 4"));
    QCOMPARE(item->category, std::string("green"));
    QVERIFY(item->image.is_absolute());
    QVERIFY(fs::exists(item->image));
    QCOMPARE(item->attributes.size(), std::size_t(1));
    QCOMPARE(item->attributes[0].first, std::string("seller"));
    QCOMPARE(item->attributes[0].second, std::string("seller-1"));
    QCOMPARE(p.item(item->id).key, std::string("green-4"));
    QVERIFY(!p.findItem("nope").has_value());
}

void TestProject::reimportIsIdempotent()
{
    const auto catalog = testsupport::makeTestCatalog({});
    Project p = Project::create(newProjectFolder());
    p.importCatalog(catalog.manifest.toStdString(), {});
    const QString before = itemsDump(p);
    const auto again = p.importCatalog(catalog.manifest.toStdString(), {});
    QCOMPARE(again.added, 0);
    QCOMPARE(again.updated, 0);
    QCOMPARE(again.unchanged, 30);
    QCOMPARE(itemsDump(p), before);
}

void TestProject::reimportUpdatesChangedRows()
{
    const auto catalog = testsupport::makeTestCatalog({});
    Project p = Project::create(newProjectFolder());
    p.importCatalog(catalog.manifest.toStdString(), {});
    const std::int64_t id = p.findItem("red-1")->id;
    // A new manifest: one title changed, one item gone, one item new.
    QByteArray csv = testsupport::readFileBytes(catalog.manifest);
    csv.replace("\"red item 1\"", "\"red item one (renamed)\"");
    csv.replace("blue-9,images/blue-9.ppm,\"blue item 9\",blue,seller-0\n", "");
    csv.append("new-1,images/red-0.ppm,brand new,red,seller-9\n");
    QFile f(catalog.manifest);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(csv);
    f.close();
    const auto report = p.importCatalog(catalog.manifest.toStdString(), {});
    QCOMPARE(report.updated, 1);
    QCOMPARE(report.added, 1);
    QCOMPARE(report.notInManifest, 1);
    QCOMPARE(p.findItem("red-1")->id, id); // same item, same id
    QCOMPARE(p.findItem("red-1")->title, std::string("red item one (renamed)"));
    QVERIFY(p.findItem("blue-9").has_value()); // never deleted: it may have judgments
    QCOMPARE(p.itemCount(), 31);
}

void TestProject::rejectedRowsAreReported()
{
    const auto catalog = testsupport::makeTestCatalog({});
    appendLine(catalog.manifest, "bad-1,images/missing.ppm,no image,red,s\n");
    appendLine(catalog.manifest, "red-2,images/red-2.ppm,duplicate id,red,s\n");
    appendLine(catalog.manifest, "=cmd|' /C calc'!A0,images/missing.ppm,+SUM(A1),red,s\n"); // formula injection
    Project p = Project::create(newProjectFolder());
    const auto report = p.importCatalog(catalog.manifest.toStdString(), {});
    QCOMPARE(report.accepted, 30);
    QCOMPARE(report.rejected, 3);
    QVERIFY(fs::exists(report.rejectedReport));
    const QString text
        = QString::fromUtf8(testsupport::readFileBytes(QString::fromStdString(report.rejectedReport.string())));
    QVERIFY2(text.startsWith(QStringLiteral("line,id,reason")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("bad-1")));
    QVERIFY(text.contains(QStringLiteral("red-2")));
    // The hostile id reaches the report as text a spreadsheet shows, not as a formula it runs.
    QVERIFY2(text.contains(QStringLiteral(",'=cmd|' /C calc'!A0,")), qPrintable(text));
    QVERIFY(!text.contains(QStringLiteral(",=cmd")));
    // A clean re-import removes the stale report.
    QByteArray csv = testsupport::readFileBytes(catalog.manifest);
    csv.truncate(csv.indexOf("bad-1"));
    QFile f(catalog.manifest);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(csv);
    f.close();
    QVERIFY(p.importCatalog(catalog.manifest.toStdString(), {}).rejectedReport.empty());
    QVERIFY(!fs::exists(report.rejectedReport));
}

void TestProject::strictImportChangesNothing()
{
    const auto catalog = testsupport::makeTestCatalog({});
    Project p = Project::create(newProjectFolder());
    p.importCatalog(catalog.manifest.toStdString(), {});
    const QString before = itemsDump(p);
    QByteArray csv = testsupport::readFileBytes(catalog.manifest);
    csv.replace("\"red item 1\"", "\"changed\"");
    csv.append("bad-1,images/missing.ppm,no image,red,s\n");
    QFile f(catalog.manifest);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(csv);
    f.close();
    ManifestOptions strict;
    strict.strict = true;
    try {
        p.importCatalog(catalog.manifest.toStdString(), strict);
        QFAIL("strict import accepted a bad row");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("catalog.csv")), e.what());
    }
    QCOMPARE(itemsDump(p), before); // not even the good changed row
}

void TestProject::lockedDatabaseGivesAClearError()
{
    const auto catalog = testsupport::makeTestCatalog({});
    const fs::path folder = newProjectFolder();
    Project p = Project::create(folder);
    {
        // Another rater's connection holds the write lock for longer than the busy timeout.
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("other-rater"));
        other.setDatabaseName(QString::fromStdString((folder / "lookalike.db").string()));
        QVERIFY(other.open());
        QSqlQuery lock(other);
        QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        try {
            p.importCatalog(catalog.manifest.toStdString(), {});
            QFAIL("wrote through another connection's lock");
        } catch (const Error &e) {
            QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode::DatabaseLocked));
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("locked by another process")), e.what());
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("lookalike.db")));
        }
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
        other.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("other-rater"));
    // Once the lock is gone the same import works: nothing was lost or half-written.
    QCOMPARE(p.importCatalog(catalog.manifest.toStdString(), {}).added, 30);
}

void TestProject::briefLockIsWaitedFor()
{
    // Two raters on one database: a write that meets another's short transaction waits for it.
    const auto catalog = testsupport::makeTestCatalog({});
    const fs::path folder = newProjectFolder();
    Project p = Project::create(folder);
    std::atomic<bool> locked{false};
    std::thread other([&] {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("brief-lock"));
        db.setDatabaseName(QString::fromStdString((folder / "lookalike.db").string()));
        db.open();
        QSqlQuery lock(db);
        lock.exec(QStringLiteral("BEGIN IMMEDIATE"));
        locked = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        lock.exec(QStringLiteral("COMMIT"));
        lock = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("brief-lock"));
    });
    while (!locked)
        std::this_thread::yield();
    const auto report = p.importCatalog(catalog.manifest.toStdString(), {});
    other.join();
    QCOMPARE(report.added, 30);
    QCOMPARE(p.itemCount(), 30);
}

void TestProject::querySetSkipsDuplicates()
{
    const auto catalog = testsupport::makeTestCatalog({});
    Project p = Project::create(newProjectFolder());
    p.importCatalog(catalog.manifest.toStdString(), {});
    const std::int64_t a = p.findItem("red-0")->id, b = p.findItem("blue-3")->id;
    QCOMPARE(p.addQueries({a, b}, "test"), 2);
    QCOMPARE(p.addQueries({b}, "again"), 0);
    QCOMPARE(p.queryItemIds(), (std::vector<std::int64_t>{std::min(a, b), std::max(a, b)}));
    QCOMPARE(p.itemCategories().size(), std::size_t(30));
}

void TestProject::settingsPersist()
{
    const fs::path folder = newProjectFolder();
    {
        Project p = Project::create(folder);
        p.setSetting("result_depth", "10");
        p.setSetting("result_depth", "20");
    }
    QCOMPARE(Project::open(folder).setting("result_depth").value_or(""), std::string("20"));
}

void TestProject::settingsAreTypedReadOnceAndChecked()
{
    const fs::path folder = newProjectFolder();
    Project p = Project::create(folder);
    QVERIFY(!p.settings().resultDepth);
    QCOMPARE(p.resultDepth(), Project::kDefaultResultDepth);
    QCOMPARE(p.settings().rule, ResolutionRule::Latest);
    p.setResultDepth(7);
    QCOMPARE(p.settings().resultDepth, std::optional<int>(7));
    // A value the typed settings cannot hold is refused before it is written.
    for (const char *bad : {"0", "seven", "7x", ""})
        QVERIFY_THROWS_EXCEPTION(Error, p.setSetting(ProjectSettings::kResultDepthKey, bad));
    QVERIFY_THROWS_EXCEPTION(Error, p.setSetting(ProjectSettings::kRuleKey, "loudest"));
    QVERIFY_THROWS_EXCEPTION(Error, p.setSetting(ProjectSettings::kScaleKey, "{}"));
    QCOMPARE(Project::open(folder).resultDepth(), 7);
    // Read once: another process's change is seen after reloadSettings(), not before.
    Project::open(folder).setSetting(ProjectSettings::kRuleKey, "majority");
    QCOMPARE(p.settings().rule, ResolutionRule::Latest);
    p.reloadSettings();
    QCOMPARE(p.settings().rule, ResolutionRule::Majority);
    // A setting written in a transaction that rolls back is gone from the cache too.
    try {
        p.inTransaction([&] {
            p.setResultDepth(9);
            throw std::runtime_error("abandoned");
        });
    } catch (const std::runtime_error &) {
    }
    QCOMPARE(p.resultDepth(), 7);
    // A malformed stored value (written by hand) names the file and the key.
    {
        Project other = Project::open(folder);
        QSqlQuery q(other.database());
        QVERIFY(q.exec(QStringLiteral("UPDATE settings SET value = 'deep' WHERE key = 'result_depth'")));
    }
    p.reloadSettings();
    try {
        (void)p.settings();
        QFAIL("a malformed result_depth was accepted");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("lookalike.db")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("result_depth")), e.what());
    }
}

// A 0-byte lookalike.db is not silently made a new, empty project (its embeddings folder would
// be orphaned), and a file that is not a database is named as such, without SQLite's raw text.
void TestProject::emptyOrForeignDatabaseIsNamed()
{
    const fs::path folder = newProjectFolder();
    fs::create_directories(folder);
    { QFile f(QString::fromStdString((folder / "lookalike.db").string())); QVERIFY(f.open(QIODevice::WriteOnly)); }
    try {
        (void)Project::open(folder);
        QFAIL("an empty database file was opened");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("not a Lookalike project (an empty database file)") != std::string::npos, e.what());
    }
    QCOMPARE(fs::file_size(folder / "lookalike.db"), std::uintmax_t(0)); // left as it was
    { QFile f(QString::fromStdString((folder / "lookalike.db").string())); QVERIFY(f.open(QIODevice::WriteOnly)); f.write(QByteArray(4096, 'x')); }
    try {
        (void)Project::open(folder);
        QFAIL("a file that is not a database was opened");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("not a Lookalike project: the file is not an SQLite database") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("Unable to execute") == std::string::npos, e.what());
    }
}

// Another user's project or a mounted archive: everything reads, a write says "read-only".
void TestProject::readOnlyProjectReadsAndRefusesWrites()
{
    testsupport::ScratchMount mount(QStringLiteral("16m"));
    fs::path folder;
    if (mount.mounted)
        folder = fs::path(mount.dir.toStdString()) / "p";
    else if (::geteuid() != 0)
        folder = newProjectFolder(); // permissions stop a non-root user
    else
        QSKIP("needs root with mount(8), or a non-root user");
    const auto catalog = testsupport::makeTestCatalog({});
    {
        Project p = Project::create(folder);
        p.importCatalog(catalog.manifest.toStdString(), {});
        p.addQueries({p.findItem("red-0")->id}, "test");
        p.setResultDepth(7);
    } // closed: the WAL is checkpointed and removed
    if (mount.mounted)
        QVERIFY(mount.remountReadOnly());
    else
        fs::permissions(folder, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove);
    Project p = Project::open(folder);
    QVERIFY(p.readOnly());
    QCOMPARE(p.itemCount(), 30);
    QCOMPARE(p.queryItemIds().size(), std::size_t(1));
    QCOMPARE(p.resultDepth(), 7);
    try {
        p.setSetting("result_depth", "9");
        QFAIL("a read-only project was written");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("is read-only") != std::string::npos, e.what());
    }
    if (!mount.mounted)
        fs::permissions(folder, fs::perms::owner_write, fs::perm_options::add);
}

// A full disk is said in words, naming the project, instead of "disk I/O error".
void TestProject::fullDiskIsSaidSo()
{
    testsupport::ScratchMount mount(QStringLiteral("2m"));
    if (!mount.mounted)
        QSKIP("needs root with mount(8) for a small file system");
    const fs::path folder = fs::path(mount.dir.toStdString()) / "p";
    Project p = Project::create(folder);
    { // fill the device
        QFile filler(mount.dir + QStringLiteral("/filler"));
        QVERIFY(filler.open(QIODevice::WriteOnly));
        const QByteArray block(64 * 1024, 'x');
        while (filler.write(block) == block.size() && filler.flush()) {
        }
    }
    const auto catalog = testsupport::makeTestCatalog({});
    try {
        p.importCatalog(catalog.manifest.toStdString(), {});
        QFAIL("an import on a full disk succeeded");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("no space left on the device holding " + folder.string())
                     != std::string::npos, e.what());
    }
    QFile::remove(mount.dir + QStringLiteral("/filler"));
    QCOMPARE(p.itemCount(), 0); // nothing half-imported
}

// SHA-256 of the released judgment tables' SQL as SQLite stores it (sqlite_master.sql, by name).
#define RELEASED_JUDGMENT_SCHEMA "25540d7d496946325c47dd6f5fdac5d35294b911eda21c3ce76ae6b8bdbe6b9e"

// Migrations 2 and 3 are released: the judgment tables a new project gets must stay exactly
// what they were (JudgmentSchema.cpp writes them for SQLite and PostgreSQL from one text).
void TestProject::judgmentSchemaIsTheReleasedOne()
{
    const fs::path folder = newProjectFolder();
    Project p = Project::create(folder);
    QSqlQuery q(p.database());
    QVERIFY(q.exec(QStringLiteral("SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE name IN "
                                  "('raters', 'judgment_events', 'judgment_events_by_pair', 'judgment_events_by_rater', "
                                  "'current_judgments', 'assignments', 'rater_activity') ORDER BY name)")));
    QVERIFY(q.next());
    const QByteArray sql = q.value(0).toString().toUtf8();
    QCOMPARE(QCryptographicHash::hash(sql, QCryptographicHash::Sha256).toHex(), QByteArray(RELEASED_JUDGMENT_SCHEMA));
    const QString pg = QString::fromUtf8(judgmentTablesSql(SqlDialect::Postgres, JudgmentTables::Judgments))
        + QString::fromUtf8(judgmentTablesSql(SqlDialect::Postgres, JudgmentTables::Raters));
    QVERIFY(!pg.contains(QStringLiteral("items(id)"))); // the catalog is not in that database
    QVERIFY(!pg.contains(QLatin1Char('@')));            // every placeholder replaced
    QCOMPARE(pg.count(QStringLiteral("GENERATED BY DEFAULT AS IDENTITY")), 2);
}

QTEST_MAIN(TestProject)
#include "tst_project.moc"
