// config.json parsing with Hugging Face's defaults (transformers v4.45 SiglipVisionConfig /
// SiglipTextConfig, transformers 5 Siglip2VisionConfig / Siglip2TextConfig), type checks with the
// key named, and architecture validation.
#include "core/checkpoint/SiglipConfig.h"

#include "core/Error.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/util/JsonFields.h"
#include "core/util/RegularFile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace lookalike {

namespace {

// Activations the towers implement (see SiglipModel.cpp).
bool isKnownActivation(const std::string &act)
{
    return act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_fast" || act == "gelu"
        || act == "quick_gelu" || act == "relu" || act == "silu";
}

// One level of config.json. Hugging Face keeps its default for a key that is missing or null.
class Keys {
public:
    Keys(const QJsonObject &object, const std::string &file, const std::string &prefix)
        : m_object(object)
        , m_fields(file, prefix)
    {
    }

    void positiveInteger(const char *key, int &out) const
    {
        if (const QJsonValue v = m_object.value(QLatin1String(key)); given(v))
            out = m_fields.positiveInteger(v, key);
    }

    void number(const char *key, double &out) const
    {
        if (const QJsonValue v = m_object.value(QLatin1String(key)); given(v))
            out = m_fields.number(v, key);
    }

    void string(const char *key, std::string &out) const
    {
        if (const QJsonValue v = m_object.value(QLatin1String(key)); given(v))
            out = m_fields.string(v, key);
    }

private:
    static bool given(const QJsonValue &v) { return !v.isUndefined() && !v.isNull(); }

    QJsonObject m_object;
    JsonFields m_fields;
};

void readTower(const Keys &r, SiglipTowerConfig &c)
{
    r.positiveInteger("hidden_size", c.hiddenSize);
    r.positiveInteger("intermediate_size", c.intermediateSize);
    r.positiveInteger("num_hidden_layers", c.numHiddenLayers);
    r.positiveInteger("num_attention_heads", c.numAttentionHeads);
    r.string("hidden_act", c.hiddenAct);
    r.number("layer_norm_eps", c.layerNormEps);
}

SiglipVisionConfig readVision(const QJsonObject &o, const std::string &file, const std::string &scope, bool naflex)
{
    const Keys r(o, file, scope);
    SiglipVisionConfig c;
    readTower(r, c);
    r.positiveInteger("num_channels", c.numChannels);
    r.positiveInteger("patch_size", c.patchSize);
    if (naflex) {
        c.naflexPatches = 256; // Siglip2VisionConfig's default
        r.positiveInteger("num_patches", c.naflexPatches);
    } else {
        r.positiveInteger("image_size", c.imageSize);
    }
    return c;
}

SiglipTextConfig readText(const QJsonObject &o, const std::string &file, const std::string &scope)
{
    const Keys r(o, file, scope);
    SiglipTextConfig c;
    readTower(r, c);
    r.positiveInteger("vocab_size", c.vocabSize);
    r.positiveInteger("max_position_embeddings", c.maxPositionEmbeddings);
    r.positiveInteger("projection_size", c.projectionSize);
    return c;
}

QJsonObject subObject(const QJsonObject &root, const char *key, const std::string &file)
{
    const QJsonValue v = root.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return {}; // Hugging Face: a missing sub-config means all defaults
    if (!v.isObject())
        JsonFields(file).malformed(key, "a JSON object", v);
    return v.toObject();
}

// The most floats one preprocessed image may take (8 GiB): far above any SigLIP (384 x 384 x 3
// is 442,368), low enough that a typo in image_size fails here and not in an allocation.
constexpr std::int64_t kMaxPixelValues = std::int64_t{1} << 31;

// Far above any published SigLIP (so400m: 27 layers, width 1152, MLP 4304, 16 heads; Gemma's
// vocabulary 256,000), far below what would exhaust memory merely listing the tensors a config
// implies: a num_hidden_layers of 2e9 once made that list grow past 2 GB (found by fuzz_config).
void checkAtMost(int value, int most, const std::string &file, const std::string &key)
{
    if (value > most)
        throw Error(ErrorCode::InvalidConfig, file, key,
                    std::to_string(value) + " is too large (at most " + std::to_string(most) + " is read)");
}

void validateTower(const SiglipTowerConfig &c, const std::string &file, const std::string &scope)
{
    checkAtMost(c.numHiddenLayers, 1024, file, scope + "num_hidden_layers");
    checkAtMost(c.hiddenSize, 1 << 16, file, scope + "hidden_size");
    checkAtMost(c.intermediateSize, 1 << 18, file, scope + "intermediate_size");
    checkAtMost(c.numAttentionHeads, 1024, file, scope + "num_attention_heads");
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
    if (c.isNaflex())
        o.insert(QStringLiteral("num_patches"), c.naflexPatches);
    else
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

int SiglipVisionConfig::patchesPerSide() const
{
    if (!isNaflex())
        return imageSize / patchSize;
    int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(naflexPatches))));
    return side;
}

bool SiglipConfig::isSiglip2() const
{
    return modelType == siglip::kModelTypeDual2 || modelType == siglip::kModelTypeVision2
        || modelType == siglip::kModelTypeText2;
}

