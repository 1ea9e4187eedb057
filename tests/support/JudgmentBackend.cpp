// Fresh PostgreSQL databases for the judgment tests.
#include "support/JudgmentBackend.h"

#include "core/project/JudgmentDatabase.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <atomic>
#include <stdexcept>

namespace testsupport {

bool testingPostgres()
{
    return qgetenv("LOOKALIKE_TEST_BACKEND") == "postgresql";
}

std::string freshPostgresDatabase()
{
    static std::atomic<int> counter{0};
    const std::string base = qgetenv("LOOKALIKE_TEST_PG_URL").toStdString();
    if (base.empty())
        throw std::runtime_error("LOOKALIKE_TEST_PG_URL is not set (the pg_cluster_start CTest fixture sets it)");
    const std::string name = "lk_" + std::to_string(QCoreApplication::applicationPid()) + "_" + std::to_string(++counter);
    // The URL's database part: between the first '/' after the authority and the '?'.
    const std::size_t slash = base.find('/', base.find("://") + 3);
    const std::size_t query = base.find('?', slash);
    const std::string url = base.substr(0, slash + 1) + name + (query == std::string::npos ? "" : base.substr(query));
    {
        // Through the engine's own URL handling, connected to the cluster's "postgres" database.
        const auto admin = QStringLiteral("lookalike-test-admin");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), admin);
            const lookalike::PostgresUrl parsed = lookalike::PostgresUrl::parse(base);
            db.setHostName(QString::fromStdString(parsed.host));
            if (parsed.port > 0)
                db.setPort(parsed.port);
            db.setUserName(QString::fromStdString(parsed.user));
            db.setDatabaseName(QString::fromStdString(parsed.database));
            if (!db.open())
                throw std::runtime_error("cannot reach the test cluster at " + base + ": " + db.lastError().text().toStdString());
            QSqlQuery q(db);
            q.exec(QStringLiteral("SET client_min_messages = warning"));
            if (!q.exec(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(QString::fromStdString(name)))
                || !q.exec(QStringLiteral("CREATE DATABASE %1").arg(QString::fromStdString(name))))
                throw std::runtime_error("cannot create test database " + name + ": " + q.lastError().text().toStdString());
            db.close();
        }
        QSqlDatabase::removeDatabase(admin);
    }
    return url;
}

void useTestJudgmentBackend(lookalike::Project &project)
{
    if (testingPostgres())
        project.setJudgmentDatabase(freshPostgresDatabase());
}

} // namespace testsupport
