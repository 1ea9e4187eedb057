// Loading a SigLIP checkpoint and running its towers for embeddings and traces, on the graph of
// SiglipGraph.h (LibTorch is included only there and in SiglipTrainer.cpp, TorchScriptEncoder.cpp
// and EmbeddingProjection.cpp, which keeps Qt's macros away from it).
#include "core/model/SiglipModel.h"

#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/model/SiglipGraph.h"
#include "core/util/FreeCores.h"
#include "core/util/OnThreads.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <omp.h>

#include <atomic>
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
// A thread count as the options give it: 0 means one per core.
int threadsOrCores(int threads)
{
    return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The calling thread's intra-op threads for one scope (LibTorch's setting is process-wide; this
// one is the thread's own OpenMP setting, which LibTorch, oneDNN and OpenBLAS all read).
class ThreadsForScope {
public:
    explicit ThreadsForScope(int threads)
    {
        at::internal::lazy_init_num_threads();
        m_before = omp_get_max_threads();
        omp_set_num_threads(std::max(1, std::min(threads, m_before)));
    }
    ~ThreadsForScope() { omp_set_num_threads(m_before); }
    ThreadsForScope(const ThreadsForScope &) = delete;
    ThreadsForScope &operator=(const ThreadsForScope &) = delete;

private:
    int m_before = 1;
};

// Runs forward(first, n) over [0, count) in chunks of `chunk` rows on `lanes` threads (the
// calling thread is one), each with a single intra-op thread, and stacks the results in row
// order. The first exception of any lane is rethrown here once every lane has stopped.
FloatMatrix inLanes(std::int64_t count, std::int64_t dimension, SiglipModel::Lanes lanes,
                    const std::function<FloatMatrix(std::int64_t first, std::int64_t n)> &forward)
{
    const std::int64_t chunk = std::max(1, lanes.chunk);
    const std::int64_t chunks = (count + chunk - 1) / chunk;
    const int threads = static_cast<int>(std::min<std::int64_t>(std::max(1, lanes.count), chunks));
    FloatMatrix out(count, dimension);
    std::atomic<std::int64_t> next{0};
    onThreads(threads, [&](const std::atomic<bool> &failed) {
        const ThreadsForScope one(1);
        c10::InferenceMode guard;
        for (std::int64_t c = next++; c < chunks && !failed; c = next++) {
            const std::int64_t first = c * chunk, n = std::min(chunk, count - first);
            const FloatMatrix part = forward(first, n);
            std::copy(part.data.begin(), part.data.end(), out.data.begin() + first * dimension);
        }
    });
    return out;
}

} // namespace

struct SiglipModel::Impl {
    SiglipConfig config;
    std::optional<VisionTower> vision;
    std::optional<TextTower> text;
    float logitScale = 0;
    float logitBias = 0;
    Precision precision = Precision::Fp32;
    SiglipModel::Lanes lanes;
    FreeCores freeCores{threadsOrCores(0)};
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

FloatMatrix SiglipModel::spread(std::int64_t count, std::int64_t dimension,
                                const std::function<FloatMatrix(std::int64_t first, std::int64_t n)> &forward) const
{
    const Lanes lanes = d->lanes;
    if (lanes.count > 1 && (count + lanes.chunk - 1) / lanes.chunk >= lanes.count)
        return inLanes(count, dimension, lanes, forward);
    c10::InferenceMode guard;
    if (!lanes.followFreeCores)
        return forward(0, count);
    // Too few rows for every lane: one pass with the intra-op threads the other processes
    // leave free (a thread waiting for a taken core stalls the rest at every barrier).
    const ThreadsForScope threads(d->freeCores.now());
    return forward(0, count);
}

FloatMatrix SiglipModel::embedImages(std::span<const float> pixelValues, std::int64_t count) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    if (d->config.vision->isNaflex())
        throw Error(ErrorCode::Unsupported, {}, "a SigLIP 2 NaFlex checkpoint takes patched images, not square pixels");
    if (count == 0)
        return FloatMatrix(0, d->config.vision->embeddingSize());
    const SiglipVisionConfig &c = *d->config.vision;
    pixelTensor(pixelValues, count, c); // checks the size before it is cut
    const std::int64_t per = static_cast<std::int64_t>(c.numChannels) * c.imageSize * c.imageSize;
    return spread(count, c.embeddingSize(), [&](std::int64_t first, std::int64_t n) {
        return toMatrix(d->vision->forward(pixelTensor(pixelValues.subspan(first * per, n * per), n, c), nullptr));
    });
}

