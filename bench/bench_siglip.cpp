// SigLIP throughput on this machine: images/s and texts/s for a SigLIP-base-shaped
// checkpoint (ViT-B/16 at 224, 12 layers each tower, random weights written by the bench
// itself), at batch 1 and batch 32, with the achieved GFLOP/s next to the FLOPs per item;
// then a base-shaped SigLIP 2 NaFlex vision tower at 256 patches of 16 px, on a batch of
// product photos of mixed aspect ratios (one padded forward pass per batch).
//
//   bench_siglip [--threads N] [--seconds S] [--keep DIR]
#include "core/image/ImagePreprocessor.h"
#include "core/model/RandomCheckpoint.h"
#include "core/model/SiglipPipeline.h"
#include "core/util/VectorMath.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace lookalike;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Multiply-adds count as 2 FLOPs. Softmax, LayerNorm and GELU are left out (< 1 %).
double encoderFlops(double tokens, const SiglipTowerConfig &c)
{
    const double d = c.hiddenSize, i = c.intermediateSize;
    const double perLayer = 2 * tokens * d * d * 4 // q, k, v, out projections
        + 2 * 2 * tokens * tokens * d // scores and weighted sum
        + 2 * 2 * tokens * d * i; // MLP
    return perLayer * c.numHiddenLayers;
}

double visionFlops(const SiglipVisionConfig &c)
{
    const double n = c.numPatches(), d = c.hiddenSize, i = c.intermediateSize;
    const double patch = 2 * n * d * (3.0 * c.patchSize * c.patchSize);
    const double head = 2 * d * d * 2 + 2 * 2 * n * d * d + 2 * 2 * n * d + 2 * 2 * d * i;
    return patch + encoderFlops(n, c) + head;
}

double textFlops(const SiglipTextConfig &c)
{
    return encoderFlops(c.maxPositionEmbeddings, c) + 2.0 * c.hiddenSize * c.embeddingSize();
}

template <typename F> double itemsPerSecond(int itemsPerCall, double minSeconds, F &&call)
{
    call(); // warm-up: first-touch allocations, thread pool start
    int calls = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    do {
        call();
        ++calls;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < minSeconds);
    return calls * itemsPerCall / elapsed;
}

} // namespace

