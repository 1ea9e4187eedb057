// Shards of a catalog's embeddings: the partition, writing one shard, checking and merging N.
#include "core/project/EmbeddingShards.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"
#include "core/util/VectorMath.h"
#include "core/util/RegularFile.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSqlDatabase>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

constexpr const char *kFormat = "lookalike-shard";
constexpr int kFormatVersion = 1;
constexpr const char *kManifest = "shard.json";

[[noreturn]] void bad(const fs::path &file, const std::string &problem)
{
    throw Error(ErrorCode::InvalidArgument, file.string(), problem);
}

std::string shortHash(const std::string &hex)
{
    return hex.substr(0, 12) + "...";
}

std::string fingerprintOfKeys(const std::map<std::string, std::int64_t> &byKey)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    bool first = true;
    for (const auto &entry : byKey) { // std::map: sorted by key bytes
        if (!first)
            hash.addData(QByteArrayView("\n", 1));
        hash.addData(QByteArrayView(entry.first.data(), static_cast<qsizetype>(entry.first.size())));
        first = false;
    }
    return hash.result().toHex().toStdString();
}

void writeManifest(const fs::path &file, const ShardManifest &m)
{
    QJsonObject model{{QStringLiteral("name"), QString::fromStdString(m.modelName)},
                      {QStringLiteral("kind"), QString::fromStdString(m.modelKind)},
                      {QStringLiteral("fingerprint"), QString::fromStdString(m.modelFingerprint)},
                      {QStringLiteral("config"), QString::fromStdString(m.modelConfig)},
                      {QStringLiteral("dimension"), m.dimension}};
    QJsonObject catalog{{QStringLiteral("items"), static_cast<qint64>(m.catalogItems)},
                        {QStringLiteral("fingerprint"), QString::fromStdString(m.catalogFingerprint)}};
    QJsonArray items;
    for (const std::string &key : m.keys)
        items.append(QString::fromStdString(key));
    QJsonArray failed;
    for (const auto &[key, reason] : m.failed)
        failed.append(QJsonObject{{QStringLiteral("key"), QString::fromStdString(key)},
                                  {QStringLiteral("reason"), QString::fromStdString(reason)}});
    const QJsonObject root{{QStringLiteral("format"), QString::fromLatin1(kFormat)},
                           {QStringLiteral("version"), kFormatVersion},
                           {QStringLiteral("shard"), m.spec.index},
                           {QStringLiteral("shards"), m.spec.count},
                           {QStringLiteral("partition"), QStringLiteral("fnv1a64(item key) mod shards")},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("catalog"), catalog},
                           {QStringLiteral("rows"), static_cast<qint64>(m.keys.size())},
                           {QStringLiteral("items"), items},
                           {QStringLiteral("failed"), failed},
                           {QStringLiteral("created_at"), QString::fromStdString(nowIso8601())}};
    QSaveFile out(QString::fromStdString(file.string()));
    if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(root).toJson(QJsonDocument::Indented)) < 0
        || !out.commit())
        throw Error(ErrorCode::FileUnreadable, file.string(), "cannot write: " + out.errorString().toStdString());
}

} // namespace

