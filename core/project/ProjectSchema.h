// The schema of a project's lookalike.db and its migrations. The version lives in SQLite's
// PRAGMA user_version; every migration from version 0 (an empty file) is kept, in order, so
// any older project opens in a newer Lookalike.
#pragma once

#include <string>

class QSqlDatabase;

namespace lookalike {

int latestSchemaVersion();
// The oldest schema this program can read without migrating it (what a read-only project
// needs): the migrations after it only relax constraints or add what older files cannot hold.
int oldestReadableSchemaVersion();
// The schema version recorded in the file (PRAGMA user_version); throws naming a file that is
// not a database.
int projectSchemaVersion(QSqlDatabase &db, const std::string &file);

// Brings `db` to the latest schema (or to `upTo`, for the tests of a migration), one transaction
// per migration. Throws lookalike::Error naming `file` if the database is newer than this
// program or a migration fails.
void migrateProjectSchema(QSqlDatabase &db, const std::string &file, int upTo = 0);

} // namespace lookalike
