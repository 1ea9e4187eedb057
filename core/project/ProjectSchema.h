// The schema of a project's lookalike.db and its migrations. The version lives in SQLite's
// PRAGMA user_version; every migration from version 0 (an empty file) is kept, in order, so
// any older project opens in a newer Lookalike.
#pragma once

#include <string>

class QSqlDatabase;

namespace lookalike {

int latestSchemaVersion();
// The schema version recorded in the file (PRAGMA user_version); throws naming a file that is
// not a database.
int projectSchemaVersion(QSqlDatabase &db, const std::string &file);

// Brings `db` to the latest schema, one transaction per migration. Throws lookalike::Error
// naming `file` if the database is newer than this program or a migration fails.
void migrateProjectSchema(QSqlDatabase &db, const std::string &file);

} // namespace lookalike
