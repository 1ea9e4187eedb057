// A prepared SQL statement that throws lookalike::Error (naming the database file) instead of
// returning false, so no failed write goes unnoticed. Engine-internal: only core/project uses it.
#pragma once

#include <QSqlQuery>
#include <QVariant>

#include <cstdint>
#include <string>

namespace lookalike {

class Sql {
public:
    Sql(QSqlDatabase &db, const std::string &file, const QString &statement);

    Sql &bind(const QVariant &value);
    Sql &bind(const std::string &value) { return bind(QVariant(QString::fromStdString(value))); }
    Sql &bind(std::int64_t value) { return bind(QVariant(static_cast<qlonglong>(value))); }
    Sql &exec(); // clears the bindings for the next exec() with new values
    bool next() { return m_query.next(); }
    QVariant value(int column) const { return m_query.value(column); }
    std::int64_t int64(int column) const { return m_query.value(column).toLongLong(); }
    std::string text(int column) const { return m_query.value(column).toString().toStdString(); }
    std::int64_t lastInsertId() const { return m_query.lastInsertId().toLongLong(); }
    int rowsAffected() const { return m_query.numRowsAffected(); }
    // Done with the rows: SQLite cannot commit while an INSERT ... RETURNING is still stepping.
    void finish() { m_query.finish(); }

private:
    QSqlQuery m_query;
    std::string m_file;
    int m_bound = 0;
};

// Throws Error(DatabaseLocked) for SQLITE_BUSY/LOCKED and PostgreSQL's lock timeouts and
// deadlocks, Error(DatabaseError) otherwise (a lost PostgreSQL connection says so).
[[noreturn]] void throwSqlError(const QSqlError &error, const std::string &file, const std::string &doing);

// One statement with no parameters and no result rows.
void execSql(QSqlDatabase &db, const std::string &file, const QString &statement);

std::string nowIso8601();

} // namespace lookalike
