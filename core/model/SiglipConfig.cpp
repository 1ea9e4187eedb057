// config.json parsing with Hugging Face's defaults (transformers v4.45 SiglipVisionConfig /
// SiglipTextConfig), type checks with the key named, and architecture validation.
#include "core/model/SiglipConfig.h"

#include "core/Error.h"
#include "core/model/SiglipNames.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <limits>

namespace lookalike {

namespace {

// Activations the towers implement (see SiglipModel.cpp).
bool isKnownActivation(const std::string &act)
{
    return act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_fast" || act == "gelu"
        || act == "quick_gelu" || act == "relu" || act == "silu";
}

class ConfigReader {
public:
    ConfigReader(const QJsonObject &object, std::string file, std::string scope)
        : m_object(object)
        , m_file(std::move(file))
        , m_scope(std::move(scope))
    {
    }

    void readInt(const char *key, int &out) const
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return; // keep the Hugging Face default
        const double d = v.toDouble(std::numeric_limits<double>::quiet_NaN());
        if (!v.isDouble() || std::floor(d) != d || d < 1 || d > std::numeric_limits<int>::max())
            fail(key, "must be a positive integer, got " + describe(v));
        out = static_cast<int>(d);
    }

    void readDouble(const char *key, double &out) const
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isDouble() || !std::isfinite(v.toDouble()))
            fail(key, "must be a number, got " + describe(v));
        out = v.toDouble();
    }

    void readString(const char *key, std::string &out) const
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isString())
            fail(key, "must be a string, got " + describe(v));
        out = v.toString().toStdString();
    }

    [[noreturn]] void fail(const char *key, const std::string &problem) const
    {
        throw Error(ErrorCode::MalformedConfig, m_file, m_scope + key, problem);
    }

private:
    static std::string describe(const QJsonValue &v)
    {
        QJsonArray wrapper{v};
        QByteArray text = QJsonDocument(wrapper).toJson(QJsonDocument::Compact);
        return text.mid(1, text.size() - 2).left(60).toStdString();
    }

    QJsonObject m_object;
    std::string m_file;
    std::string m_scope;
};

void readTower(const ConfigReader &r, SiglipTowerConfig &c)
{
    r.readInt("hidden_size", c.hiddenSize);
    r.readInt("intermediate_size", c.intermediateSize);
    r.readInt("num_hidden_layers", c.numHiddenLayers);
    r.readInt("num_attention_heads", c.numAttentionHeads);
    r.readString("hidden_act", c.hiddenAct);
    r.readDouble("layer_norm_eps", c.layerNormEps);
}

SiglipVisionConfig readVision(const QJsonObject &o, const std::string &file, const std::string &scope)
{
    ConfigReader r(o, file, scope);
    SiglipVisionConfig c;
    readTower(r, c);
    r.readInt("num_channels", c.numChannels);
    r.readInt("image_size", c.imageSize);
    r.readInt("patch_size", c.patchSize);
    return c;
}

SiglipTextConfig readText(const QJsonObject &o, const std::string &file, const std::string &scope)
{
    ConfigReader r(o, file, scope);
    SiglipTextConfig c;
    readTower(r, c);
    r.readInt("vocab_size", c.vocabSize);
    r.readInt("max_position_embeddings", c.maxPositionEmbeddings);
    r.readInt("projection_size", c.projectionSize);
    return c;
}

QJsonObject subObject(const QJsonObject &root, const char *key, const std::string &file)
{
    const QJsonValue v = root.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return {}; // Hugging Face: a missing sub-config means all defaults
    if (!v.isObject())
        throw Error(ErrorCode::MalformedConfig, file, key, "must be a JSON object");
    return v.toObject();
}

void validateTower(const SiglipTowerConfig &c, const std::string &file, const std::string &scope)
{
    if (c.hiddenSize % c.numAttentionHeads != 0)
        throw Error(ErrorCode::InvalidConfig, file, scope,
                    "hidden_size " + std::to_string(c.hiddenSize) + " is not divisible by num_attention_heads "
                        + std::to_string(c.numAttentionHeads));
    if (!isKnownActivation(c.hiddenAct))
        throw Error(ErrorCode::InvalidConfig, file, scope + "hidden_act",
                    "unsupported activation '" + c.hiddenAct + "'");
    if (!(c.layerNormEps > 0))
        throw Error(ErrorCode::InvalidConfig, file, scope + "layer_norm_eps", "must be positive");
}

void putTower(QJsonObject &o, const SiglipTowerConfig &c)
{
    o.insert(QStringLiteral("hidden_size"), c.hiddenSize);
    o.insert(QStringLiteral("intermediate_size"), c.intermediateSize);
    o.insert(QStringLiteral("num_hidden_layers"), c.numHiddenLayers);
    o.insert(QStringLiteral("num_attention_heads"), c.numAttentionHeads);
    o.insert(QStringLiteral("hidden_act"), QString::fromStdString(c.hiddenAct));
    o.insert(QStringLiteral("layer_norm_eps"), c.layerNormEps);
}

