// Throwing wrappers around QSqlQuery.
#include "core/project/Sql.h"

#include "core/Error.h"

#include <QDateTime>
#include <QSqlError>

#include <sys/statvfs.h>

#include <filesystem>

namespace lookalike {

namespace {

// The folder of a project's database file: what the user knows the project by.
std::string folderOf(const std::string &file)
{
    return std::filesystem::path(file).parent_path().string();
}

// Whether the file system holding `file` has (almost) no space left for this process.
bool deviceFull(const std::string &file)
{
    struct statvfs st {};
    if (::statvfs(folderOf(file).c_str(), &st) != 0)
        return false;
    return static_cast<unsigned long long>(st.f_bavail) * st.f_frsize < 4ull << 20; // under 4 MiB
}

} // namespace

void throwSqlError(const QSqlError &error, const std::string &file, const std::string &doing)
{
    const QString code = error.nativeErrorCode();
    // SQLite's primary result code (the low byte of an extended one); PostgreSQL's are SQLSTATEs.
    bool numeric = false;
    const int primary = code.toInt(&numeric) & 0xff;
    const bool sqlite = numeric && file.size() >= 3 && file.compare(file.size() - 3, 3, ".db") == 0;
    if (sqlite && primary == 8) // SQLITE_READONLY
        throw Error(ErrorCode::DatabaseError, file,
                    "the project " + folderOf(file) + " is read-only (" + doing
                        + "): it can be read, not changed; copy it somewhere writable to change it");
    if (sqlite && (primary == 13 || (primary == 10 && deviceFull(file)))) // SQLITE_FULL, or an I/O error on a full disk
        throw Error(ErrorCode::DatabaseError, file,
                    "no space left on the device holding " + folderOf(file) + " (" + doing
                        + "); nothing of this change was saved, what was saved before is intact");
    if (sqlite && (primary == 26 || primary == 11)) // SQLITE_NOTADB, SQLITE_CORRUPT
        throw Error(ErrorCode::DatabaseError, file,
                    primary == 26 ? "not a Lookalike project: the file is not an SQLite database"
                                  : "the database file is damaged (" + doing + "); restore it from a backup");
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another rater's process holds the write lock longer
    // than the busy timeout.
    if (code == QLatin1String("5") || code == QLatin1String("6"))
        throw Error(ErrorCode::DatabaseLocked, file,
                    "the database is locked by another process (" + doing + "); try again in a moment");
    // PostgreSQL (SQLSTATE): lock_not_available (lock_timeout), deadlock, serialization failure.
    if (code == QLatin1String("55P03") || code == QLatin1String("40P01") || code == QLatin1String("40001"))
        throw Error(ErrorCode::DatabaseLocked, file,
                    "another rater's write held a lock for too long (" + doing + "); try again in a moment");
    // libpq's messages span several lines; an error is one line.
    QString text = error.text().simplified();
    if (text.isEmpty()) // QPSQL after the server dropped the connection, for one
        text = QStringLiteral("no reason given (was the connection to the server lost? reopen the project)");
    if (code.startsWith(QLatin1String("08")) || error.type() == QSqlError::ConnectionError)
        throw Error(ErrorCode::DatabaseError, file, "lost the connection to the database (" + doing + "): " + text.toStdString());
    throw Error(ErrorCode::DatabaseError, file, doing + ": " + text.toStdString());
}

Sql::Sql(QSqlDatabase &db, const std::string &file, const QString &statement)
    : m_query(db)
    , m_file(file)
{
    if (!m_query.prepare(statement))
        throwSqlError(m_query.lastError(), m_file, "preparing \"" + statement.left(60).toStdString() + "\"");
}

Sql &Sql::bind(const QVariant &value)
{
    m_query.bindValue(m_bound++, value);
    return *this;
}

Sql &Sql::exec()
{
    if (!m_query.exec())
        throwSqlError(m_query.lastError(), m_file, "running \"" + m_query.lastQuery().left(60).toStdString() + "\"");
    m_bound = 0;
    return *this;
}

void execSql(QSqlDatabase &db, const std::string &file, const QString &statement)
{
    QSqlQuery q(db);
    if (!q.exec(statement))
        throwSqlError(q.lastError(), file, "running \"" + statement.left(60).toStdString() + "\"");
}

std::string nowIso8601()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString();
}

} // namespace lookalike
