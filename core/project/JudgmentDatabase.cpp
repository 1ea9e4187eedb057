// The judgment database: the project's SQLite file or a shared PostgreSQL database.
#include "core/project/JudgmentDatabase.h"

#include "core/Error.h"
#include "core/project/JudgmentSchema.h"
#include "core/project/Sql.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QStringList>
#include <QUrl>

#include <atomic>

namespace lookalike {

namespace {

// Advisory-lock namespace (first key of the two-key form) of Lookalike's locks.
constexpr int kLockNamespace = 0x4c6b6c; // "Lkl"
constexpr int kSchemaLock = 0;            // second key while migrating
constexpr int kBusyTimeoutMs = 5000;      // SQLite's, as Project sets it (QSQLITE_BUSY_TIMEOUT)

// The PostgreSQL judgment schema, version 1: the tables of the SQLite project's versions 2 and 3
// (JudgmentSchema.h), without the foreign keys into the catalog.
constexpr int kPostgresSchemaVersion = 1;

QStringList postgresSchemaStatements()
{
    QStringList out;
    for (JudgmentTables part : {JudgmentTables::Judgments, JudgmentTables::Raters})
        out += QString::fromUtf8(judgmentTablesSql(SqlDialect::Postgres, part)).split(QStringLiteral(";\n"), Qt::SkipEmptyParts);
    return out;
}

// FNV-1a of the key's bytes: the same in every process (qHash is seeded per process).
std::int32_t lockHash(const std::string &key)
{
    std::uint32_t h = 2166136261u;
    for (unsigned char c : key)
        h = (h ^ c) * 16777619u;
    return static_cast<std::int32_t>(h);
}

std::string decoded(const QString &part)
{
    return QUrl::fromPercentEncoding(part.toUtf8()).toStdString();
}

[[noreturn]] void badUrl(const std::string &url, const std::string &why)
{
    throw Error(ErrorCode::InvalidArgument, url,
                why + " (expected postgresql://user@host[:port]/dbname or postgresql://user@/dbname?host=/socket/dir)");
}

// libpq's message without its "connection to server ... failed:" detail lines.
std::string firstLine(const QString &text)
{
    const QStringList lines = text.trimmed().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QString out = lines.isEmpty() ? QStringLiteral("unknown error") : lines.front().trimmed();
    // Qt prefixes "Unable to connect"/"QPSQL: ..." and libpq repeats the server address.
    for (int i = 1; i < lines.size() && out.endsWith(QLatin1String("failed:")); ++i)
        out += QLatin1Char(' ') + lines[i].trimmed();
    return out.simplified().toStdString();
}

} // namespace

bool PostgresUrl::looksLikeOne(const std::string &text)
{
    return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

PostgresUrl PostgresUrl::parse(const std::string &url)
{
    if (!looksLikeOne(url))
        badUrl(url, "not a PostgreSQL URL");
    QString rest = QString::fromStdString(url.substr(url.find("://") + 3));
    PostgresUrl out;
    QString query;
    if (const qsizetype q = rest.indexOf(QLatin1Char('?')); q >= 0) {
        query = rest.mid(q + 1);
        rest = rest.left(q);
    }
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    if (slash < 0 || slash == rest.size() - 1)
        badUrl(url, "the URL names no database");
    out.database = decoded(rest.mid(slash + 1));
    QString authority = rest.left(slash);
    if (const qsizetype at = authority.lastIndexOf(QLatin1Char('@')); at >= 0) {
        const QString userInfo = authority.left(at);
        authority = authority.mid(at + 1);
        if (userInfo.contains(QLatin1Char(':')))
            badUrl(url, "put the password in PGPASSWORD or ~/.pgpass, not in the URL (the URL is stored in the project)");
        out.user = decoded(userInfo);
    }
    if (const qsizetype colon = authority.lastIndexOf(QLatin1Char(':')); colon >= 0 && !authority.endsWith(QLatin1Char(']'))) {
        bool ok = false;
        out.port = authority.mid(colon + 1).toInt(&ok);
        if (!ok || out.port <= 0 || out.port > 65535)
            badUrl(url, "bad port '" + authority.mid(colon + 1).toStdString() + "'");
        authority = authority.left(colon);
    }
    if (authority.startsWith(QLatin1Char('[')) && authority.endsWith(QLatin1Char(']')))
        authority = authority.mid(1, authority.size() - 2);
    out.host = decoded(authority);
    QStringList options;
    for (const QString &pair : query.split(QLatin1Char('&'), Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        const std::string key = decoded(pair.left(eq));
        const std::string value = eq < 0 ? std::string() : decoded(pair.mid(eq + 1));
        if (key == "host")
            out.host = value;
        else if (key == "port") {
            bool ok = false;
            out.port = QString::fromStdString(value).toInt(&ok);
            if (!ok || out.port <= 0 || out.port > 65535)
                badUrl(url, "bad port '" + value + "'");
        } else if (key == "user")
            out.user = value;
        else if (key == "password")
            badUrl(url, "put the password in PGPASSWORD or ~/.pgpass, not in the URL (the URL is stored in the project)");
        else if (key.empty() || value.find_first_of(";= ") != std::string::npos)
            badUrl(url, "bad parameter '" + pair.toStdString() + "'");
        else
            options << QString::fromStdString(key + "=" + value);
    }
    out.options = options.join(QLatin1Char(';')).toStdString();
    return out;
}

JudgmentDatabase::JudgmentDatabase(QSqlDatabase &projectDb, const std::string &projectFile)
    : m_db(&projectDb)
    , m_label(projectFile)
{
}

JudgmentDatabase::~JudgmentDatabase()
{
    if (m_owned) {
        m_owned->close();
        m_owned.reset(); // drop our handle before removing the connection
        QSqlDatabase::removeDatabase(QString::fromStdString(m_connectionName));
    }
}

QSqlDatabase &JudgmentDatabase::database() const
{
    return *m_db;
}

std::unique_ptr<JudgmentDatabase> JudgmentDatabase::connectPostgres(const std::string &url)
{
    static std::atomic<int> counter{0};
    const PostgresUrl parsed = PostgresUrl::parse(url);
    std::unique_ptr<JudgmentDatabase> j(new JudgmentDatabase());
    j->m_postgres = true;
    j->m_label = url;
    j->m_connectionName = "lookalike-judgments-" + std::to_string(++counter);
    j->m_owned = std::make_unique<QSqlDatabase>(
        QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QString::fromStdString(j->m_connectionName)));
    j->m_db = j->m_owned.get();
    QSqlDatabase &db = *j->m_db;
    if (!db.isValid())
        throw Error(ErrorCode::DatabaseError, url, "the Qt PostgreSQL driver (libqt6sql6-psql) is not installed");
    if (!parsed.host.empty())
        db.setHostName(QString::fromStdString(parsed.host));
    if (parsed.port > 0)
        db.setPort(parsed.port);
    if (!parsed.user.empty())
        db.setUserName(QString::fromStdString(parsed.user));
    db.setDatabaseName(QString::fromStdString(parsed.database));
    // Give up on an unreachable server after 5 s instead of libpq's default of forever.
    QString options = QStringLiteral("connect_timeout=5");
    if (!parsed.options.empty())
        options += QLatin1Char(';') + QString::fromStdString(parsed.options);
    db.setConnectOptions(options);
    if (!db.open()) {
        const std::string why = firstLine(db.lastError().databaseText());
        const bool login = why.find("password") != std::string::npos || why.find("authentication") != std::string::npos;
        throw Error(ErrorCode::DatabaseError, url,
                    "cannot connect to the judgment database: " + why
                        + (login ? " (the password comes from PGPASSWORD or ~/.pgpass)" : ""));
    }
    j->setSessionOptions();
    j->migrate();
    return j;
}

void JudgmentDatabase::setSessionOptions()
{
    // Like SQLite's busy timeout: wait up to 5 s for another writer, then report DatabaseLocked.
    execSql(*m_db, m_label, QStringLiteral("SET lock_timeout = '5s'"));
    execSql(*m_db, m_label, QStringLiteral("SET client_min_messages = warning"));
}

bool JudgmentDatabase::alive()
{
    QSqlQuery q(*m_db);
    return m_db->isOpen() && q.exec(QStringLiteral("SELECT 1"));
}

void JudgmentDatabase::reconnect()
{
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (attempt > 0) // 0.5 s, then 4 s: a restarting server is back within seconds
            QThread::msleep(attempt == 1 ? 500 : 4000);
        m_db->close();
        if (m_db->open()) {
            try {
                setSessionOptions();
                return;
            } catch (const Error &e) {
                why = e.what();
                continue;
            }
        }
        why = firstLine(m_db->lastError().databaseText());
    }
    throw Error(ErrorCode::DatabaseError, m_label,
                "lost the connection to the judgment database and could not connect again after 3 tries: " + why
                    + " (nothing was saved; the change can be made again once the server is back)");
}

void JudgmentDatabase::throwIfConnectionLost(bool committing)
{
    if (!m_postgres || alive())
        return;
    throw Error(ErrorCode::DatabaseError, m_label,
                committing ? std::string("the connection to the judgment database was lost while the change was being "
                                         "committed: it may or may not have been saved (the next refresh shows which; "
                                         "Lookalike connects again by itself)")
                           : std::string("the connection to the judgment database was lost during the change: it was "
                                         "not saved (Lookalike connects again by itself; make it again)"));
}

void JudgmentDatabase::ensureConnected()
{
    if (m_postgres && !alive())
        reconnect();
}

void JudgmentDatabase::migrate()
{
    // One transaction under a lock: several raters opening a fresh database at once create the
    // tables exactly once (PostgreSQL's DDL is transactional).
    QSqlDatabase &db = *m_db;
    execSql(db, m_label, QStringLiteral("BEGIN"));
    try {
        execSql(db, m_label, QStringLiteral("SELECT pg_advisory_xact_lock(%1, %2)").arg(kLockNamespace).arg(kSchemaLock));
        execSql(db, m_label,
                QStringLiteral("CREATE TABLE IF NOT EXISTS lookalike_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
        Sql version(db, m_label, QStringLiteral("SELECT value FROM lookalike_meta WHERE key = 'schema_version'"));
        version.exec();
        const int current = version.next() ? std::stoi(version.text(0)) : 0;
        version.finish();
        if (current > kPostgresSchemaVersion)
            throw Error(ErrorCode::DatabaseError, m_label,
                        "the judgment database was written by a newer Lookalike (schema " + std::to_string(current)
                            + ", this program knows up to " + std::to_string(kPostgresSchemaVersion) + ")");
        if (current < 1) {
            for (const QString &statement : postgresSchemaStatements())
                if (!statement.trimmed().isEmpty())
                    execSql(db, m_label, statement);
            Sql(db, m_label, QStringLiteral("INSERT INTO lookalike_meta (key, value) VALUES ('schema_version', ?) "
                                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"))
                .bind(std::to_string(kPostgresSchemaVersion))
                .exec();
        }
        execSql(db, m_label, QStringLiteral("COMMIT"));
    } catch (...) {
        QSqlQuery(db).exec(QStringLiteral("ROLLBACK"));
        throw;
    }
}

void JudgmentDatabase::claimFor(const std::string &projectId, const std::string &projectFolder)
{
    if (!m_postgres)
        return;
    inTransaction("lookalike_meta", [&] {
        Sql insert(*m_db, m_label, QStringLiteral("INSERT INTO lookalike_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING"));
        insert.bind(std::string("project_id")).bind(projectId).exec();
        insert.bind(std::string("project_folder")).bind(projectFolder).exec();
        Sql q(*m_db, m_label, QStringLiteral("SELECT key, value FROM lookalike_meta WHERE key IN ('project_id', 'project_folder')"));
        std::string id, folder;
        for (q.exec(); q.next();)
            (q.text(0) == "project_id" ? id : folder) = q.text(1);
        if (id != projectId)
            throw Error(ErrorCode::InvalidArgument, m_label,
                        "this database holds the judgments of another project (" + folder
                            + "); give each project a database of its own");
    });
}

std::int64_t JudgmentDatabase::raterId(const std::string &name)
{
    if (name.empty() || name.size() > 100)
        throw Error(ErrorCode::InvalidArgument, {}, "a rater name must have 1 to 100 characters");
    // ON CONFLICT DO NOTHING: both dialects (SQLite >= 3.24); two raters' first grades may race.
    Sql(database(), label(), QStringLiteral("INSERT INTO raters (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING"))
        .bind(name)
        .bind(nowIso8601())
        .exec();
    Sql q(database(), label(), QStringLiteral("SELECT id FROM raters WHERE name = ?"));
    q.bind(name).exec();
    q.next();
    return q.int64(0);
}

void JudgmentDatabase::begin(const std::string &lockKey, int waitMs)
{
    if (!m_postgres) {
        if (waitMs > 0) {
            execSql(*m_db, m_label, QStringLiteral("PRAGMA busy_timeout = %1").arg(waitMs));
            m_shortWait = true;
        }
        // IMMEDIATE takes the write lock up front. A deferred transaction that reads first and
        // then writes would get SQLITE_BUSY at once, without waiting, when another rater writes.
        try {
            execSql(*m_db, m_label, QStringLiteral("BEGIN IMMEDIATE"));
        } catch (...) {
            restoreWait();
            throw;
        }
        return;
    }
    // BEGIN on a dropped connection fails before anything is written: connect again and begin.
    try {
        execSql(*m_db, m_label, QStringLiteral("BEGIN"));
    } catch (const Error &) {
        if (alive())
            throw;
        reconnect();
        execSql(*m_db, m_label, QStringLiteral("BEGIN"));
    }
    try {
        if (waitMs > 0) // until the end of this transaction
            execSql(*m_db, m_label, QStringLiteral("SET LOCAL lock_timeout = '%1ms'").arg(waitMs));
        // A hash collision only makes two raters wait for each other, never breaks anything. An
        // unprepared statement: a prepared one that fails (lock timeout) leaves a statement the
        // aborted transaction cannot deallocate.
        execSql(*m_db, m_label,
                QStringLiteral("SELECT pg_advisory_xact_lock(%1, %2)").arg(kLockNamespace).arg(lockHash(lockKey)));
    } catch (...) {
        rollback();
        throw;
    }
}

void JudgmentDatabase::commit()
{
    execSql(*m_db, m_label, QStringLiteral("COMMIT"));
    restoreWait();
}

void JudgmentDatabase::rollback()
{
    QSqlQuery(*m_db).exec(QStringLiteral("ROLLBACK")); // on a dropped connection the server already did
    restoreWait();
}

void JudgmentDatabase::restoreWait()
{
    if (m_shortWait) {
        m_shortWait = false;
        QSqlQuery(*m_db).exec(QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs));
    }
}

} // namespace lookalike