FloatMatrix SiglipModel::forwardPatched(std::span<const PatchedImage> images) const
{
    const SiglipVisionConfig &c = *d->config.vision;
    const auto b = static_cast<std::int64_t>(images.size());
    std::int64_t longest = 0;
    for (const PatchedImage &im : images)
        longest = std::max(longest, im.patchCount());
    // Padded to the longest image of this batch, not to num_patches: the padding is masked, so
    // it changes nothing but the work.
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

FloatMatrix SiglipModel::embedPatchedImages(std::span<const PatchedImage> images) const
{
    if (!d->vision)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no vision tower");
    const SiglipVisionConfig &c = *d->config.vision;
    if (!c.isNaflex())
        throw Error(ErrorCode::Unsupported, {}, "patched images are for SigLIP 2 NaFlex checkpoints; this one is FixRes");
    if (images.empty())
        return FloatMatrix(0, c.embeddingSize());
    for (const PatchedImage &im : images) {
        // num_patches is the position grid, not a limit: the processor's max_num_patches is.
        if (im.rows <= 0 || im.cols <= 0 || im.patchCount() > kMaxNaflexPatches
            || static_cast<std::int64_t>(im.values.size()) != im.patchCount() * c.patchValues())
            throw Error(ErrorCode::InvalidArgument, {},
                        "a patched image of " + std::to_string(im.rows) + " x " + std::to_string(im.cols) + " patches with "
                            + std::to_string(im.values.size()) + " values does not fit this model (patches of "
                            + std::to_string(c.patchValues()) + " values, at most " + std::to_string(kMaxNaflexPatches)
                            + ")");
    }
    const auto b = static_cast<std::int64_t>(images.size());
    return spread(b, c.embeddingSize(), [&](std::int64_t first, std::int64_t n) {
        return forwardPatched(images.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(n)));
    });
}

FloatMatrix SiglipModel::embedTexts(const std::vector<std::vector<std::int64_t>> &inputIds) const
{
    if (!d->text)
        throw Error(ErrorCode::Unsupported, {}, "this checkpoint has no text tower");
    if (inputIds.empty())
        return FloatMatrix(0, d->config.text->embeddingSize());
    const SiglipTextConfig &c = *d->config.text;
    idTensor(inputIds, c); // checks every sequence before they are cut
    return spread(static_cast<std::int64_t>(inputIds.size()), c.embeddingSize(), [&](std::int64_t first, std::int64_t n) {
        if (first == 0 && n == static_cast<std::int64_t>(inputIds.size()))
            return toMatrix(d->text->forward(idTensor(inputIds, c), nullptr));
        const std::vector<std::vector<std::int64_t>> some(inputIds.begin() + first, inputIds.begin() + first + n);
        return toMatrix(d->text->forward(idTensor(some, c), nullptr));
    });
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

std::string precisionInWords(Precision p)
{
    if (p != Precision::Bf16)
        return precisionName(p);
    return SiglipModel::bf16Supported() ? "bf16 products (AVX512-BF16)" : "bf16 products (emulated: this CPU has no AVX512-BF16)";
}

std::optional<Precision> parsePrecisionChoice(const std::string &text)
{
    if (text == "fp32")
        return Precision::Fp32;
    if (text == "bf16")
        return Precision::Bf16;
    if (text == "auto")
        return std::nullopt;
    throw Error(ErrorCode::InvalidArgument, {}, "--precision must be fp32, bf16 or auto, not '" + text + "'");
}

Precision automaticPrecision()
{
    return SiglipModel::bf16Supported() ? Precision::Bf16 : Precision::Fp32;
}

SiglipModel::Lanes SiglipModel::measuredLanes(int threads)
{
    return {threadsOrCores(threads), 4, false};
}

std::string SiglipModel::describeLanes(const std::string &rows) const
{
    if (d->lanes.count > 1)
        return std::to_string(d->lanes.count) + " lanes of one thread, " + std::to_string(d->lanes.chunk) + " " + rows
            + " per pass" + (d->lanes.followFreeCores ? "; single items on the cores left free" : "");
    return "one pass per batch, " + std::to_string(threadCount()) + " intra-op thread" + (threadCount() == 1 ? "" : "s");
}

void SiglipModel::setLanes(Lanes lanes)
{
    d->lanes = {std::max(1, lanes.count), std::max(1, lanes.chunk), lanes.followFreeCores};
}

SiglipModel::Lanes SiglipModel::lanes() const
{
    return d->lanes;
}

void SiglipModel::setThreadCount(int threads)
{
    at::set_num_threads(threadsOrCores(threads));
}

int SiglipModel::threadCount()
{
    return at::get_num_threads();
}

} // namespace lookalike