ShardSpec parseShardSpec(const std::string &text)
{
    const auto slash = text.find('/');
    const auto number = [](const std::string &s) -> std::optional<int> {
        if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        return std::stoi(s);
    };
    const auto i = slash == std::string::npos ? std::nullopt : number(text.substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : number(text.substr(slash + 1));
    if (!i || !n || *n < 1 || *i >= *n)
        throw Error(ErrorCode::InvalidArgument, {},
                    "--shard '" + text.substr(0, 40) + "' is not I/N with 0 <= I < N (e.g. 0/4 ... 3/4)");
    return {*i, *n};
}

ShardSpec shardFromEnvironment(int count, std::string *source)
{
    if (count < 1)
        throw Error(ErrorCode::InvalidArgument, {}, "--shards must be at least 1");
    const auto value = [](const char *name) -> std::optional<std::string> {
        const char *v = std::getenv(name);
        return v && *v ? std::optional<std::string>(v) : std::nullopt;
    };
    const auto number = [](const char *name, const std::string &text) -> long long {
        if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw Error(ErrorCode::InvalidArgument, {},
                        std::string(name) + "='" + text.substr(0, 20) + "' is not a task index (a whole number)");
        return std::stoll(text);
    };
    long long index = 0;
    std::string used;
    if (const auto slurm = value("SLURM_ARRAY_TASK_ID")) {
        index = number("SLURM_ARRAY_TASK_ID", *slurm);
        used = "SLURM_ARRAY_TASK_ID=" + *slurm;
        if (const auto min = value("SLURM_ARRAY_TASK_MIN")) {
            index -= number("SLURM_ARRAY_TASK_MIN", *min);
            used += " - SLURM_ARRAY_TASK_MIN=" + *min;
        }
        if (const auto n = value("SLURM_ARRAY_TASK_COUNT"); n && number("SLURM_ARRAY_TASK_COUNT", *n) != count)
            throw Error(ErrorCode::InvalidArgument, {},
                        "the Slurm array has " + *n + " tasks (SLURM_ARRAY_TASK_COUNT) but --shards is "
                            + std::to_string(count) + ": submit it with --array=0-" + std::to_string(count - 1));
    } else if (const auto k8s = value("JOB_COMPLETION_INDEX")) {
        index = number("JOB_COMPLETION_INDEX", *k8s);
        used = "JOB_COMPLETION_INDEX=" + *k8s;
    } else {
        throw Error(ErrorCode::InvalidArgument, {},
                    "--shard auto takes the shard from SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX "
                    "(a Kubernetes Indexed Job), and neither is set; give --shard I/N instead");
    }
    if (index < 0 || index >= count)
        throw Error(ErrorCode::InvalidArgument, {},
                    "shard " + std::to_string(index) + " from " + used + " is outside 0.." + std::to_string(count - 1)
                        + " (--shards " + std::to_string(count) + ")");
    if (source)
        *source = used;
    return {static_cast<int>(index), count};
}

std::string shardLabel(int index, int count)
{
    return std::to_string(index) + "/" + std::to_string(count);
}

int shardOfKey(const std::string &key, int count)
{
    std::uint64_t h = 0xcbf29ce484222325ull; // FNV-1a 64: tiny, and the same on every platform
    for (unsigned char c : key) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return static_cast<int>(h % static_cast<std::uint64_t>(std::max(1, count)));
}

std::string catalogFingerprint(const Project &project)
{
    return fingerprintOfKeys(project.itemIdsByKey());
}

ShardManifest readShard(const fs::path &folder)
{
    const fs::path file = folder / kManifest;
    if (fs::exists(file))
        requireRegularFile(file, kJsonSettingsLimit);
    QFile in(QString::fromStdString(file.string()));
    if (!in.open(QIODevice::ReadOnly))
        throw Error(fs::exists(file) ? ErrorCode::FileUnreadable : ErrorCode::FileNotFound, file.string(),
                    fs::exists(folder) ? "missing: not a complete shard (was its `index --shard` run interrupted?)"
                                       : "no such shard folder");
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(in.readAll(), &parseError);
    if (!doc.isObject())
        throw Error(ErrorCode::MalformedConfig, file.string(), "not JSON: " + parseError.errorString().toStdString());
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != QLatin1String(kFormat))
        throw Error(ErrorCode::MalformedConfig, file.string(), "not a Lookalike shard manifest");
    if (root.value(QStringLiteral("version")).toInt() != kFormatVersion)
        throw Error(ErrorCode::Unsupported, file.string(),
                    "shard format version " + std::to_string(root.value(QStringLiteral("version")).toInt())
                        + " (this Lookalike reads version " + std::to_string(kFormatVersion) + ")");
    ShardManifest m;
    m.spec.index = root.value(QStringLiteral("shard")).toInt(-1);
    m.spec.count = root.value(QStringLiteral("shards")).toInt(0);
    if (m.spec.count < 1 || m.spec.index < 0 || m.spec.index >= m.spec.count)
        throw Error(ErrorCode::MalformedConfig, file.string(),
                    "bad shard number " + shardLabel(m.spec.index, m.spec.count));
    const QJsonObject model = root.value(QStringLiteral("model")).toObject();
    m.modelName = model.value(QStringLiteral("name")).toString().toStdString();
    m.modelKind = model.value(QStringLiteral("kind")).toString().toStdString();
    m.modelFingerprint = model.value(QStringLiteral("fingerprint")).toString().toStdString();
    m.modelConfig = model.value(QStringLiteral("config")).toString().toStdString();
    m.dimension = model.value(QStringLiteral("dimension")).toInt(0);
    const QJsonObject catalog = root.value(QStringLiteral("catalog")).toObject();
    m.catalogItems = catalog.value(QStringLiteral("items")).toInteger(0);
    m.catalogFingerprint = catalog.value(QStringLiteral("fingerprint")).toString().toStdString();
    for (const QJsonValue &v : root.value(QStringLiteral("items")).toArray())
        m.keys.push_back(v.toString().toStdString());
    for (const QJsonValue &v : root.value(QStringLiteral("failed")).toArray())
        m.failed.emplace_back(v.toObject().value(QStringLiteral("key")).toString().toStdString(),
                              v.toObject().value(QStringLiteral("reason")).toString().toStdString());
    if (m.dimension <= 0 || m.modelFingerprint.empty())
        throw Error(ErrorCode::MalformedConfig, file.string(), "no model fingerprint or dimension");
    for (const char *name : {"raw.npy", "normalized.npy"}) {
        const auto [rows, cols] = npyMatrixShape(folder / name);
        if (rows != static_cast<std::int64_t>(m.keys.size()) || cols != m.dimension)
            throw Error(ErrorCode::SizeMismatch, (folder / name).string(),
                        "holds " + std::to_string(rows) + " x " + std::to_string(cols) + " but " + kManifest
                            + " lists " + std::to_string(m.keys.size()) + " items of dimension "
                            + std::to_string(m.dimension));
    }
    return m;
}

