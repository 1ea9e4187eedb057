// Registering and finding model versions; fingerprints.
#include "core/project/ModelVersion.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/model/SiglipImageEncoder.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/TorchScriptEncoder.h"
#include "core/project/Project.h"
#include "core/project/Sql.h"
#include "core/util/RegularFile.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace lookalike {

namespace fs = std::filesystem;

const char *modelKindName(ModelKind kind)
{
    switch (kind) {
    case ModelKind::Siglip:
        return "siglip";
    case ModelKind::TorchScript:
        return "torchscript";
    case ModelKind::Precomputed:
        return "precomputed";
    case ModelKind::Run:
        return "run";
    }
    return "?";
}

ModelKind parseModelKind(const std::string &name)
{
    for (ModelKind k : {ModelKind::Siglip, ModelKind::TorchScript, ModelKind::Precomputed, ModelKind::Run})
        if (name == modelKindName(k))
            return k;
    throw Error(ErrorCode::InvalidArgument, {},
        "unknown model kind '" + name + "' (siglip, torchscript, precomputed or run)");
}

ModelKind detectModelKind(const fs::path &source)
{
    if (fs::is_directory(source)) {
        if (fs::exists(source / siglip::kConfigFile))
            return ModelKind::Siglip;
        throw Error(ErrorCode::FileNotFound, (source / siglip::kConfigFile).string(),
            "not a Hugging Face checkpoint folder (no config.json)");
    }
    if (!fs::exists(source))
        throw Error(ErrorCode::FileNotFound, source.string(), "model not found");
    return source.extension() == ".npy" ? ModelKind::Precomputed : ModelKind::TorchScript;
}

fs::path weightsFile(ModelKind kind, const fs::path &source)
{
    return kind == ModelKind::Siglip ? source / siglip::kWeightsFile : source;
}

std::string sha256OfFile(const fs::path &file)
{
    if (QFile::exists(QString::fromStdString(file.string())))
        requireRegularFile(file, kWeightsLimit); // hashed in chunks, never held whole
    QFile f(QString::fromStdString(file.string()));
    if (!f.open(QIODevice::ReadOnly))
        throw Error(f.exists() ? ErrorCode::FileUnreadable : ErrorCode::FileNotFound, file.string(),
            f.errorString().toStdString());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&f))
        throw Error(ErrorCode::FileUnreadable, file.string(), "read error while fingerprinting");
    return hash.result().toHex().toStdString();
}

namespace {

ModelVersion versionFromRow(const Sql &q)
{
    ModelVersion v;
    v.id = q.int64(0);
    v.name = q.text(1);
    v.kind = parseModelKind(q.text(2));
    v.source = q.text(3);
    v.fingerprint = q.text(4);
    v.dimension = static_cast<int>(q.int64(5));
    v.config = q.text(6);
    v.createdAt = q.text(7);
    return v;
}

const QString kSelect
    = QStringLiteral("SELECT id, name, kind, source, fingerprint, dimension, config, created_at FROM model_versions");

void checkName(const std::string &name)
{
    if (name.empty() || name.size() > 100)
        throw Error(ErrorCode::InvalidArgument, {}, "a model version name must have 1 to 100 characters");
    for (unsigned char c : name)
        if (c < 0x20 || c == '/' || c == '\\')
            throw Error(ErrorCode::InvalidArgument, {},
                "model version name '" + name + "' may not contain '/', '\\' or control characters");
}

} // namespace

std::optional<ModelVersion> findModelVersion(const Project &project, const std::string &name)
{
    Sql q(project.database(), project.databaseFile().string(), kSelect + QStringLiteral(" WHERE name = ?"));
    q.bind(name).exec();
    if (!q.next())
        return std::nullopt;
    return versionFromRow(q);
}

std::vector<ModelVersion> modelVersions(const Project &project)
{
    Sql q(project.database(), project.databaseFile().string(), kSelect + QStringLiteral(" ORDER BY id"));
    std::vector<ModelVersion> out;
    for (q.exec(); q.next();)
        out.push_back(versionFromRow(q));
    return out;
}

ModelVersion requireModelVersion(const Project &project, const std::string &name)
{
    if (auto v = findModelVersion(project, name))
        return *v;
    std::string known;
    for (const ModelVersion &v : modelVersions(project))
        known += (known.empty() ? "" : ", ") + v.name;
    throw Error(ErrorCode::NotFound, project.databaseFile().string(),
        "no model version named '" + name + "'" + (known.empty() ? " (none indexed yet)" : " (known: " + known + ")"));
}

ModelVersion precomputedVersion(
    const std::string &name, const std::filesystem::path &npy, const std::filesystem::path &ids)
{
    ModelVersion v;
    v.name = name;
    v.kind = ModelKind::Precomputed;
    v.source = npy;
    v.dimension = static_cast<int>(npyMatrixShape(npy).second);
    v.config = QJsonDocument(QJsonObject{{QStringLiteral("ids_sha256"), QString::fromStdString(sha256OfFile(ids))}})
                   .toJson(QJsonDocument::Compact)
                   .toStdString();
    v.fingerprint = sha256OfFile(npy);
    return v;
}

