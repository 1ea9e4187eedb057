// Tensor names of Hugging Face's SiglipModel state_dict (transformers v4.45) and Siglip2Model's
// (transformers 5: the same names, a Linear patch embedding).
#include "core/checkpoint/SiglipNames.h"

namespace lookalike::siglip {

std::string towerTensor(Tower tower, std::string_view rest)
{
    std::string name(tower == Tower::Vision ? kVisionPrefix : kTextPrefix);
    name += rest;
    return name;
}

std::string layerTensor(Tower tower, int layer, std::string_view rest)
{
    return towerTensor(tower, "encoder.layers." + std::to_string(layer) + ".") + std::string(rest);
}

namespace {

void addEncoder(std::vector<TensorSpec> &out, Tower tower, const SiglipTowerConfig &c)
{
    const std::int64_t d = c.hiddenSize;
    const std::int64_t i = c.intermediateSize;
    for (int l = 0; l < c.numHiddenLayers; ++l) {
        for (const char *proj : {"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj"}) {
            out.push_back({layerTensor(tower, l, std::string(proj) + ".weight"), {d, d}});
            out.push_back({layerTensor(tower, l, std::string(proj) + ".bias"), {d}});
        }
        out.push_back({layerTensor(tower, l, "layer_norm1.weight"), {d}});
        out.push_back({layerTensor(tower, l, "layer_norm1.bias"), {d}});
        out.push_back({layerTensor(tower, l, "mlp.fc1.weight"), {i, d}});
        out.push_back({layerTensor(tower, l, "mlp.fc1.bias"), {i}});
        out.push_back({layerTensor(tower, l, "mlp.fc2.weight"), {d, i}});
        out.push_back({layerTensor(tower, l, "mlp.fc2.bias"), {d}});
        out.push_back({layerTensor(tower, l, "layer_norm2.weight"), {d}});
        out.push_back({layerTensor(tower, l, "layer_norm2.bias"), {d}});
    }
}

} // namespace

std::vector<TensorSpec> expectedTensors(const SiglipConfig &config)
{
    std::vector<TensorSpec> out;
    if (config.text) {
        const auto &t = *config.text;
        const std::int64_t d = t.hiddenSize;
        out.push_back({towerTensor(Tower::Text, "embeddings.token_embedding.weight"), {t.vocabSize, d}});
        out.push_back({towerTensor(Tower::Text, "embeddings.position_embedding.weight"), {t.maxPositionEmbeddings, d}});
        addEncoder(out, Tower::Text, t);
        out.push_back({towerTensor(Tower::Text, "final_layer_norm.weight"), {d}});
        out.push_back({towerTensor(Tower::Text, "final_layer_norm.bias"), {d}});
        out.push_back({towerTensor(Tower::Text, "head.weight"), {t.embeddingSize(), d}});
        out.push_back({towerTensor(Tower::Text, "head.bias"), {t.embeddingSize()}});
    }
    if (config.vision) {
        const auto &v = *config.vision;
        const std::int64_t d = v.hiddenSize;
        const std::int64_t i = v.intermediateSize;
        if (v.isNaflex()) // nn.Linear over patches flattened as (row, column, channel)
            out.push_back({towerTensor(Tower::Vision, "embeddings.patch_embedding.weight"), {d, v.patchValues()}});
        else // nn.Conv2d with stride = kernel = patch_size
            out.push_back({towerTensor(Tower::Vision, "embeddings.patch_embedding.weight"),
                           {d, v.numChannels, v.patchSize, v.patchSize}});
        out.push_back({towerTensor(Tower::Vision, "embeddings.patch_embedding.bias"), {d}});
        out.push_back({towerTensor(Tower::Vision, "embeddings.position_embedding.weight"), {v.numPatches(), d}});
        addEncoder(out, Tower::Vision, v);
        out.push_back({towerTensor(Tower::Vision, "post_layernorm.weight"), {d}});
        out.push_back({towerTensor(Tower::Vision, "post_layernorm.bias"), {d}});
        out.push_back({towerTensor(Tower::Vision, "head.probe"), {1, 1, d}});
        out.push_back({towerTensor(Tower::Vision, "head.attention.in_proj_weight"), {3 * d, d}});
        out.push_back({towerTensor(Tower::Vision, "head.attention.in_proj_bias"), {3 * d}});
        out.push_back({towerTensor(Tower::Vision, "head.attention.out_proj.weight"), {d, d}});
        out.push_back({towerTensor(Tower::Vision, "head.attention.out_proj.bias"), {d}});
        out.push_back({towerTensor(Tower::Vision, "head.layernorm.weight"), {d}});
        out.push_back({towerTensor(Tower::Vision, "head.layernorm.bias"), {d}});
        out.push_back({towerTensor(Tower::Vision, "head.mlp.fc1.weight"), {i, d}});
        out.push_back({towerTensor(Tower::Vision, "head.mlp.fc1.bias"), {i}});
        out.push_back({towerTensor(Tower::Vision, "head.mlp.fc2.weight"), {d, i}});
        out.push_back({towerTensor(Tower::Vision, "head.mlp.fc2.bias"), {d}});
    }
    if (config.isDualEncoder()) {
        out.push_back({kLogitScale, {1}});
        out.push_back({kLogitBias, {1}});
    }
    return out;
}

} // namespace lookalike::siglip
