// Loading a SigLIP checkpoint and running its towers for embeddings and traces, on the graph of
// SiglipGraph.h (LibTorch is included only there and in SiglipTrainer.cpp, TorchScriptEncoder.cpp
// and EmbeddingProjection.cpp, which keeps Qt's macros away from it).
#include "core/model/SiglipModel.h"

#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipGraph.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <fstream>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace lookalike {

using namespace siglip_graph;

namespace {
// Far above any processor's max_num_patches (SigLIP 2 uses up to 1024), low enough to fail before
// an allocation does.
constexpr std::int64_t kMaxNaflexPatches = std::int64_t{1} << 16;
} // namespace

struct SiglipModel::Impl {
    SiglipConfig config;
    std::optional<VisionTower> vision;
    std::optional<TextTower> text;
    float logitScale = 0;
    float logitBias = 0;
    Precision precision = Precision::Fp32;
    // NaFlex: the resized position grid per patch-grid shape. A catalog has few distinct
    // shapes (aspect ratios), and resizing with antialias costs more than the lookup.
    std::mutex gridMutex;
    std::map<std::pair<int, int>, at::Tensor> grids;

    at::Tensor gridFor(int rows, int cols)
    {
        const std::lock_guard lock(gridMutex);
        auto it = grids.find({rows, cols});
        if (it == grids.end()) {
            if (grids.size() > 4096) // bounded: shapes are at most num_patches^2 anyway
                grids.clear();
            it = grids.emplace(std::pair{rows, cols}, vision->resizedPositions(rows, cols)).first;
        }
        return it->second;
    }
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

const char *precisionName(Precision p)
{
    return p == Precision::Bf16 ? "bf16" : "fp32";
}

void SiglipModel::setPrecision(Precision precision)
{
    const bool bf16 = precision == Precision::Bf16;
    c10::InferenceMode guard;
    if (d->vision)
        d->vision->encoder.setBf16(bf16);
    if (d->text)
        d->text->encoder.setBf16(bf16);
    d->precision = precision;
}

Precision SiglipModel::precision() const
{
    return d->precision;
}

bool SiglipModel::bf16Supported()
{
    static const bool supported = [] {
        std::ifstream cpuinfo("/proc/cpuinfo");
        for (std::string line; std::getline(cpuinfo, line);)
            if (line.rfind("flags", 0) == 0)
                return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
        return false;
    }();
    return supported;
}

FloatMatrix SiglipModel::embedImages(std::span<const float> pixelValues, std::int64_t count) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    if (d->config.vision->isNaflex())
        throw Error(ErrorCode::Unsupported, {}, "a SigLIP 2 NaFlex checkpoint takes patched images, not square pixels");
    if (count == 0)
        return FloatMatrix(0, d->config.vision->embeddingSize());
    c10::InferenceMode guard;
    return toMatrix(d->vision->forward(pixelTensor(pixelValues, count, *d->config.vision), nullptr));
}

FloatMatrix SiglipModel::embedPatchedImages(std::span<const PatchedImage> images) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    const SiglipVisionConfig &c = *d->config.vision;
    if (!c.isNaflex())
        throw Error(ErrorCode::Unsupported, {}, "patched images are for SigLIP 2 NaFlex checkpoints; this one is FixRes");
    if (images.empty())
        return FloatMatrix(0, c.embeddingSize());
    std::int64_t longest = 0;
    for (const PatchedImage &im : images) {
        // num_patches is the position grid, not a limit: the processor's max_num_patches is.
        if (im.rows <= 0 || im.cols <= 0 || im.patchCount() > kMaxNaflexPatches
            || static_cast<std::int64_t>(im.values.size()) != im.patchCount() * c.patchValues())
            throw Error(ErrorCode::InvalidArgument, {},
                        "a patched image of " + std::to_string(im.rows) + " x " + std::to_string(im.cols) + " patches with "
                            + std::to_string(im.values.size()) + " values does not fit this model (patches of "
                            + std::to_string(c.patchValues()) + " values, at most " + std::to_string(kMaxNaflexPatches)
                            + ")");
        longest = std::max(longest, im.patchCount());
    }
    c10::InferenceMode guard;
    // Padded to the longest image of this batch, not to num_patches: the padding is masked, so
    // it changes nothing but the work.
    const auto b = static_cast<std::int64_t>(images.size());
    at::Tensor patches = at::zeros({b, longest, c.patchValues()}, at::kFloat);
    std::vector<std::pair<int, int>> shapes;
    for (std::int64_t i = 0; i < b; ++i) {
        const PatchedImage &im = images[static_cast<std::size_t>(i)];
        std::memcpy(patches[i].data_ptr<float>(), im.values.data(), im.values.size() * sizeof(float));
        shapes.emplace_back(im.rows, im.cols);
    }
    return toMatrix(d->vision->forwardPatches(
        patches, shapes, [this](int rows, int cols) { return d->gridFor(rows, cols); }, nullptr));
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
    if (d->config.vision->isNaflex())
        throw Error(ErrorCode::Unsupported, {}, "traces are for FixRes checkpoints");
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