int SiglipConfig::embeddingSize() const
{
    if (vision)
        return vision->embeddingSize();
    return text ? text->embeddingSize() : 0;
}

SiglipConfig SiglipConfig::fromJson(const std::string &json, const std::string &file)
{
    const QJsonObject root = parseJsonObject(QByteArray::fromStdString(json), file);

    SiglipConfig config;
    Keys(root, file, std::string()).string("model_type", config.modelType);
    const bool naflex = config.isSiglip2();
    if (config.modelType == siglip::kModelTypeDual || config.modelType == siglip::kModelTypeDual2) {
        config.vision = readVision(subObject(root, "vision_config", file), file, "vision_config.", naflex);
        config.text = readText(subObject(root, "text_config", file), file, "text_config.");
    } else if (config.modelType == siglip::kModelTypeVision || config.modelType == siglip::kModelTypeVision2) {
        // SiglipVisionModel.save_pretrained writes the vision config at the top level.
        config.vision = readVision(root, file, std::string(), naflex);
    } else if (config.modelType == siglip::kModelTypeText || config.modelType == siglip::kModelTypeText2) {
        config.text = readText(root, file, std::string());
    } else {
        throw Error(ErrorCode::InvalidConfig, file, "model_type",
                    "'" + config.modelType + "' is not a SigLIP model (expected siglip, siglip2, or their "
                    "_vision_model / _text_model)");
    }
    config.validate(file);
    return config;
}

SiglipConfig SiglipConfig::fromFile(const std::filesystem::path &path)
{
    QFile f(QString::fromStdString(path.string()));
    if (!f.exists())
        throw Error(ErrorCode::MissingConfig, path.string(), "file not found");
    requireRegularFile(path, kJsonSettingsLimit);
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
        if (vision->isNaflex()) {
            const int side = vision->patchesPerSide();
            if (std::int64_t{side} * side != vision->naflexPatches)
                throw Error(ErrorCode::InvalidConfig, file, "vision_config.num_patches",
                            std::to_string(vision->naflexPatches)
                                + " is not a square number: the position embeddings form a square grid");
            if (vision->patchSize > 4096 || vision->naflexPatches > (1 << 20))
                throw Error(ErrorCode::InvalidConfig, file, "vision_config.patch_size",
                            "patch_size " + std::to_string(vision->patchSize) + " with num_patches "
                                + std::to_string(vision->naflexPatches) + " is too large");
        }
        // One preprocessed image is channels x size x size floats; computed with overflow checks
        // (image_size 1000000000 once wrapped around to a negative shape).
        std::int64_t perImage = 0;
        if (__builtin_mul_overflow(std::int64_t{vision->imageSize}, std::int64_t{vision->imageSize}, &perImage)
            || __builtin_mul_overflow(perImage, std::int64_t{vision->numChannels}, &perImage)
            || perImage > kMaxPixelValues)
            throw Error(ErrorCode::InvalidConfig, file, "vision_config.image_size",
                        "image_size " + std::to_string(vision->imageSize) + " is too large: an image would need more than "
                            + std::to_string(kMaxPixelValues) + " pixel values (" + std::to_string(kMaxPixelValues / 3)
                            + " per channel at most)");
        if (!vision->isNaflex() && vision->patchSize > vision->imageSize)
            throw Error(ErrorCode::InvalidConfig, file, "vision_config.patch_size",
                        "patch_size " + std::to_string(vision->patchSize) + " is larger than image_size "
                            + std::to_string(vision->imageSize));
    }
    if (text) {
        validateTower(*text, file, "text_config.");
        checkAtMost(text->vocabSize, 1 << 24, file, "text_config.vocab_size");
        checkAtMost(text->maxPositionEmbeddings, 1 << 20, file, "text_config.max_position_embeddings");
    }
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
    const bool two = isSiglip2();
    if (modelType == siglip::kModelTypeDual || modelType == siglip::kModelTypeDual2) {
        o.insert(QStringLiteral("architectures"), QJsonArray{two ? QStringLiteral("Siglip2Model") : QStringLiteral("SiglipModel")});
        QJsonObject v = visionJson(*vision);
        v.insert(QStringLiteral("model_type"), QLatin1String(two ? siglip::kModelTypeVision2 : siglip::kModelTypeVision));
        QJsonObject t = textJson(*text);
        t.insert(QStringLiteral("model_type"), QLatin1String(two ? siglip::kModelTypeText2 : siglip::kModelTypeText));
        o.insert(QStringLiteral("vision_config"), v);
        o.insert(QStringLiteral("text_config"), t);
    } else if (vision) {
        o.insert(QStringLiteral("architectures"),
                 QJsonArray{two ? QStringLiteral("Siglip2VisionModel") : QStringLiteral("SiglipVisionModel")});
        const QJsonObject v = visionJson(*vision);
        for (auto it = v.begin(); it != v.end(); ++it)
            o.insert(it.key(), it.value());
    } else if (text) {
        o.insert(QStringLiteral("architectures"),
                 QJsonArray{two ? QStringLiteral("Siglip2TextModel") : QStringLiteral("SiglipTextModel")});
        const QJsonObject t = textJson(*text);
        for (auto it = t.begin(); it != t.end(); ++it)
            o.insert(it.key(), it.value());
    }
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

} // namespace lookalike
