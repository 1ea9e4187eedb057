// A Lookalike project: a folder holding lookalike.db (SQLite through Qt SQL: the catalog,
// model versions, query set, frozen result lists) and side files (embeddings as .npy,
// FAISS indexes) under models/<id>/. One Project object per thread: it owns its own
// database connection.
#pragma once

#include "core/catalog/CatalogManifest.h"
#include "core/project/ProjectSettings.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QSqlDatabase;

namespace lookalike {

class JudgmentDatabase;

struct Item {
    std::int64_t id = 0; // the project's own id (stable)
    std::string key;     // the catalog's id
    std::filesystem::path image;
    std::string title;
    std::string category;
    std::string url;
    std::vector<std::pair<std::string, std::string>> attributes;
};

// The value of a catalog field of an item: "category", "title" or "url", or the manifest column
// (attribute) of that name; nothing when the item has no such attribute.
std::optional<std::string> itemField(const Item &item, const std::string &field);

struct CatalogImportReport {
    std::int64_t accepted = 0;
    std::int64_t rejected = 0;
    std::int64_t added = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t notInManifest = 0;         // items of the project the manifest no longer lists (kept)
    std::filesystem::path rejectedReport;   // CSV of rejected rows; empty when none
};

class Project {
public:
    static constexpr const char *kDatabaseFile = "lookalike.db";

    // Creates the folder (if needed) and an empty project. Throws if one exists there.
    static Project create(const std::filesystem::path &folder);
    // Opens an existing project and migrates its schema. Throws NotFound if there is none.
    static Project open(const std::filesystem::path &folder);
    static bool exists(const std::filesystem::path &folder);

    Project(Project &&) noexcept;
    Project &operator=(Project &&) noexcept;
    ~Project();

    const std::filesystem::path &folder() const;
    std::filesystem::path databaseFile() const;
    // Opened without write access (the file or its folder is not writable: another user's
    // project, a read-only mount). Everything reads; a write fails with "PROJECT is read-only".
    bool readOnly() const;
    // The connection, for the engine's own stores in core/project (the UI never gets one).
    QSqlDatabase &database() const;

    // Imports (or re-imports) a manifest in one transaction: new ids are added, changed rows
    // updated, identical rows left alone, nothing deleted. Rejected rows go to
    // <project>/rejected-rows.csv. Running it twice gives the same catalog.
    CatalogImportReport importCatalog(const std::filesystem::path &manifest, const ManifestOptions &options);

    std::int64_t itemCount() const;
    std::optional<Item> findItem(const std::string &key) const;
    Item requireItem(const std::string &key) const; // throws NotFound naming the catalog id
    Item item(std::int64_t id) const; // throws NotFound
    std::vector<Item> items(const std::vector<std::int64_t> &ids) const; // in the order given
    std::map<std::string, std::int64_t> itemIdsByKey() const; // catalog id -> item id, every item

    // (item id, category) of every item, by id.
    std::vector<std::pair<std::int64_t, std::string>> itemCategories() const;

    // The query set.
    std::vector<std::int64_t> queryItemIds() const; // by item id
    // Adds items to the query set (already present ones are skipped); returns how many were new.
    std::int64_t addQueries(const std::vector<std::int64_t> &itemIds, const std::string &source);
    // The query set without reading its items, for lists too large to hold (the GUI pages
    // them): how many queries, each query's category (by item id), and the ids of the queries
    // whose title or catalog id contains `text` (case-insensitive for ASCII; empty: all) and,
    // unless `category` is nothing, whose category is it, in the given order (ties by id).
    std::int64_t queryCount() const;
    std::vector<std::pair<std::int64_t, std::string>> queryCategories() const;
    enum class QueryOrder { ById, ByTitle, ByKey, ByCategory };
    std::vector<std::int64_t> findQueries(const std::string &text, const std::optional<std::string> &category,
                                          QueryOrder order = QueryOrder::ById, bool descending = false) const;

    // Where the judgments live: lookalike.db itself, or the shared PostgreSQL database named by
    // the "judgment_database" setting (connected on first use, so commands that never touch
    // judgments work without the server). Throws DatabaseError naming the URL if unreachable.
    JudgmentDatabase &judgmentDatabase() const;
    // Moves the judgments to `url` (a postgresql:// URL, or empty for lookalike.db). Refused
    // while the current judgment database holds any judgment event, so none is ever left behind.
    void setJudgmentDatabase(const std::string &url);
    // The URL of the shared judgment database, if the project has one.
    std::optional<std::string> judgmentDatabaseUrl() const;

    // The settings, typed (ProjectSettings.h): read once, kept until a setting changes here or
    // reloadSettings() (another process may have changed them: the GUI reloads as it polls).
    // Throws InvalidArgument naming the database file if a stored value is malformed.
    const ProjectSettings &settings() const;
    void reloadSettings();
    std::optional<std::string> setting(const std::string &key) const; // settings().value(key)
    // Writes a setting, checked first: a value ProjectSettings cannot parse is refused unwritten.
    void setSetting(const std::string &key, const std::string &value);

    // The depth at which result lists are frozen: recorded by the first `index` (its --depth,
    // default 10), then used by every later freeze (new queries, new versions, the GUI).
    static constexpr int kDefaultResultDepth = 10;
    int resultDepth() const;
    bool hasResultDepth() const;
    void setResultDepth(int depth); // throws InvalidArgument below 1

    // Runs `body` in a write transaction (BEGIN IMMEDIATE: waits up to 5 s for another
    // process's write to finish): committed if it returns, rolled back if it throws.
    template<typename Body>
    auto inTransaction(Body &&body)
    {
        beginTransaction();
        try {
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                commitTransaction();
            } else {
                auto result = body();
                commitTransaction();
                return result;
            }
        } catch (...) {
            rollbackTransaction();
            throw;
        }
    }

private:
    struct Impl;
    explicit Project(std::unique_ptr<Impl> impl);
    static std::unique_ptr<Impl> connect(const std::filesystem::path &folder, bool readOnly);
    void beginTransaction();
    void commitTransaction();
    void rollbackTransaction();
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