QJsonObject visionJson(const SiglipVisionConfig &c)
{
    QJsonObject o;
    putTower(o, c);
    o.insert(QStringLiteral("num_channels"), c.numChannels);
    o.insert(QStringLiteral("image_size"), c.imageSize);
    o.insert(QStringLiteral("patch_size"), c.patchSize);
    return o;
}

QJsonObject textJson(const SiglipTextConfig &c)
{
    QJsonObject o;
    putTower(o, c);
    o.insert(QStringLiteral("vocab_size"), c.vocabSize);
    o.insert(QStringLiteral("max_position_embeddings"), c.maxPositionEmbeddings);
    o.insert(QStringLiteral("projection_size"), c.embeddingSize());
    return o;
}

} // namespace

int SiglipConfig::embeddingSize() const
{
    if (vision)
        return vision->embeddingSize();
    return text ? text->embeddingSize() : 0;
}

SiglipConfig SiglipConfig::fromJson(const std::string &json, const std::string &file)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &err);
    if (err.error != QJsonParseError::NoError)
        throw Error(ErrorCode::MalformedConfig, file,
                    "not valid JSON (" + err.errorString().toStdString() + " at byte " + std::to_string(err.offset)
                        + ")");
    if (!doc.isObject())
        throw Error(ErrorCode::MalformedConfig, file, "must hold a JSON object");
    const QJsonObject root = doc.object();

    SiglipConfig config;
    ConfigReader(root, file, std::string()).readString("model_type", config.modelType);
    if (config.modelType == siglip::kModelTypeDual) {
        config.vision = readVision(subObject(root, "vision_config", file), file, "vision_config.");
        config.text = readText(subObject(root, "text_config", file), file, "text_config.");
    } else if (config.modelType == siglip::kModelTypeVision) {
        // SiglipVisionModel.save_pretrained writes the vision config at the top level.
        config.vision = readVision(root, file, std::string());
    } else if (config.modelType == siglip::kModelTypeText) {
        config.text = readText(root, file, std::string());
    } else {
        throw Error(ErrorCode::InvalidConfig, file, "model_type",
                    "'" + config.modelType + "' is not a SigLIP model (expected siglip, siglip_vision_model or "
                    "siglip_text_model)");
    }
    config.validate(file);
    return config;
}

SiglipConfig SiglipConfig::fromFile(const std::filesystem::path &path)
{
    QFile f(QString::fromStdString(path.string()));
    if (!f.exists())
        throw Error(ErrorCode::MissingConfig, path.string(), "file not found");
    if (!f.open(QIODevice::ReadOnly))
        throw Error(ErrorCode::FileUnreadable, path.string(), f.errorString().toStdString());
    return fromJson(f.readAll().toStdString(), path.string());
}

void SiglipConfig::validate(const std::string &file) const
{
    if (vision) {
        validateTower(*vision, file, "vision_config.");
        if (vision->numChannels != 3)
            throw Error(ErrorCode::InvalidConfig, file, "vision_config.num_channels",
                        std::to_string(vision->numChannels) + " channels: only RGB (3) models are supported");
        if (vision->patchSize > vision->imageSize)
            throw Error(ErrorCode::InvalidConfig, file, "vision_config.patch_size",
                        "patch_size " + std::to_string(vision->patchSize) + " is larger than image_size "
                            + std::to_string(vision->imageSize));
    }
    if (text)
        validateTower(*text, file, "text_config.");
    if (vision && text && vision->embeddingSize() != text->embeddingSize())
        throw Error(ErrorCode::InvalidConfig, file,
                    "image embeddings have " + std::to_string(vision->embeddingSize())
                        + " dimensions but text embeddings have " + std::to_string(text->embeddingSize())
                        + " (text_config.projection_size or hidden_size): they cannot be compared");
}

std::string SiglipConfig::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("model_type"), QString::fromStdString(modelType));
    if (vision)
        o.insert(QStringLiteral("vision"), visionJson(*vision));
    if (text)
        o.insert(QStringLiteral("text"), textJson(*text));
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

std::string SiglipConfig::toHuggingFaceJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("model_type"), QString::fromStdString(modelType));
    if (modelType == siglip::kModelTypeDual) {
        o.insert(QStringLiteral("architectures"), QJsonArray{QStringLiteral("SiglipModel")});
        QJsonObject v = visionJson(*vision);
        v.insert(QStringLiteral("model_type"), QLatin1String(siglip::kModelTypeVision));
        QJsonObject t = textJson(*text);
        t.insert(QStringLiteral("model_type"), QLatin1String(siglip::kModelTypeText));
        o.insert(QStringLiteral("vision_config"), v);
        o.insert(QStringLiteral("text_config"), t);
    } else if (vision) {
        o.insert(QStringLiteral("architectures"), QJsonArray{QStringLiteral("SiglipVisionModel")});
        const QJsonObject v = visionJson(*vision);
        for (auto it = v.begin(); it != v.end(); ++it)
            o.insert(it.key(), it.value());
    } else if (text) {
        o.insert(QStringLiteral("architectures"), QJsonArray{QStringLiteral("SiglipTextModel")});
        const QJsonObject t = textJson(*text);
        for (auto it = t.begin(); it != t.end(); ++it)
            o.insert(it.key(), it.value());
    }
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

} // namespace lookalike
