// The SigLIP graph in LibTorch (ATen ops only), shared by the model (SiglipModel.cpp) and its
// trainer (SiglipTrainer.cpp), the only two files that include this header. Mirrors
// transformers v4.45 modeling_siglip.py and transformers 5 modeling_siglip2.py, eager attention:
//   vision (FixRes):  conv patch embedding + positions -> encoder -> post_layernorm -> MAP head
//   vision (NaFlex):  linear patch embedding + the position grid resized to the image's patch
//                     grid -> encoder (padding masked) -> post_layernorm -> MAP head (masked)
//   text:   token + position embeddings -> encoder (no mask) -> final_layer_norm
//           -> last position -> head
// Shapes: pixels B x C x S x S, patches B x N x (p p C), ids B x L, hidden states B x T x D.
#pragma once

#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipConfig.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipModel.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lookalike::siglip_graph {

using siglip::Tower;

struct Linear {
    at::Tensor weight; // out x in
    at::Tensor bias; // out
    // bfloat16 copies when the model multiplies in bf16 (SiglipModel::setPrecision): the product
    // then runs in oneDNN's AVX512-BF16 kernels, its input rounded to bf16 and its output back
    // to float; everything between the products (norms, activations, attention) stays float.
    at::Tensor weight16, bias16;
    at::Tensor operator()(const at::Tensor &x) const
    {
        if (weight16.defined())
            return at::linear(x.to(at::kBFloat16), weight16, bias16).to(at::kFloat);
        return at::linear(x, weight, bias);
    }
    void setBf16(bool on)
    {
        weight16 = on ? weight.to(at::kBFloat16) : at::Tensor();
        bias16 = on && bias.defined() ? bias.to(at::kBFloat16) : at::Tensor();
    }
};

struct LayerNorm {
    at::Tensor weight;
    at::Tensor bias;
    double eps = 1e-6;
    at::Tensor operator()(const at::Tensor &x) const { return at::layer_norm(x, {weight.size(0)}, weight, bias, eps); }
};

enum class Activation { GeluTanh, GeluErf, QuickGelu, Relu, Silu };

inline Activation parseActivation(const std::string &name)
{
    // gelu_new and gelu_fast are the tanh approximation written out by hand in transformers;
    // they equal gelu(approximate="tanh") up to float rounding.
    if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast")
        return Activation::GeluTanh;
    if (name == "gelu")
        return Activation::GeluErf;
    if (name == "quick_gelu")
        return Activation::QuickGelu;
    if (name == "relu")
        return Activation::Relu;
    if (name == "silu")
        return Activation::Silu;
    throw Error(ErrorCode::InvalidConfig, {}, "hidden_act", "unsupported activation '" + name + "'");
}

inline at::Tensor activate(const at::Tensor &x, Activation act)
{
    switch (act) {
    case Activation::GeluTanh:
        return at::gelu(x, "tanh");
    case Activation::GeluErf:
        return at::gelu(x);
    case Activation::QuickGelu:
        return x * at::sigmoid(1.702 * x);
    case Activation::Relu:
        return at::relu(x);
    case Activation::Silu:
        return at::silu(x);
    }
    return x;
}

struct Mlp {
    Linear fc1, fc2;
    at::Tensor operator()(const at::Tensor &x, Activation act) const { return fc2(activate(fc1(x), act)); }
};

// Scaled dot-product attention over heads. q: B x Lq x D, k/v: B x Lk x D -> B x Lq x D.
// `mask`, if defined, is added to the scores: B x 1 x 1 x Lk, 0 for a real key and float's
// lowest for padding (transformers' _prepare_4d_attention_mask).
inline at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, int heads,
                            const at::Tensor &mask = {})
{
    const auto b = q.size(0), lq = q.size(1), lk = k.size(1), d = q.size(2);
    const auto hd = d / heads;
    auto split = [&](const at::Tensor &t, std::int64_t len) { return t.view({b, len, heads, hd}).transpose(1, 2); };
    const at::Tensor qh = split(q, lq), kh = split(k, lk), vh = split(v, lk);
    at::Tensor scores = at::matmul(qh, kh.transpose(2, 3)) * (1.0 / std::sqrt(static_cast<double>(hd)));
    if (mask.defined())
        scores = scores + mask;
    scores = at::softmax(scores, -1, at::kFloat);
    return at::matmul(scores, vh).transpose(1, 2).contiguous().view({b, lq, d});
}

struct EncoderLayer {
    LayerNorm norm1, norm2;
    Linear q, k, v, out;
    Mlp mlp;
};

