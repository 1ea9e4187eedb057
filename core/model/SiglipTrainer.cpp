// Fine-tuning a SigLIP checkpoint with the sigmoid loss (SiglipTrainer.h): AdamW, warm-up and
// cosine schedule, gradient clipping, on the graph of SiglipGraph.h.
#include "core/model/SiglipTrainer.h"

#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipGraph.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace lookalike {

using namespace siglip_graph;

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
    const auto finite = [](double v) { return std::isfinite(v); };
    if (options.totalSteps < 1 || options.warmupSteps < 0 || !(options.learningRate > 0) || !finite(options.learningRate)
        || !(options.weightDecay >= 0) || !finite(options.weightDecay) || !finite(options.gradientClip)
        || !finite(options.beta1) || !finite(options.beta2) || !finite(options.epsilon))
        trainingError("needs totalSteps >= 1, warmupSteps >= 0, a positive finite learning rate and finite "
                      "weight decay, clipping and AdamW constants");
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

bool SiglipTrainer::weightsFinite() const
{
    at::NoGradGuard noGrad;
    for (const auto &[name, tensor] : d->params)
        if (!at::isfinite(tensor).all().item<bool>())
            return false;
    return true;
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