ModelVersion registerModelVersion(Project &project, const ModelVersion &candidate)
{
    checkName(candidate.name);
    if (auto existing = findModelVersion(project, candidate.name)) {
        auto differs = [&](const char *what, const std::string &stored, const std::string &now) {
            throw Error(ErrorCode::InvalidArgument, project.databaseFile().string(),
                "model version '" + candidate.name + "' already exists with a different " + what + " ("
                    + stored.substr(0, 16) + " vs " + now.substr(0, 16)
                    + "); results must not be attributed to another model: choose a new --name");
        };
        if (existing->kind != candidate.kind)
            differs("kind", modelKindName(existing->kind), modelKindName(candidate.kind));
        if (existing->fingerprint != candidate.fingerprint)
            differs("fingerprint (sha256 of the weights)", existing->fingerprint, candidate.fingerprint);
        if (existing->dimension != candidate.dimension)
            differs("dimension", std::to_string(existing->dimension), std::to_string(candidate.dimension));
        if (existing->config != candidate.config)
            differs("configuration", existing->config, candidate.config);
        return *existing;
    }
    Sql insert(project.database(), project.databaseFile().string(),
        QStringLiteral("INSERT INTO model_versions (name, kind, source, fingerprint, dimension, config, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.bind(candidate.name)
        .bind(std::string(modelKindName(candidate.kind)))
        .bind(fs::absolute(candidate.source).lexically_normal().string())
        .bind(candidate.fingerprint)
        .bind(std::int64_t(candidate.dimension))
        .bind(candidate.config)
        .bind(nowIso8601())
        .exec();
    return requireModelVersion(project, candidate.name);
}

fs::path modelDirectory(const Project &project, const ModelVersion &version)
{
    const fs::path dir = project.folder() / "models" / std::to_string(version.id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(ErrorCode::FileUnreadable, dir.string(), "cannot create folder: " + ec.message());
    return dir;
}

std::unique_ptr<ImageEncoder> openImageEncoder(const ModelVersion &version, int threads, int batchSize)
{
    switch (version.kind) {
    case ModelKind::Siglip: {
        SiglipPipeline::Options options;
        options.threads = threads;
        options.batchSize = batchSize;
        options.precision = versionPrecision(version);
        return SiglipImageEncoder::load(version.source, options);
    }
    case ModelKind::TorchScript:
        SiglipModel::setThreadCount(threads); // the process-wide LibTorch setting
        return TorchScriptEncoder::load(version.source);
    case ModelKind::Precomputed:
        break;
    case ModelKind::Run:
        requireEmbeddings(version, "embed images");
        break;
    }
    throw Error(ErrorCode::Unsupported, version.source.string(),
        "model version '" + version.name + "' holds precomputed embeddings and has no image encoder");
}

void requireEmbeddings(const ModelVersion &version, const std::string &doing)
{
    if (version.kind == ModelKind::Run)
        throw Error(ErrorCode::Unsupported, version.source.string(),
            "model version '" + version.name + "' was imported from another system's result lists (import-run): "
                "it has lists for its queries but no embeddings, so it cannot " + doing);
}

Precision versionPrecision(const ModelVersion &version)
{
    return configPrecision(version.config);
}

Precision configPrecision(const std::string &configJson)
{
    const QJsonObject config = QJsonDocument::fromJson(QByteArray::fromStdString(configJson)).object();
    return config.value(QStringLiteral("precision")).toString() == QLatin1String("bf16") ? Precision::Bf16 : Precision::Fp32;
}

Precision resolvePrecision(const Project &project, const std::string &name, ModelKind kind,
                           std::optional<Precision> asked)
{
    if (asked)
        return *asked;
    if (kind != ModelKind::Siglip)
        return Precision::Fp32;
    if (const std::optional<ModelVersion> existing = findModelVersion(project, name))
        return versionPrecision(*existing);
    return automaticPrecision();
}

OpenedModel openModelVersion(const std::string &name, ModelKind kind, const fs::path &source, int threads,
                             int batchSize, const std::function<void(const fs::path &)> &beforeFingerprint,
                             Precision precision)
{
    if (precision == Precision::Bf16 && kind != ModelKind::Siglip)
        throw Error(ErrorCode::InvalidArgument, source.string(),
                    "bf16 precision is for SigLIP checkpoints; a " + std::string(modelKindName(kind)) + " model runs in fp32");
    OpenedModel opened;
    ModelVersion &candidate = opened.candidate;
    candidate.name = name;
    candidate.kind = kind;
    candidate.source = source;
    if (precision == Precision::Bf16)
        candidate.config = R"({"precision":"bf16"})"; // what openImageEncoder reads
    opened.encoder = openImageEncoder(candidate, threads, batchSize);
    candidate.dimension = opened.encoder->dimension();
    candidate.config = opened.encoder->configJson();
    if (beforeFingerprint)
        beforeFingerprint(weightsFile(kind, source));
    candidate.fingerprint = sha256OfFile(weightsFile(kind, source));
    return opened;
}

void removeModelVersion(Project &project, const ModelVersion &version)
{
    Sql(project.database(), project.databaseFile().string(), QStringLiteral("DELETE FROM model_versions WHERE id = ?"))
        .bind(version.id)
        .exec();
}

} // namespace lookalike