struct Encoder {
    std::vector<EncoderLayer> layers;
    int heads = 1;
    Activation act = Activation::GeluTanh;

    // The encoder's projections and MLPs (all but a few percent of its FLOPs) in bf16 or float.
    void setBf16(bool on)
    {
        for (EncoderLayer &l : layers)
            for (Linear *p : {&l.q, &l.k, &l.v, &l.out, &l.mlp.fc1, &l.mlp.fc2})
                p->setBf16(on);
    }

    // Runs every layer; `states`, if given, receives the output of each layer. `mask` as for
    // attention().
    at::Tensor operator()(at::Tensor x, std::vector<at::Tensor> *states, const at::Tensor &mask = {}) const
    {
        for (const EncoderLayer &l : layers) {
            const at::Tensor h = l.norm1(x);
            x = x + l.out(attention(l.q(h), l.k(h), l.v(h), heads, mask));
            x = x + l.mlp(l.norm2(x), act);
            if (states)
                states->push_back(x);
        }
        return x;
    }
};

// Reads tensors from a validated safetensors file, checking each shape against the config.
class WeightReader {
public:
    explicit WeightReader(const SafetensorsFile &file)
        : m_file(file)
    {
    }

    at::Tensor get(const std::string &name, const std::vector<std::int64_t> &shape) const
    {
        m_file.requireShape(name, shape);
        at::Tensor t = at::empty(shape, at::kFloat);
        m_file.readFloat32(name, {t.data_ptr<float>(), static_cast<std::size_t>(t.numel())});
        if (m_registry)
            m_registry->emplace(name, t); // the same tensor: training updates what the towers use
        return t;
    }
    // Training: every tensor read is also recorded by its Hugging Face name.
    void recordInto(std::map<std::string, at::Tensor> *registry) { m_registry = registry; }
    Linear linear(const std::string &prefix, std::int64_t out, std::int64_t in) const
    {
        return {get(prefix + ".weight", {out, in}), get(prefix + ".bias", {out}), {}, {}};
    }
    LayerNorm layerNorm(const std::string &prefix, std::int64_t d, double eps) const
    {
        return {get(prefix + ".weight", {d}), get(prefix + ".bias", {d}), eps};
    }

    Encoder encoder(Tower tower, const SiglipTowerConfig &c) const
    {
        Encoder e;
        e.heads = c.numAttentionHeads;
        e.act = parseActivation(c.hiddenAct);
        const std::int64_t d = c.hiddenSize, i = c.intermediateSize;
        for (int l = 0; l < c.numHiddenLayers; ++l) {
            auto name = [&](const char *rest) { return siglip::layerTensor(tower, l, rest); };
            e.layers.push_back(
                {layerNorm(name("layer_norm1"), d, c.layerNormEps), layerNorm(name("layer_norm2"), d, c.layerNormEps),
                    linear(name("self_attn.q_proj"), d, d), linear(name("self_attn.k_proj"), d, d),
                    linear(name("self_attn.v_proj"), d, d), linear(name("self_attn.out_proj"), d, d),
                    Mlp{linear(name("mlp.fc1"), i, d), linear(name("mlp.fc2"), d, i)}});
        }
        return e;
    }

private:
    const SafetensorsFile &m_file;
    std::map<std::string, at::Tensor> *m_registry = nullptr;
};

struct VisionTower {
    SiglipVisionConfig config;
    at::Tensor patchWeight, patchBias, positions;
    Encoder encoder;
    LayerNorm postNorm;
    // Multihead attention pooling head (nn.MultiheadAttention with a learned probe).
    at::Tensor probe;
    Linear headIn; // in_proj: rows q, k, v; sliced per forward (views, so training updates reach them)
    Linear headOut;
    LayerNorm headNorm;
    Mlp headMlp;

