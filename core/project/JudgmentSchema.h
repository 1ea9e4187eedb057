// The judgment tables (raters, judgment_events and its current_judgments view, assignments,
// rater_activity), written once for both places they live: the project's SQLite file
// (ProjectSchema.cpp, migrations 2 and 3) and a shared PostgreSQL database (JudgmentDatabase.cpp,
// its schema 1). The dialects differ only in id types and in the catalog's foreign keys, which
// PostgreSQL cannot have (the catalog stays in the project's SQLite file; item ids are checked
// there before every write).
#pragma once

namespace lookalike {

enum class SqlDialect { Sqlite, Postgres };

enum class JudgmentTables {
    Judgments, // raters, judgment_events, their indexes and the current_judgments view
    Raters,    // assignments and rater_activity (many raters)
};

// The statements, separated by ";\n", as the migrations run them. The SQLite text equals the
// released migrations 2 and 3 (tst_project checks the schema they create).
const char *judgmentTablesSql(SqlDialect dialect, JudgmentTables part);

} // namespace lookalike
