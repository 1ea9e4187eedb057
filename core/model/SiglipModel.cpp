// The SigLIP towers on LibTorch (ATen ops only; the one translation unit of the project
// that includes LibTorch headers, so it compiles once and keeps Qt's macros away).
// Mirrors transformers v4.45 modeling_siglip.py with eager attention:
//   vision: conv patch embedding + positions -> encoder -> post_layernorm -> MAP head
//   text:   token + position embeddings -> encoder (no mask) -> final_layer_norm
//           -> last position -> head
#include "core/model/SiglipModel.h"

#include "core/Error.h"
#include "core/model/SafetensorsFile.h"
#include "core/model/SiglipNames.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

namespace lookalike {

using siglip::Tower;

namespace {

struct Linear {
    at::Tensor weight; // out x in
    at::Tensor bias; // out
    at::Tensor operator()(const at::Tensor &x) const { return at::linear(x, weight, bias); }
};

struct LayerNorm {
    at::Tensor weight;
    at::Tensor bias;
    double eps = 1e-6;
    at::Tensor operator()(const at::Tensor &x) const { return at::layer_norm(x, {weight.size(0)}, weight, bias, eps); }
};

enum class Activation { GeluTanh, GeluErf, QuickGelu, Relu, Silu };

Activation parseActivation(const std::string &name)
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

at::Tensor activate(const at::Tensor &x, Activation act)
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
at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, int heads)
{
    const auto b = q.size(0), lq = q.size(1), lk = k.size(1), d = q.size(2);
    const auto hd = d / heads;
    auto split = [&](const at::Tensor &t, std::int64_t len) { return t.view({b, len, heads, hd}).transpose(1, 2); };
    const at::Tensor qh = split(q, lq), kh = split(k, lk), vh = split(v, lk);
    at::Tensor scores = at::matmul(qh, kh.transpose(2, 3)) * (1.0 / std::sqrt(static_cast<double>(hd)));
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

    // Runs every layer; `states`, if given, receives the output of each layer.
    at::Tensor operator()(at::Tensor x, std::vector<at::Tensor> *states) const
    {
        for (const EncoderLayer &l : layers) {
            const at::Tensor h = l.norm1(x);
            x = x + l.out(attention(l.q(h), l.k(h), l.v(h), heads));
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
        return {get(prefix + ".weight", {out, in}), get(prefix + ".bias", {out})};
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
        patchWeight = w.get(name("embeddings.patch_embedding.weight"), {d, c.numChannels, c.patchSize, c.patchSize});
        patchBias = w.get(name("embeddings.patch_embedding.bias"), {d});
        positions = w.get(name("embeddings.position_embedding.weight"), {c.numPatches(), d});
        encoder = w.encoder(Tower::Vision, c);
        postNorm = w.layerNorm(name("post_layernorm"), d, c.layerNormEps);
        probe = w.get(name("head.probe"), {1, 1, d});
        // in_proj rows are ordered q, k, v.
        headIn = {w.get(name("head.attention.in_proj_weight"), {3 * d, d}),
            w.get(name("head.attention.in_proj_bias"), {3 * d})};
        headOut = w.linear(name("head.attention.out_proj"), d, d);
        headNorm = w.layerNorm(name("head.layernorm"), d, c.layerNormEps);
        headMlp = {w.linear(name("head.mlp.fc1"), i, d), w.linear(name("head.mlp.fc2"), d, i)};
    }

    // pixels: B x C x S x S -> pooled B x D.
    at::Tensor forward(const at::Tensor &pixels, SiglipModel::Trace *trace) const
    {
        at::Tensor x = at::conv2d(pixels, patchWeight, patchBias, {config.patchSize, config.patchSize});
        x = x.flatten(2).transpose(1, 2) + positions; // B x N x D, patches in row-major order
        std::vector<at::Tensor> states;
        if (trace)
            states.push_back(x);
        x = encoder(x, trace ? &states : nullptr);
        x = postNorm(x);
        const at::Tensor q = probe.expand({x.size(0), 1, x.size(2)});
        const std::int64_t d = x.size(2);
        auto part = [&](int i, const at::Tensor &in) { // rows [i d, (i + 1) d) of in_proj: contiguous views
            return at::linear(in, headIn.weight.slice(0, i * d, (i + 1) * d), headIn.bias.slice(0, i * d, (i + 1) * d));
        };
        at::Tensor h = headOut(attention(part(0, q), part(1, x), part(2, x), encoder.heads));
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

FloatMatrix toMatrix(const at::Tensor &t2d)
{
    const at::Tensor c = t2d.contiguous();
    FloatMatrix m(c.size(0), c.size(1));
    std::memcpy(m.data.data(), c.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

void VisionTower::recordTrace(
    SiglipModel::Trace &trace, const std::vector<at::Tensor> &states, const at::Tensor &norm, const at::Tensor &pooled)
{
    for (const at::Tensor &s : states)
        trace.hiddenStates.push_back(toMatrix(s.select(0, 0)));
    trace.finalNorm = toMatrix(norm.select(0, 0));
    trace.pooled = toMatrix(pooled);
}

bool hasTensorWithPrefix(const SafetensorsFile &file, std::string_view prefix)
{
    for (const std::string &name : file.tensorNames())
        if (name.compare(0, prefix.size(), prefix) == 0)
            return true;
    return false;
}

} // namespace

struct SiglipModel::Impl {
    SiglipConfig config;
    std::optional<VisionTower> vision;
    std::optional<TextTower> text;
    float logitScale = 0;
    float logitBias = 0;
};

SiglipModel::SiglipModel(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
SiglipModel::SiglipModel(SiglipModel &&) noexcept = default;
SiglipModel &SiglipModel::operator=(SiglipModel &&) noexcept = default;
SiglipModel::~SiglipModel() = default;

SiglipModel SiglipModel::load(const SafetensorsFile &weights, const SiglipConfig &configIn)
{
    c10::InferenceMode guard;
    auto impl = std::make_unique<Impl>();
    impl->config = configIn;
    SiglipConfig &config = impl->config;
    // A dual config whose weights hold one tower entirely (a SiglipVisionModel saved with the
    // parent's config) loads that tower alone. A tower that is partly there is an error.
    if (config.isDualEncoder()) {
        const bool anyVision = hasTensorWithPrefix(weights, siglip::kVisionPrefix);
        const bool anyText = hasTensorWithPrefix(weights, siglip::kTextPrefix);
        if (anyVision && !anyText) {
            config.text.reset();
            config.modelType = siglip::kModelTypeVision;
        } else if (anyText && !anyVision) {
            config.vision.reset();
            config.modelType = siglip::kModelTypeText;
        }
    }
    const WeightReader reader(weights);
    // Check every tensor first, so the error names the first missing or misshapen one in a
    // stable order rather than whichever the tower constructors touch first.
    for (const siglip::TensorSpec &spec : siglip::expectedTensors(config))
        weights.requireShape(spec.name, spec.shape);
    if (config.vision)
        impl->vision.emplace(reader, *config.vision);
    if (config.text)
        impl->text.emplace(reader, *config.text);
    if (config.isDualEncoder()) {
        impl->logitScale = reader.get(siglip::kLogitScale, {1}).item<float>();
        impl->logitBias = reader.get(siglip::kLogitBias, {1}).item<float>();
    }
    return SiglipModel(std::move(impl));
}

SiglipModel SiglipModel::load(const std::filesystem::path &weightsFile, const SiglipConfig &config)
{
    return load(SafetensorsFile::open(weightsFile), config);
}

const SiglipConfig &SiglipModel::config() const
{
    return d->config;
}

namespace {

at::Tensor pixelTensor(std::span<const float> pixelValues, std::int64_t count, const SiglipVisionConfig &c)
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

at::Tensor idTensor(const std::vector<std::vector<std::int64_t>> &ids, const SiglipTextConfig &c)
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

} // namespace

FloatMatrix SiglipModel::embedImages(std::span<const float> pixelValues, std::int64_t count) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    if (count == 0)
        return FloatMatrix(0, d->config.vision->embeddingSize());
    c10::InferenceMode guard;
    return toMatrix(d->vision->forward(pixelTensor(pixelValues, count, *d->config.vision), nullptr));
}

FloatMatrix SiglipModel::embedTexts(const std::vector<std::vector<std::int64_t>> &inputIds) const
{
    if (!d->text)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no text tower");
    if (inputIds.empty())
        return FloatMatrix(0, d->config.text->embeddingSize());
    c10::InferenceMode guard;
    return toMatrix(d->text->forward(idTensor(inputIds, *d->config.text), nullptr));
}

SiglipModel::Trace SiglipModel::traceImage(std::span<const float> pixelValues) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    c10::InferenceMode guard;
    Trace trace;
    d->vision->forward(pixelTensor(pixelValues, 1, *d->config.vision), &trace);
    return trace;
}

SiglipModel::Trace SiglipModel::traceText(const std::vector<std::int64_t> &inputIds) const
{
    if (!d->text)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no text tower");
    c10::InferenceMode guard;
    Trace trace;
    d->text->forward(idTensor({inputIds}, *d->config.text), &trace);
    return trace;
}

float SiglipModel::logitScale() const
{
    return d->logitScale;
}

float SiglipModel::logitBias() const
{
    return d->logitBias;
}

void SiglipModel::setThreadCount(int threads)
{
    const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
}

int SiglipModel::threadCount()
{
    return at::get_num_threads();
}

} // namespace lookalike

// ------------------------------------------------------------------------------------ training

namespace lookalike {

struct SiglipTrainer::Impl {
    SiglipConfig config;
    SiglipTrainingOptions options;
    std::map<std::string, at::Tensor> params; // every weight, by Hugging Face name
    std::vector<std::string> trainable; // names of those that learn
    std::map<std::string, std::pair<at::Tensor, at::Tensor>> moments; // AdamW m, v
    std::optional<VisionTower> vision;
    std::optional<TextTower> text;
    int steps = 0;

    at::Tensor lossOf(const at::Tensor &pixels, const at::Tensor &ids) const
    {
        auto unit = [](const at::Tensor &t) { return t / t.norm(2, {1}, true).clamp_min(1e-12); };
        const at::Tensor x = unit(vision->forward(pixels, nullptr));
        const at::Tensor y = unit(text->forward(ids, nullptr));
        const at::Tensor logits
            = at::matmul(x, y.t()) * params.at(siglip::kLogitScale).exp() + params.at(siglip::kLogitBias);
        const std::int64_t n = x.size(0);
        const at::Tensor z = 2 * at::eye(n, at::kFloat) - 1;
        return -at::log_sigmoid(z * logits).sum() / static_cast<double>(n);
    }

    double rate(int step) const
    {
        const SiglipTrainingOptions &o = options;
        if (step < o.warmupSteps)
            return o.learningRate * (step + 1) / static_cast<double>(o.warmupSteps);
        const double span = std::max(1, o.totalSteps - o.warmupSteps);
        const double progress = std::clamp((step - o.warmupSteps) / span, 0.0, 1.0);
        return o.learningRate * 0.5 * (1.0 + std::cos(M_PI * progress));
    }

    static bool decays(const std::string &name)
    {
        // Matrices decay; biases, norms, positions' neighbours of that kind and the logit
        // parameters do not (the usual AdamW practice).
        return name.find("norm") == std::string::npos && name.size() > 5
            && name.compare(name.size() - 5, 5, ".bias") != 0 && name != siglip::kLogitScale
            && name != siglip::kLogitBias && name.find("in_proj_bias") == std::string::npos;
    }
};

namespace {

[[noreturn]] void trainingError(const std::string &what)
{
    throw Error(ErrorCode::InvalidArgument, {}, "fine-tuning", what);
}

} // namespace

SiglipTrainer::SiglipTrainer(
    const SafetensorsFile &weights, const SiglipConfig &config, const SiglipTrainingOptions &options)
    : d(std::make_unique<Impl>())
{
    if (!config.isDualEncoder())
        trainingError("the sigmoid loss needs both towers; this checkpoint has one");
    if (options.totalSteps < 1 || options.warmupSteps < 0 || options.learningRate <= 0)
        trainingError("needs totalSteps >= 1, warmupSteps >= 0 and a positive learning rate");
    d->config = config;
    d->options = options;
    for (const siglip::TensorSpec &spec : siglip::expectedTensors(config))
        weights.requireShape(spec.name, spec.shape);
    WeightReader reader(weights);
    reader.recordInto(&d->params);
    d->vision.emplace(reader, *config.vision);
    d->text.emplace(reader, *config.text);
    reader.get(siglip::kLogitScale, {1});
    reader.get(siglip::kLogitBias, {1});

    const std::string textPrefix(siglip::kTextPrefix), visionPrefix(siglip::kVisionPrefix);
    const std::string visionLayer = visionPrefix + "encoder.layers.";
    const int layers = config.vision->numHiddenLayers;
    for (auto &[name, tensor] : d->params) {
        bool learns = true;
        if (options.freezeText && name.compare(0, textPrefix.size(), textPrefix) == 0)
            learns = false;
        if (options.trainableVisionLayers >= 0 && name.compare(0, visionPrefix.size(), visionPrefix) == 0) {
            if (name.find(".embeddings.") != std::string::npos)
                learns = false;
            if (name.compare(0, visionLayer.size(), visionLayer) == 0) {
                const int layer = std::stoi(name.substr(visionLayer.size()));
                learns = layer >= layers - options.trainableVisionLayers;
            }
        }
        if (learns) {
            tensor.requires_grad_(true);
            d->trainable.push_back(name);
            d->moments.emplace(name, std::make_pair(at::zeros_like(tensor), at::zeros_like(tensor)));
        }
    }
}

SiglipTrainer::~SiglipTrainer() = default;

const SiglipConfig &SiglipTrainer::config() const
{
    return d->config;
}

double SiglipTrainer::loss(std::span<const float> pixels, const std::vector<std::vector<std::int64_t>> &ids) const
{
    at::NoGradGuard noGrad;
    const auto n = static_cast<std::int64_t>(ids.size());
    return d->lossOf(pixelTensor(pixels, n, *d->config.vision), idTensor(ids, *d->config.text)).item<double>();
}

double SiglipTrainer::step(std::span<const float> pixels, const std::vector<std::vector<std::int64_t>> &ids)
{
    const auto n = static_cast<std::int64_t>(ids.size());
    if (n < 2)
        trainingError("a batch needs at least 2 pairs (the loss contrasts them)");
    for (const std::string &name : d->trainable)
        d->params.at(name).mutable_grad() = at::Tensor();
    const at::Tensor loss = d->lossOf(pixelTensor(pixels, n, *d->config.vision), idTensor(ids, *d->config.text));
    loss.backward();
    at::NoGradGuard noGrad;
    const SiglipTrainingOptions &o = d->options;
    double scale = 1.0;
    if (o.gradientClip > 0) {
        double squares = 0;
        for (const std::string &name : d->trainable)
            if (d->params.at(name).grad().defined())
                squares += d->params.at(name).grad().pow(2).sum().item<double>();
        const double norm = std::sqrt(squares);
        if (norm > o.gradientClip)
            scale = o.gradientClip / (norm + 1e-12);
    }
    const double lr = d->rate(d->steps);
    const int t = d->steps + 1;
    const double correction1 = 1 - std::pow(o.beta1, t), correction2 = 1 - std::pow(o.beta2, t);
    for (const std::string &name : d->trainable) {
        at::Tensor &p = d->params.at(name);
        if (!p.grad().defined())
            continue;
        const at::Tensor g = p.grad() * scale;
        auto &[m, v] = d->moments.at(name);
        m.mul_(o.beta1).add_(g, 1 - o.beta1);
        v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
        if (Impl::decays(name))
            p.mul_(1 - lr * o.weightDecay);
        p.addcdiv_(m / correction1, (v / correction2).sqrt_().add_(o.epsilon), -lr);
    }
    ++d->steps;
    return loss.item<double>();
}

int SiglipTrainer::stepsDone() const
{
    return d->steps;
}

double SiglipTrainer::learningRate() const
{
    return d->rate(d->steps);
}

FloatMatrix SiglipTrainer::embedImages(std::span<const float> pixels, std::int64_t count) const
{
    at::NoGradGuard noGrad;
    return toMatrix(d->vision->forward(pixelTensor(pixels, count, *d->config.vision), nullptr));
}

FloatMatrix SiglipTrainer::embedTexts(const std::vector<std::vector<std::int64_t>> &ids) const
{
    at::NoGradGuard noGrad;
    return toMatrix(d->text->forward(idTensor(ids, *d->config.text), nullptr));
}

void SiglipTrainer::saveWeights(const std::filesystem::path &file) const
{
    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    for (const auto &[name, tensor] : d->params) {
        const at::Tensor c = tensor.detach().contiguous();
        writer.add(name, c.sizes().vec(), {c.data_ptr<float>(), static_cast<std::size_t>(c.numel())});
    }
    writer.write(file);
}

void SiglipTrainer::saveState(const std::filesystem::path &file) const
{
    SafetensorsWriter writer;
    writer.setMetadata("format", "lookalike-training-state");
    writer.setMetadata("steps", std::to_string(d->steps));
    auto add = [&](const std::string &name, const at::Tensor &t) {
        const at::Tensor c = t.detach().contiguous();
        writer.add(name, c.sizes().vec(), {c.data_ptr<float>(), static_cast<std::size_t>(c.numel())});
    };
    for (const auto &[name, tensor] : d->params)
        add(name, tensor);
    for (const auto &[name, mv] : d->moments) {
        add("optimizer.m." + name, mv.first);
        add("optimizer.v." + name, mv.second);
    }
    writer.write(file);
}

void SiglipTrainer::loadState(const std::filesystem::path &file)
{
    const SafetensorsFile state = SafetensorsFile::open(file);
    const auto steps = state.metadata().find("steps");
    if (steps == state.metadata().end())
        throw Error(ErrorCode::MalformedHeader, file.string(), "not a Lookalike training state (no step count)");
    at::NoGradGuard noGrad;
    auto read = [&](const std::string &name, at::Tensor &into) {
        state.requireShape(name, into.sizes().vec());
        std::vector<float> values = state.readFloat32(name);
        into.copy_(at::from_blob(values.data(), into.sizes(), at::kFloat));
    };
    for (auto &[name, tensor] : d->params)
        read(name, tensor);
    for (auto &[name, mv] : d->moments) {
        read("optimizer.m." + name, mv.first);
        read("optimizer.v." + name, mv.second);
    }
    d->steps = std::stoi(steps->second);
}

std::vector<std::string> SiglipTrainer::parameterNames() const
{
    std::vector<std::string> names;
    for (const auto &kv : d->params)
        names.push_back(kv.first);
    return names;
}

std::vector<float> SiglipTrainer::parameter(const std::string &name) const
{
    const at::Tensor c = d->params.at(name).detach().contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

void SiglipTrainer::setParameter(const std::string &name, std::span<const float> values)
{
    at::NoGradGuard noGrad;
    at::Tensor &p = d->params.at(name);
    if (static_cast<std::int64_t>(values.size()) != p.numel())
        trainingError("parameter '" + name + "' has " + std::to_string(p.numel()) + " values");
    p.copy_(at::from_blob(const_cast<float *>(values.data()), p.sizes(), at::kFloat));
}

std::vector<float> SiglipTrainer::gradient(
    const std::string &name, std::span<const float> pixels, const std::vector<std::vector<std::int64_t>> &ids)
{
    at::Tensor &p = d->params.at(name);
    if (!p.requires_grad())
        trainingError("parameter '" + name + "' is frozen");
    for (const std::string &n : d->trainable)
        d->params.at(n).mutable_grad() = at::Tensor();
    const auto n = static_cast<std::int64_t>(ids.size());
    d->lossOf(pixelTensor(pixels, n, *d->config.vision), idTensor(ids, *d->config.text)).backward();
    const at::Tensor g = p.grad().contiguous();
    return {g.data_ptr<float>(), g.data_ptr<float>() + g.numel()};
}

} // namespace lookalike
