// The version's side files and their rows: every SQL on embedding_rows and embedding_failures.
#include "core/project/EmbeddingStore.h"

#include "core/Error.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"
#include "core/util/SeededRandom.h"

#include <QSqlDatabase>

#include <set>

namespace lookalike {

namespace fs = std::filesystem;

fs::path rawEmbeddingsFile(const Project &project, const ModelVersion &version)
{
    return modelDirectory(project, version) / "raw.npy";
}

fs::path normalizedEmbeddingsFile(const Project &project, const ModelVersion &version)
{
    return modelDirectory(project, version) / "normalized.npy";
}

EmbeddingCounts embeddingCounts(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT (SELECT COUNT(*) FROM embedding_rows WHERE model_id = ?), "
                         "(SELECT COUNT(*) FROM embedding_failures WHERE model_id = ?)"));
    q.bind(version.id).bind(version.id).exec();
    EmbeddingCounts out;
    if (q.next()) {
        out.embedded = q.int64(0);
        out.failed = q.int64(1);
    }
    return out;
}

std::vector<std::int64_t> embeddedItemIds(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT item_id FROM embedding_rows WHERE model_id = ? ORDER BY row"));
    std::vector<std::int64_t> ids;
    for (q.bind(version.id).exec(); q.next();)
        ids.push_back(q.int64(0));
    return ids;
}

std::vector<ItemToEmbed> itemsToEmbed(const Project &project, const ModelVersion &version)
{
    Sql q(project.database(), project.databaseFile().string(),
          QStringLiteral("SELECT id, image FROM items WHERE id NOT IN "
                         "(SELECT item_id FROM embedding_rows WHERE model_id = ?) AND id NOT IN "
                         "(SELECT item_id FROM embedding_failures WHERE model_id = ?) ORDER BY id"));
    std::vector<ItemToEmbed> out;
    for (q.bind(version.id).bind(version.id).exec(); q.next();)
        out.push_back({q.int64(0), q.text(1)});
    return out;
}

void forgetEmbeddingFailures(Project &project, const ModelVersion &version)
{
    Sql(project.database(), project.databaseFile().string(),
        QStringLiteral("DELETE FROM embedding_failures WHERE model_id = ?"))
        .bind(version.id)
        .exec();
}

void recordEmbeddings(Project &project, const ModelVersion &version, std::int64_t firstRow,
                      const std::vector<std::int64_t> &itemIds, const std::vector<EmbeddingFailure> &failures)
{
    project.inTransaction([&] {
        const std::string file = project.databaseFile().string();
        Sql row(project.database(), file,
                QStringLiteral("INSERT INTO embedding_rows (model_id, row, item_id) VALUES (?, ?, ?)"));
        for (std::size_t i = 0; i < itemIds.size(); ++i)
            row.bind(version.id).bind(firstRow + static_cast<std::int64_t>(i)).bind(itemIds[i]).exec();
        Sql failure(project.database(), file,
                    QStringLiteral("INSERT OR REPLACE INTO embedding_failures (model_id, item_id, reason) "
                                   "VALUES (?, ?, ?)"));
        for (const EmbeddingFailure &f : failures)
            failure.bind(version.id).bind(f.itemId).bind(f.reason).exec();
    });
}

EmbeddingSample sampleEmbeddedItems(const Project &project, const ModelVersion &version, std::int64_t limit,
                                    std::uint64_t seed)
{
    requireEmbeddings(version, "be drawn on the map");
    const std::string file = project.databaseFile().string();
    EmbeddingSample out;
    Sql count(project.database(), file, QStringLiteral("SELECT COUNT(*) FROM embedding_rows WHERE model_id = ?"));
    count.bind(version.id).exec();
    out.total = count.next() ? count.int64(0) : 0;
    if (out.total <= limit) {
        for (std::int64_t r = 0; r < out.total; ++r)
            out.rows.push_back(r);
    } else {
        Sql queries(project.database(), file,
                    QStringLiteral("SELECT row FROM embedding_rows WHERE model_id = ? "
                                   "AND item_id IN (SELECT item_id FROM queries) ORDER BY row"));
        std::vector<std::int64_t> queryRows;
        for (queries.bind(version.id).exec(); queries.next();)
            queryRows.push_back(queries.int64(0));
        SeededRandom random(seed);
        std::set<std::int64_t> picked;
        const std::int64_t queryBudget = std::min<std::int64_t>(static_cast<std::int64_t>(queryRows.size()), limit / 2);
        for (std::int64_t i = 0; i < queryBudget; ++i) { // a partial Fisher-Yates shuffle
            const auto j = static_cast<std::size_t>(i)
                + random.below(static_cast<std::uint64_t>(queryRows.size()) - static_cast<std::uint64_t>(i));
            std::swap(queryRows[static_cast<std::size_t>(i)], queryRows[j]);
            picked.insert(queryRows[static_cast<std::size_t>(i)]);
        }
        const std::set<std::int64_t> isQuery(queryRows.begin(), queryRows.end());
        // Others by rejection: the budget is far below the row count here, so draws rarely repeat.
        const std::int64_t others = out.total - static_cast<std::int64_t>(isQuery.size());
        const std::int64_t wanted = std::min<std::int64_t>(limit - queryBudget, others);
        for (std::int64_t added = 0; added < wanted;) {
            const auto r = static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(out.total)));
            if (!isQuery.count(r) && picked.insert(r).second)
                ++added;
        }
        out.rows.assign(picked.begin(), picked.end());
    }
    Sql row(project.database(), file,
            QStringLiteral("SELECT e.item_id, i.category FROM embedding_rows e JOIN items i ON i.id = e.item_id "
                           "WHERE e.model_id = ? AND e.row = ?"));
    out.itemIds.reserve(out.rows.size());
    out.categories.reserve(out.rows.size());
    for (std::int64_t r : out.rows) {
        row.bind(version.id).bind(r).exec();
        if (!row.next())
            throw Error(ErrorCode::DatabaseError, file, "embedding row " + std::to_string(r) + " of version '"
                                                            + version.name + "' is missing");
        out.itemIds.push_back(row.int64(0));
        out.categories.push_back(row.text(1));
    }
    return out;
}

} // namespace lookalike