    VisionTower(const WeightReader &w, const SiglipVisionConfig &c)
        : config(c)
    {
        const std::int64_t d = c.hiddenSize, i = c.intermediateSize;
        auto name = [](const char *rest) { return siglip::towerTensor(Tower::Vision, rest); };
        if (c.isNaflex())
            patchWeight = w.get(name("embeddings.patch_embedding.weight"), {d, c.patchValues()});
        else
            patchWeight = w.get(name("embeddings.patch_embedding.weight"), {d, c.numChannels, c.patchSize, c.patchSize});
        patchBias = w.get(name("embeddings.patch_embedding.bias"), {d});
        positions = w.get(name("embeddings.position_embedding.weight"), {c.numPatches(), d});
        encoder = w.encoder(Tower::Vision, c);
        postNorm = w.layerNorm(name("post_layernorm"), d, c.layerNormEps);
        probe = w.get(name("head.probe"), {1, 1, d});
        // in_proj rows are ordered q, k, v.
        headIn = {w.get(name("head.attention.in_proj_weight"), {3 * d, d}),
            w.get(name("head.attention.in_proj_bias"), {3 * d}), {}, {}};
        headOut = w.linear(name("head.attention.out_proj"), d, d);
        headNorm = w.layerNorm(name("head.layernorm"), d, c.layerNormEps);
        headMlp = {w.linear(name("head.mlp.fc1"), i, d), w.linear(name("head.mlp.fc2"), d, i)};
    }

    // FixRes. pixels: B x C x S x S -> pooled B x D.
    at::Tensor forward(const at::Tensor &pixels, SiglipModel::Trace *trace) const
    {
        at::Tensor x = at::conv2d(pixels, patchWeight, patchBias, {config.patchSize, config.patchSize});
        x = x.flatten(2).transpose(1, 2) + positions; // B x N x D, patches in row-major order
        return encodeAndPool(x, at::Tensor(), trace);
    }

    // NaFlex. patches: B x N x (p p C), image i's first rows[i] x cols[i] rows real (row-major
    // patch order), the rest padding -> pooled B x D. `gridFor(rows, cols)` gives the resized
    // position grid (rows cols x D) for one patch-grid shape.
    template<typename GridFor>
    at::Tensor forwardPatches(const at::Tensor &patches, const std::vector<std::pair<int, int>> &shapes,
                              const GridFor &gridFor, SiglipModel::Trace *trace) const
    {
        const std::int64_t b = patches.size(0), n = patches.size(1), d = config.hiddenSize;
        at::Tensor pos = at::empty({b, n, d}, at::kFloat);
        at::Tensor mask = at::zeros({b, 1, 1, n}, at::kFloat);
        for (std::int64_t i = 0; i < b; ++i) {
            const auto [rows, cols] = shapes[static_cast<std::size_t>(i)];
            const std::int64_t valid = std::int64_t{rows} * cols;
            const at::Tensor grid = gridFor(rows, cols);
            pos[i].slice(0, 0, valid).copy_(grid);
            if (valid < n) { // transformers fills the padding rows with the first position
                pos[i].slice(0, valid, n).copy_(grid[0].expand({n - valid, d}));
                mask[i].slice(2, valid, n).fill_(std::numeric_limits<float>::lowest());
            }
        }
        const at::Tensor x = at::linear(patches, patchWeight, patchBias) + pos;
        return encodeAndPool(x, mask, trace);
    }

    // Siglip2VisionEmbeddings.resize_positional_embeddings for one shape: the square grid
    // (side x side x D) interpolated to rows x cols, bilinear with antialias, as rows cols x D.
    at::Tensor resizedPositions(int rows, int cols) const
    {
        const std::int64_t side = config.patchesPerSide(), d = config.hiddenSize;
        const at::Tensor grid = positions.reshape({side, side, d}).permute({2, 0, 1}).unsqueeze(0);
        const at::Tensor resized = at::_upsample_bilinear2d_aa(grid, {rows, cols}, false, c10::nullopt, c10::nullopt);
        return resized.reshape({d, std::int64_t{rows} * cols}).transpose(0, 1).contiguous();
    }

    // Embedded patches B x N x D -> encoder -> post_layernorm -> attention pooling -> B x D.
    at::Tensor encodeAndPool(at::Tensor x, const at::Tensor &mask, SiglipModel::Trace *trace) const
    {
        std::vector<at::Tensor> states;
        if (trace)
            states.push_back(x);
        x = encoder(x, trace ? &states : nullptr, mask);
        x = postNorm(x);
        const at::Tensor q = probe.expand({x.size(0), 1, x.size(2)});
        const std::int64_t d = x.size(2);
        auto part = [&](int i, const at::Tensor &in) { // rows [i d, (i + 1) d) of in_proj: contiguous views
            return at::linear(in, headIn.weight.slice(0, i * d, (i + 1) * d), headIn.bias.slice(0, i * d, (i + 1) * d));
        };
        at::Tensor h = headOut(attention(part(0, q), part(1, x), part(2, x), encoder.heads, mask));
        h = h + headMlp(headNorm(h), encoder.act);
        at::Tensor pooled = h.select(1, 0);
        if (trace)
            recordTrace(*trace, states, x, pooled);
        return pooled;
    }

