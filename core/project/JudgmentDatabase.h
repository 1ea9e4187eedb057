// Where a project keeps its judgments (raters, judgment_events, assignments, rater activity):
// by default its own lookalike.db (SQLite), or a shared PostgreSQL database so that many
// raters on many machines grade into one place. Both go through the same Qt SQL code; the
// few dialect differences (how a write transaction starts, the schema's id columns) live here.
//
// A PostgreSQL database remembers which project it belongs to (the project's id, stored on
// first use) and refuses any other project, so two catalogs' item ids never mix.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

class QSqlDatabase;

namespace lookalike {

// postgresql://user@host[:port]/dbname[?host=/socket/dir&port=N&sslmode=...]. Missing parts come
// from libpq's environment (PGHOST, PGPORT, PGUSER) and the password from PGPASSWORD or
// ~/.pgpass: a URL with a password is refused, so none ends up in the project's settings.
struct PostgresUrl {
    std::string host; // a name, an address or a socket directory; empty: libpq's default
    int port = 0;     // 0: libpq's default
    std::string user;
    std::string database;
    std::string options; // other query parameters as libpq "key=value;key=value"

    static bool looksLikeOne(const std::string &text); // starts with postgresql:// or postgres://
    // Throws InvalidArgument naming the URL.
    static PostgresUrl parse(const std::string &url);
};

class JudgmentDatabase {
public:
    // The project's own SQLite connection (not owned).
    JudgmentDatabase(QSqlDatabase &projectDb, const std::string &projectFile);
    // Connects to PostgreSQL and brings the judgment schema up to date. Throws DatabaseError with
    // one line naming the URL if the server cannot be reached or refuses the login.
    static std::unique_ptr<JudgmentDatabase> connectPostgres(const std::string &url);
    ~JudgmentDatabase();
    JudgmentDatabase(const JudgmentDatabase &) = delete;
    JudgmentDatabase &operator=(const JudgmentDatabase &) = delete;

    bool isPostgres() const { return m_postgres; }
    QSqlDatabase &database() const;
    // The file or the URL, for error messages.
    const std::string &label() const { return m_label; }

    // The project this database belongs to (PostgreSQL only): claims it if unclaimed, throws
    // InvalidArgument if it is another project's.
    void claimFor(const std::string &projectId, const std::string &projectFolder);

    // PostgreSQL: if the connection was dropped (a server restart, a network cut, an idle
    // timeout), connects again: up to 3 tries over about 5 s, then DatabaseError with the reason.
    // Called before every write transaction and by pollers; SQLite: nothing to do.
    void ensureConnected();

    // The id of the rater called `name`, added if new (call inside a write transaction).
    // Throws InvalidArgument for an empty name or one over 100 characters.
    std::int64_t raterId(const std::string &name);

    // A write transaction. SQLite: BEGIN IMMEDIATE (one writer at a time, waits up to 5 s).
    // PostgreSQL: different raters write at once; the writes of one rater (`lockKey`, e.g. the
    // rater's name) are serialised with an advisory lock so old grades, undo and redo see every
    // earlier event of theirs. Committed if `body` returns, rolled back if it throws. A dropped
    // PostgreSQL connection is re-made before BEGIN, so a change made after a server restart is
    // saved once; one lost inside the transaction is refused (the server discarded it), never
    // replayed, so nothing is written twice.
    template<typename Body>
    auto inTransaction(const std::string &lockKey, Body &&body)
    {
        return inTransaction(lockKey, 0, std::forward<Body>(body));
    }
    // The same, waiting at most `waitMs` (0: the usual 5 s) for another writer: for best-effort
    // writes (a heartbeat) that must not hold up the GUI.
    template<typename Body>
    auto inTransaction(const std::string &lockKey, int waitMs, Body &&body)
    {
        begin(lockKey, waitMs);
        bool committing = false;
        try {
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                committing = true;
                commit();
            } else {
                auto result = body();
                committing = true;
                commit();
                return result;
            }
        } catch (...) {
            rollback();
            throwIfConnectionLost(committing); // said in words, not as libpq's text
            throw;
        }
    }

private:
    JudgmentDatabase() = default;
    void begin(const std::string &lockKey, int waitMs);
    void commit();
    void rollback();
    void restoreWait();
    void migrate();
    bool alive();
    void reconnect();
    // PostgreSQL, after a failed transaction: if the connection is gone, throws DatabaseError
    // saying whether the change is lost for sure (before COMMIT) or unknown (during COMMIT).
    void throwIfConnectionLost(bool committing);
    void setSessionOptions();

    QSqlDatabase *m_db = nullptr;
    std::unique_ptr<QSqlDatabase> m_owned; // the PostgreSQL connection
    std::string m_connectionName;          // of m_owned, removed on destruction
    std::string m_label;
    bool m_postgres = false;
    bool m_shortWait = false; // SQLite's busy timeout is lowered until the transaction ends
};

} // namespace lookalike