ShardEmbedReport embedShard(const Project &project, const ModelVersion &version, const ImageEncoder &encoder,
                            ShardSpec spec, const fs::path &folder, const EmbeddingOptions &options)
{
    if (fs::exists(folder))
        bad(folder, "already exists; merge it, or delete it to embed the shard again");
    const std::map<std::string, std::int64_t> byKey = project.itemIdsByKey();
    std::unordered_map<std::int64_t, std::string> keyOf;
    std::vector<ItemToEmbed> items;
    {
        Sql q(project.database(), project.databaseFile().string(),
              QStringLiteral("SELECT id, item_key, image FROM items ORDER BY id"));
        for (q.exec(); q.next();) {
            const std::string key = q.text(1);
            if (shardOfKey(key, spec.count) == spec.index) {
                items.push_back({q.int64(0), q.text(2)});
                keyOf[q.int64(0)] = key;
            }
        }
    }

    // Written under a temporary name: a shard folder exists only once it is complete.
    const fs::path partial = folder.string() + ".partial";
    std::error_code ec;
    fs::remove_all(partial, ec); // an earlier attempt that did not finish
    fs::create_directories(partial, ec);
    if (ec)
        throw Error(ErrorCode::FileUnreadable, partial.string(), "cannot create the folder: " + ec.message());
    ShardManifest manifest;
    manifest.spec = spec;
    manifest.modelName = version.name;
    manifest.modelKind = modelKindName(version.kind);
    manifest.modelFingerprint = version.fingerprint;
    manifest.modelConfig = version.config;
    manifest.dimension = version.dimension;
    manifest.catalogItems = static_cast<std::int64_t>(byKey.size());
    manifest.catalogFingerprint = fingerprintOfKeys(byKey);

    ShardEmbedReport report;
    report.items = static_cast<std::int64_t>(items.size());
    try {
        NpyAppender raw = NpyAppender::open(partial / "raw.npy", version.dimension, 0);
        NpyAppender normalized = NpyAppender::open(partial / "normalized.npy", version.dimension, 0);
        report.summary = embedItems(items, encoder, options,
                                    [&](const FloatMatrix &batch, const std::vector<std::int64_t> &ids,
                                        const std::vector<EmbeddingFailure> &failures) {
                                        if (batch.rows > 0) {
                                            // The same normalisation as the project's own runs.
                                            const FloatMatrix unit = l2NormalizedRows(batch);
                                            raw.append(batch.data.data(), batch.rows);
                                            normalized.append(unit.data.data(), unit.rows);
                                        }
                                        for (std::int64_t id : ids)
                                            manifest.keys.push_back(keyOf.at(id));
                                        for (const EmbeddingFailure &f : failures)
                                            manifest.failed.emplace_back(keyOf.at(f.itemId), f.reason);
                                    });
        if (!report.summary.interrupted) {
            raw.commit();
            normalized.commit();
            writeManifest(partial / kManifest, manifest);
        }
    } catch (...) {
        fs::remove_all(partial, ec);
        throw;
    }
    if (report.summary.interrupted) {
        fs::remove_all(partial, ec);
        return report;
    }
    fs::rename(partial, folder, ec);
    if (ec) {
        fs::remove_all(partial, ec);
        throw Error(ErrorCode::FileUnreadable, folder.string(), "cannot create the shard folder: " + ec.message());
    }
    return report;
}