int main(int argc, char **argv)
{
    int threads = 0;
    double seconds = 5;
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--threads") && a + 1 < argc)
            threads = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--seconds") && a + 1 < argc)
            seconds = std::atof(argv[++a]);
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(stderr, "usage: bench_siglip [--threads N] [--seconds S] [--keep DIR]\n");
            return 2;
        }
    }
    SiglipConfig config; // every default: siglip-base-patch16-224
    config.vision = SiglipVisionConfig{};
    config.text = SiglipTextConfig{};

    const fs::path dir = keep.empty() ? fs::temp_directory_path() / "lookalike-bench-siglip-base" : keep;
    if (!fs::exists(dir / "model.safetensors")) {
        std::printf("writing a random siglip-base checkpoint to %s ...\n", dir.c_str());
        RandomCheckpointOptions options;
        options.dtype = SafetensorsDtype::BF16; // half the disk; loaded as float32 all the same
        options.sentencePieceModel = LOOKALIKE_SPIECE_MODEL;
        writeRandomCheckpoint(dir, config, options);
    }
    SiglipPipeline::Options options;
    options.threads = threads;
    const auto t0 = Clock::now();
    const SiglipPipeline pipeline = SiglipPipeline::load(dir, options);
    std::printf("model       siglip-base shape: ViT-B/%d at %d, %d+%d layers, load %.2f s\n", config.vision->patchSize,
        config.vision->imageSize, config.vision->numHiddenLayers, config.text->numHiddenLayers,
        std::chrono::duration<double>(Clock::now() - t0).count());
    std::printf("threads     %d (LibTorch intra-op)\n", SiglipModel::threadCount());
    const double vFlops = visionFlops(*config.vision), tFlops = textFlops(*config.text);
    std::printf("flops       %.2f GFLOP per image, %.2f GFLOP per text (length %d)\n", vFlops / 1e9, tFlops / 1e9,
        config.text->maxPositionEmbeddings);

    std::mt19937 rng(1);
    const ImagePreprocessor &pre = pipeline.imagePreprocessor();
    RgbImage photo(640, 480);
    for (auto &p : photo.pixels)
        p = static_cast<std::uint8_t>(rng());
    std::vector<float> one(pre.pixelValueCount());
    const double prePerSec = itemsPerSecond(1, 1.0, [&] { pre.pixelValues(photo, one); });
    std::printf("preprocess  %.0f images/s (640x480 -> 224x224 Pillow bicubic, one thread)\n", prePerSec);

    for (int batch : {1, 32}) {
        std::vector<float> pixels(pre.pixelValueCount() * batch);
        for (int b = 0; b < batch; ++b)
            pre.pixelValues(photo, {pixels.data() + b * one.size(), one.size()});
        const double ips = itemsPerSecond(batch, seconds, [&] { pipeline.model().embedImages(pixels, batch); });
        std::printf("images      batch %2d: %7.2f images/s  %6.1f GFLOP/s\n", batch, ips, ips * vFlops / 1e9);
    }
    for (int batch : {1, 32}) {
        std::vector<std::vector<std::int64_t>> ids;
        for (int b = 0; b < batch; ++b)
            ids.push_back(pipeline.tokenizer().encode("red leather wallet with zip, number " + std::to_string(b)));
        const double tps = itemsPerSecond(batch, seconds, [&] { pipeline.model().embedTexts(ids); });
        std::printf("texts       batch %2d: %7.2f texts/s   %6.1f GFLOP/s\n", batch, tps, tps * tFlops / 1e9);
    }

    // bf16: the encoders' products in bfloat16 (AVX512-BF16 through oneDNN), and how far its
    // embeddings are from float32's on 32 different random photos (cosine).
    {
        SiglipPipeline::Options bf16Options = options;
        bf16Options.precision = Precision::Bf16;
        const SiglipPipeline bf16 = SiglipPipeline::load(dir, bf16Options);
        std::printf("bf16        the encoders' products in bfloat16 (%s)\n",
                    SiglipModel::bf16Supported() ? "this CPU has AVX512-BF16" : "emulated: this CPU has no AVX512-BF16");
        std::vector<float> pixels(pre.pixelValueCount() * 32);
        for (int b = 0; b < 32; ++b) {
            RgbImage other(640, 480);
            for (auto &p : other.pixels)
                p = static_cast<std::uint8_t>(rng());
            pre.pixelValues(other, {pixels.data() + b * one.size(), one.size()});
        }
        const FloatMatrix a = pipeline.model().embedImages(pixels, 32), b16 = bf16.model().embedImages(pixels, 32);
        double worst = 1.0;
        for (std::int64_t r = 0; r < a.rows; ++r)
            worst = std::min(worst, cosine(a.row(r), b16.row(r)));
        std::printf("bf16        fidelity: lowest cosine to the fp32 embedding over 32 images %.5f\n", worst);
        for (int batch : {1, 32}) {
            const std::span<const float> some(pixels.data(), pre.pixelValueCount() * batch);
            const double ips = itemsPerSecond(batch, seconds, [&] { bf16.model().embedImages(some, batch); });
            std::printf("bf16 images batch %2d: %7.2f images/s  %6.1f GFLOP/s\n", batch, ips, ips * vFlops / 1e9);
        }
        for (int batch : {1, 32}) {
            std::vector<std::vector<std::int64_t>> ids;
            for (int b = 0; b < batch; ++b)
                ids.push_back(bf16.tokenizer().encode("red leather wallet with zip, number " + std::to_string(b)));
            const double tps = itemsPerSecond(batch, seconds, [&] { bf16.model().embedTexts(ids); });
            std::printf("bf16 texts  batch %2d: %7.2f texts/s   %6.1f GFLOP/s\n", batch, tps, tps * tFlops / 1e9);
        }
    }

    // NaFlex: the same tower shape with a linear patch embedding and the 16 x 16 position grid
    // resized per image. Photos of five aspect ratios, as a catalog has them.
    SiglipConfig naflex;
    naflex.modelType = "siglip2_vision_model";
    naflex.vision = SiglipVisionConfig{};
    naflex.vision->naflexPatches = 256;
    const fs::path naflexDir = dir / "naflex";
    if (!fs::exists(naflexDir / "model.safetensors")) {
        RandomCheckpointOptions o;
        o.dtype = SafetensorsDtype::BF16;
        writeRandomCheckpoint(naflexDir, naflex, o);
    }
    const SiglipPipeline naf = SiglipPipeline::load(naflexDir, options);
    std::vector<RgbImage> photos;
    double patches = 0;
    for (const auto &[w, h] : std::vector<std::pair<int, int>>{{640, 480}, {480, 640}, {600, 600}, {800, 450}, {400, 600}}) {
        RgbImage p(w, h);
        for (auto &v : p.pixels)
            v = static_cast<std::uint8_t>(rng());
        const auto [rows, cols] = naf.imagePreprocessor().naflexGrid(h, w);
        patches += rows * cols;
        photos.push_back(std::move(p));
    }
    SiglipVisionConfig perImage = *naflex.vision;
    perImage.naflexPatches = static_cast<int>(patches / photos.size()); // mean patches, for the FLOPs
    const double nFlops = visionFlops(perImage);
    std::printf("naflex      base-shaped, max 256 patches of 16 px: %.0f patches per photo on average, %.2f GFLOP\n",
                patches / photos.size(), nFlops / 1e9);
    for (int batch : {1, 30}) {
        std::vector<PatchedImage> patched;
        for (int b = 0; b < batch; ++b)
            patched.push_back(naf.imagePreprocessor().patchedImage(photos[static_cast<std::size_t>(b) % photos.size()]));
        const double ips = itemsPerSecond(batch, seconds, [&] { naf.model().embedPatchedImages(patched); });
        std::printf("naflex      batch %2d: %7.2f images/s  %6.1f GFLOP/s (FixRes 224 above for comparison)\n", batch,
                    ips, ips * nFlops / 1e9);
    }
    if (keep.empty())
        fs::remove_all(dir);
    return 0;
}
