// Migrations of lookalike.db. Append new migrations; never edit a released one.
#include "core/project/ProjectSchema.h"

#include "core/Error.h"
#include "core/project/JudgmentSchema.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <array>

namespace lookalike {

namespace {

struct Migration {
    int version;
    const char *description;
    const char *sql; // statements separated by ";\n"; nullptr: the judgment tables (sqlOf)
    bool rebuildsTables = false; // run with foreign keys off, checked before the commit
    bool readCompatible = false; // a file one version older reads the same (read-only projects)
};

// Version 1: catalog, model versions, embeddings bookkeeping, indexes, query set, frozen lists.
constexpr const char *kVersion1 = R"SQL(
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    item_key TEXT NOT NULL UNIQUE,
    image TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '[]',
    manifest_line INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX items_by_category ON items(category);
CREATE TABLE catalog_imports (
    id INTEGER PRIMARY KEY,
    manifest TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    added INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    report TEXT NOT NULL DEFAULT ''
);
CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('siglip', 'torchscript', 'precomputed')),
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE TABLE embedding_rows (
    model_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    row INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items(id),
    PRIMARY KEY (model_id, row),
    UNIQUE (model_id, item_id)
);
CREATE TABLE embedding_failures (
    model_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id),
    reason TEXT NOT NULL,
    PRIMARY KEY (model_id, item_id)
);
CREATE TABLE neighbour_indexes (
    model_id INTEGER PRIMARY KEY REFERENCES model_versions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    rows INTEGER NOT NULL,
    recall_at_10 REAL,
    built_at TEXT NOT NULL
);
CREATE TABLE queries (
    item_id INTEGER PRIMARY KEY REFERENCES items(id),
    source TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE result_lists (
    model_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    query_item_id INTEGER NOT NULL REFERENCES items(id),
    depth INTEGER NOT NULL,
    index_kind TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    PRIMARY KEY (model_id, query_item_id)
);
CREATE TABLE result_entries (
    model_id INTEGER NOT NULL,
    query_item_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    candidate_item_id INTEGER NOT NULL REFERENCES items(id),
    score REAL NOT NULL,
    PRIMARY KEY (model_id, query_item_id, rank),
    FOREIGN KEY (model_id, query_item_id) REFERENCES result_lists(model_id, query_item_id) ON DELETE CASCADE
)
)SQL";

// Version 2: relevance judgments. judgment_events is the append-only history (who, when, old,
// new); a rater's current grade for a pair is the new_grade of their latest event for it, so it
// can never disagree with the history. Undo and redo are events too.
// Version 3: many raters. assignments: which rater grades which query (lookalike assign);
// rater_activity: the query each rater is on now and when they were last seen (the GUI's
// heartbeat), so raters see each other's progress.
// Both are JudgmentSchema.cpp's text, shared with a PostgreSQL judgment database.

// Version 4: a model version may be an imported run ('run': lists, no embeddings). SQLite cannot
// change a CHECK in place, so the table is rebuilt (the documented 12-step way: foreign keys off
// around the transaction, the copy renamed into place, then foreign_key_check).
constexpr const char *kVersion4 = R"SQL(
CREATE TABLE model_versions_v4 (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('siglip', 'torchscript', 'precomputed', 'run')),
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
INSERT INTO model_versions_v4 (id, name, kind, source, fingerprint, dimension, config, created_at)
    SELECT id, name, kind, source, fingerprint, dimension, config, created_at FROM model_versions;
DROP TABLE model_versions;
ALTER TABLE model_versions_v4 RENAME TO model_versions
)SQL";

constexpr std::array kMigrations{
    Migration{1, "catalog, model versions, embeddings, indexes, queries, frozen result lists", kVersion1},
    Migration{2, "relevance judgments with their history", nullptr}, // JudgmentTables::Judgments
    Migration{3, "rater assignments and activity", nullptr},          // JudgmentTables::Raters
    Migration{4, "model versions imported from result lists", kVersion4, true, true},
};

[[noreturn]] void fail(const std::string &file, const std::string &problem)
{
    throw Error(ErrorCode::DatabaseError, file, problem);
}

int userVersion(QSqlDatabase &db, const std::string &file)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next())
        throwSqlError(q.lastError(), file, "reading the schema version");
    return q.value(0).toInt();
}

const char *sqlOf(const Migration &m)
{
    if (m.sql)
        return m.sql;
    return judgmentTablesSql(SqlDialect::Sqlite, m.version == 2 ? JudgmentTables::Judgments : JudgmentTables::Raters);
}

} // namespace

int projectSchemaVersion(QSqlDatabase &db, const std::string &file)
{
    return userVersion(db, file);
}

int latestSchemaVersion()
{
    return kMigrations.back().version;
}

int oldestReadableSchemaVersion()
{
    int oldest = latestSchemaVersion();
    for (auto m = kMigrations.rbegin(); m != kMigrations.rend() && m->readCompatible; ++m)
        oldest = m->version - 1;
    return oldest;
}

void migrateProjectSchema(QSqlDatabase &db, const std::string &file, int upTo)
{
    if (upTo <= 0)
        upTo = latestSchemaVersion();
    const int current = userVersion(db, file);
    if (current > latestSchemaVersion())
        fail(file, "the project was written by a newer Lookalike (schema " + std::to_string(current)
                       + ", this program knows up to " + std::to_string(latestSchemaVersion()) + ")");
    for (const Migration &m : kMigrations) {
        if (m.version <= current || m.version > upTo)
            continue;
        QSqlQuery q(db);
        // PRAGMA foreign_keys is a no-op inside a transaction: switched off before it, so that
        // dropping the old table does not cascade into the rows that refer to it.
        if (m.rebuildsTables && !q.exec(QStringLiteral("PRAGMA foreign_keys=OFF")))
            fail(file, "cannot switch foreign keys off for migration " + std::to_string(m.version));
        const auto foreignKeysBack = [&] {
            if (m.rebuildsTables)
                QSqlQuery(db).exec(QStringLiteral("PRAGMA foreign_keys=ON"));
        };
        if (!db.transaction()) {
            foreignKeysBack();
            fail(file, "cannot start a transaction: " + db.lastError().text().toStdString());
        }
        const QStringList statements = QString::fromUtf8(sqlOf(m)).split(QStringLiteral(";\n"), Qt::SkipEmptyParts);
        for (const QString &statement : statements) {
            if (statement.trimmed().isEmpty())
                continue;
            if (!q.exec(statement)) {
                const std::string why = q.lastError().text().toStdString();
                db.rollback();
                foreignKeysBack();
                fail(file, "migration to schema " + std::to_string(m.version) + " (" + m.description + ") failed: " + why);
            }
        }
        if (m.rebuildsTables && (!q.exec(QStringLiteral("PRAGMA foreign_key_check")) || q.next())) {
            db.rollback();
            foreignKeysBack();
            fail(file, "migration to schema " + std::to_string(m.version) + " (" + m.description
                           + ") failed: the rebuilt tables break a foreign key");
        }
        if (!q.exec(QStringLiteral("PRAGMA user_version = %1").arg(m.version)) || !db.commit()) {
            db.rollback();
            foreignKeysBack();
            fail(file, "cannot record schema version " + std::to_string(m.version));
        }
        foreignKeysBack();
    }
}

} // namespace lookalike