ShardMergeReport mergeShards(Project &project, const ModelVersion &version, const std::vector<fs::path> &folders)
{
    if (folders.empty())
        throw Error(ErrorCode::InvalidArgument, {}, "no shard folders given");
    if (const EmbeddingCounts had = embeddingCounts(project, version); had.embedded + had.failed > 0)
        throw Error(ErrorCode::InvalidArgument, project.folder().string(),
                    "model version '" + version.name + "' already has " + std::to_string(had.embedded + had.failed)
                        + " embedded or failed items; merge shards into a version that has none");

    // 1. Each shard on its own, then the set: the same N, each of 0..N-1 exactly once, and
    //    the model of `version`.
    std::vector<ShardManifest> shards;
    for (const fs::path &folder : folders)
        shards.push_back(readShard(folder));
    const auto manifestOf = [&](std::size_t s) { return (folders[s] / kManifest).string(); };
    const int count = shards.front().spec.count;
    std::vector<std::optional<std::size_t>> byIndex(static_cast<std::size_t>(count));
    for (std::size_t s = 0; s < shards.size(); ++s) {
        const ShardManifest &m = shards[s];
        const std::string file = manifestOf(s);
        if (m.spec.count != count)
            bad(file, "shard " + shardLabel(m.spec.index, m.spec.count) + " of " + std::to_string(m.spec.count)
                          + " shards, but " + manifestOf(0) + " is one of " + std::to_string(count));
        auto &slot = byIndex[static_cast<std::size_t>(m.spec.index)];
        if (slot)
            bad(file, "shard " + shardLabel(m.spec.index, count) + " given twice (also " + manifestOf(*slot) + ")");
        slot = s;
        if (m.modelFingerprint != version.fingerprint)
            bad(file, "model fingerprint " + shortHash(m.modelFingerprint) + " differs from model version '"
                          + version.name + "' (" + shortHash(version.fingerprint) + "): embedded with other weights");
        if (configPrecision(m.modelConfig) != versionPrecision(version))
            bad(file, std::string("embedded in ") + precisionName(configPrecision(m.modelConfig)) + ", model version '"
                          + version.name + "' in " + precisionName(versionPrecision(version))
                          + " (one version never mixes precisions; embed every shard with the same --precision)");
        if (m.modelConfig != version.config)
            bad(file, "model configuration (preprocessing) differs from model version '" + version.name + "'");
        if (m.dimension != version.dimension)
            bad(file, std::to_string(m.dimension) + "-dimensional embeddings, model version '" + version.name
                          + "' has " + std::to_string(version.dimension));
    }
    std::vector<std::string> missing;
    for (int i = 0; i < count; ++i)
        if (!byIndex[static_cast<std::size_t>(i)])
            missing.push_back(shardLabel(i, count));
    if (!missing.empty()) {
        std::string list;
        for (const std::string &m : missing)
            list += (list.empty() ? "" : ", ") + m;
        bad(folders.front().parent_path(), "missing shard" + std::string(missing.size() > 1 ? "s " : " ") + list
                                               + " (have " + std::to_string(shards.size()) + " of " + std::to_string(count)
                                               + ")");
    }

    // 2. Items: every key known, in the shard its key hashes to, in no other shard, and every
    //    catalog item in one.
    const std::map<std::string, std::int64_t> byKey = project.itemIdsByKey();
    struct Source {
        std::size_t shard;
        std::int64_t row; // < 0: failed, entry -1 - row of the shard's "failed"
    };
    std::unordered_map<std::string, Source> seen;
    seen.reserve(byKey.size());
    const auto take = [&](std::size_t s, const std::string &key, std::int64_t row) {
        const ShardManifest &m = shards[s];
        if (!byKey.count(key))
            bad(manifestOf(s), "item '" + key + "' is not in this project's catalog (shard made from another catalog?)");
        if (const auto it = seen.find(key); it != seen.end())
            bad(manifestOf(s), "item '" + key + "' is in shards " + shardLabel(shards[it->second.shard].spec.index, count)
                                   + " and " + shardLabel(m.spec.index, count)
                                   + (it->second.shard == s ? " (twice in this one)" : ""));
        if (const int home = shardOfKey(key, count); home != m.spec.index)
            bad(manifestOf(s), "item '" + key + "' belongs to shard " + shardLabel(home, count) + ", not "
                                   + shardLabel(m.spec.index, count));
        seen.emplace(key, Source{s, row});
    };
    for (std::size_t s = 0; s < shards.size(); ++s) {
        for (std::size_t r = 0; r < shards[s].keys.size(); ++r)
            take(s, shards[s].keys[r], static_cast<std::int64_t>(r));
        for (std::size_t f = 0; f < shards[s].failed.size(); ++f)
            take(s, shards[s].failed[f].first, -1 - static_cast<std::int64_t>(f));
    }
    if (seen.size() != byKey.size()) {
        for (const auto &[key, id] : byKey)
            if (!seen.count(key)) {
                const std::size_t home = *byIndex[static_cast<std::size_t>(shardOfKey(key, count))];
                bad(manifestOf(home), "item '" + key + "' is in no shard (" + std::to_string(byKey.size() - seen.size())
                                          + " catalog items missing; shard made from an older catalog?)");
            }
    }

    // 3. Write the side files in item id order, as an unsharded run does, then record them
    //    in one transaction. The version has no rows yet, so until the commit the files only
    //    hold uncommitted rows, which every reader ignores and the next writer truncates.
    std::vector<std::pair<std::int64_t, Source>> rows;
    std::vector<std::pair<std::int64_t, std::string>> failures;
    for (const auto &[key, source] : seen) {
        const std::int64_t id = byKey.at(key);
        if (source.row >= 0)
            rows.emplace_back(id, source);
        else
            failures.emplace_back(id, shards[source.shard].failed[static_cast<std::size_t>(-1 - source.row)].second);
    }
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    {
        std::vector<NpyRowReader> rawIn, normalizedIn;
        for (const fs::path &folder : folders) {
            rawIn.push_back(NpyRowReader::open(folder / "raw.npy"));
            normalizedIn.push_back(NpyRowReader::open(folder / "normalized.npy"));
        }
        NpyAppender rawOut = NpyAppender::open(rawEmbeddingsFile(project, version), version.dimension, 0);
        NpyAppender normalizedOut = NpyAppender::open(normalizedEmbeddingsFile(project, version), version.dimension, 0);
        std::vector<float> row(static_cast<std::size_t>(version.dimension));
        for (const auto &[id, source] : rows) {
            rawIn[source.shard].read(source.row, 1, row.data());
            rawOut.append(row.data(), 1);
            normalizedIn[source.shard].read(source.row, 1, row.data());
            normalizedOut.append(row.data(), 1);
        }
        rawOut.commit();
        normalizedOut.commit();
    }
    std::vector<std::int64_t> rowItems;
    rowItems.reserve(rows.size());
    for (const auto &[id, source] : rows)
        rowItems.push_back(id);
    std::vector<EmbeddingFailure> failed;
    for (const auto &[id, reason] : failures)
        failed.push_back({id, reason});
    recordEmbeddings(project, version, 0, rowItems, failed);

    ShardMergeReport report;
    report.shards = count;
    report.embedded = static_cast<std::int64_t>(rows.size());
    report.failed = static_cast<std::int64_t>(failures.size());
    return report;
}

ShardMergeReport mergeShardsIntoVersion(Project &project, const ModelVersion &candidate,
                                        const std::vector<fs::path> &folders)
{
    // Checked before anything is written: a refused merge must not even register the version.
    for (const fs::path &folder : folders) {
        const ShardManifest m = readShard(folder);
        if (m.modelFingerprint != candidate.fingerprint)
            throw Error(ErrorCode::InvalidArgument, (folder / kManifest).string(),
                        "model fingerprint " + m.modelFingerprint.substr(0, 12) + "... differs from "
                            + candidate.source.string() + " (" + candidate.fingerprint.substr(0, 12)
                            + "...): embedded with other weights");
    }
    const bool existed = findModelVersion(project, candidate.name).has_value();
    const ModelVersion version = registerModelVersion(project, candidate);
    try {
        return mergeShards(project, version, folders);
    } catch (...) {
        if (!existed) // registered by this call: take it back, so the project is as it was
            removeModelVersion(project, version);
        throw;
    }
}

} // namespace lookalike