    static void recordTrace(SiglipModel::Trace &trace, const std::vector<at::Tensor> &states, const at::Tensor &norm,
        const at::Tensor &pooled);
};

struct TextTower {
    SiglipTextConfig config;
    at::Tensor tokens, positions;
    Encoder encoder;
    LayerNorm finalNorm;
    Linear head;

    TextTower(const WeightReader &w, const SiglipTextConfig &c)
        : config(c)
    {
        const std::int64_t d = c.hiddenSize;
        auto name = [](const char *rest) { return siglip::towerTensor(Tower::Text, rest); };
        tokens = w.get(name("embeddings.token_embedding.weight"), {c.vocabSize, d});
        positions = w.get(name("embeddings.position_embedding.weight"), {c.maxPositionEmbeddings, d});
        encoder = w.encoder(Tower::Text, c);
        finalNorm = w.layerNorm(name("final_layer_norm"), d, c.layerNormEps);
        head = w.linear(name("head"), c.embeddingSize(), d);
    }

    // ids: B x L (int64) -> B x D. No attention mask: the official path (see README).
    at::Tensor forward(const at::Tensor &ids, SiglipModel::Trace *trace) const
    {
        at::Tensor x = at::embedding(tokens, ids) + positions.slice(0, 0, ids.size(1));
        std::vector<at::Tensor> states;
        if (trace)
            states.push_back(x);
        x = finalNorm(encoder(x, trace ? &states : nullptr));
        at::Tensor pooled = head(x.select(1, x.size(1) - 1)); // the last position
        if (trace)
            VisionTower::recordTrace(*trace, states, x, pooled);
        return pooled;
    }
};

inline FloatMatrix toMatrix(const at::Tensor &t2d)
{
    const at::Tensor c = t2d.contiguous();
    FloatMatrix m(c.size(0), c.size(1));
    std::memcpy(m.data.data(), c.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

inline void VisionTower::recordTrace(
    SiglipModel::Trace &trace, const std::vector<at::Tensor> &states, const at::Tensor &norm, const at::Tensor &pooled)
{
    for (const at::Tensor &s : states)
        trace.hiddenStates.push_back(toMatrix(s.select(0, 0)));
    trace.finalNorm = toMatrix(norm.select(0, 0));
    trace.pooled = toMatrix(pooled);
}

inline bool hasTensorWithPrefix(const SafetensorsFile &file, std::string_view prefix)
{
    for (const std::string &name : file.tensorNames())
        if (name.compare(0, prefix.size(), prefix) == 0)
            return true;
    return false;
}

inline at::Tensor pixelTensor(std::span<const float> pixelValues, std::int64_t count, const SiglipVisionConfig &c)
{
    const std::int64_t per = static_cast<std::int64_t>(c.numChannels) * c.imageSize * c.imageSize;
    if (count < 0 || static_cast<std::int64_t>(pixelValues.size()) != count * per)
        throw Error(ErrorCode::InvalidArgument, {},
            "pixel values hold " + std::to_string(pixelValues.size()) + " floats, expected " + std::to_string(count)
                + " x " + std::to_string(per));
    // from_blob does not copy; the span outlives the forward pass.
    return at::from_blob(
        const_cast<float *>(pixelValues.data()), {count, c.numChannels, c.imageSize, c.imageSize}, at::kFloat);
}

inline at::Tensor idTensor(const std::vector<std::vector<std::int64_t>> &ids, const SiglipTextConfig &c)
{
    const std::size_t len = ids.empty() ? 0 : ids.front().size();
    if (len == 0 || len > static_cast<std::size_t>(c.maxPositionEmbeddings))
        throw Error(ErrorCode::InvalidArgument, {},
            "token sequences must have 1 to " + std::to_string(c.maxPositionEmbeddings) + " ids, got "
                + std::to_string(len));
    at::Tensor t = at::empty({static_cast<std::int64_t>(ids.size()), static_cast<std::int64_t>(len)}, at::kLong);
    std::int64_t *out = t.data_ptr<std::int64_t>();
    for (const auto &seq : ids) {
        if (seq.size() != len)
            throw Error(ErrorCode::InvalidArgument, {}, "token sequences in one batch must have the same length");
        for (std::int64_t id : seq) {
            if (id < 0 || id >= c.vocabSize)
                throw Error(ErrorCode::InvalidArgument, {},
                    "token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(c.vocabSize));
            *out++ = id;
        }
    }
    return t;
}

} // namespace lookalike::siglip_graph
