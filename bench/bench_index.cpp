// End-to-end catalog indexing throughput: 1,000 generated 640x480 JPEG product photos, a
// project, and embedCatalog() (decode on worker threads + batched inference + durable
// commits) with the tiny test checkpoint and with a SigLIP-base-shaped random checkpoint, in
// the precision `index` would choose (auto) or the one given; then the model alone on the same
// batches of preprocessed pixels, and the ratio (#14: end to end at least 0.9x the model).
//
//   bench_index [--images N] [--models tiny,base] [--batch-size B] [--precision auto|fp32|bf16] [--keep DIR]
#include "core/model/RandomCheckpoint.h"
#include "core/image/ImageDecoder.h"
#include "core/project/EmbeddingJob.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"

#include <opencv2/imgcodecs.hpp>

#include <QCoreApplication>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

void writeCatalog(const fs::path &dir, int count)
{
    fs::create_directories(dir / "images");
    std::ofstream csv(dir / "catalog.csv");
    csv << "id,image,title,category\n";
    std::mt19937 rng(7);
    for (int i = 0; i < count; ++i) {
        const fs::path file = dir / "images" / ("item-" + std::to_string(i) + ".jpg");
        if (!fs::exists(file)) {
            // A product-like photo: a coloured object on a light background, with noise.
            cv::Mat img(480, 640, CV_8UC3, cv::Scalar(235, 235, 235));
            const cv::Scalar colour(rng() % 256, rng() % 256, rng() % 256);
            cv::Mat roi
                = img(cv::Rect(120 + static_cast<int>(rng() % 80), 80 + static_cast<int>(rng() % 60), 360, 300));
            roi.setTo(colour);
            cv::Mat noise(img.size(), CV_8UC3);
            cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(12));
            img += noise;
            cv::imwrite(file.string(), img, {cv::IMWRITE_JPEG_QUALITY, 90});
        }
        csv << "item-" << i << ",images/item-" << i << ".jpg,product " << i << ",cat-" << (i % 7) << "\n";
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv); // Qt SQL wants an application object for its plugins
    int images = 1000, batch = 32;
    std::string models = "tiny,base";
    std::string precisionText = "auto";
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--images") && a + 1 < argc)
            images = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--models") && a + 1 < argc)
            models = argv[++a];
        else if (!std::strcmp(argv[a], "--batch-size") && a + 1 < argc)
            batch = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--precision") && a + 1 < argc)
            precisionText = argv[++a];
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(
                stderr, "usage: bench_index [--images N] [--models tiny,base] [--batch-size B] [--precision P] [--keep DIR]\n");
            return 2;
        }
    }
    const fs::path work = keep.empty() ? fs::temp_directory_path() / "lookalike-bench-index" : keep;
    std::printf("generating %d 640x480 JPEG images in %s ...\n", images, work.c_str());
    writeCatalog(work / "catalog", images);

    std::stringstream list(models);
    for (std::string name; std::getline(list, name, ',');) {
        fs::path checkpoint = LOOKALIKE_TINY_CHECKPOINT;
        if (name == "base") {
            checkpoint = work / "siglip-base-random";
            if (!fs::exists(checkpoint / "model.safetensors")) {
                SiglipConfig config;
                config.vision = SiglipVisionConfig{};
                config.text = SiglipTextConfig{};
                RandomCheckpointOptions options;
                options.dtype = SafetensorsDtype::BF16;
                options.sentencePieceModel = fs::path(LOOKALIKE_TINY_CHECKPOINT) / "spiece.model";
                writeRandomCheckpoint(checkpoint, config, options);
            }
        }
        const fs::path projectDir = work / ("project-" + name);
        fs::remove_all(projectDir);
        Project project = Project::create(projectDir);
        project.importCatalog(work / "catalog" / "catalog.csv", {});
        ModelVersion v;
        v.name = name;
        v.kind = ModelKind::Siglip;
        v.source = checkpoint;
        v.fingerprint = sha256OfFile(checkpoint / "model.safetensors");
        const Precision precision = parsePrecisionChoice(precisionText).value_or(automaticPrecision());
        if (precision == Precision::Bf16)
            v.config = R"({"precision":"bf16"})"; // as openModelVersion asks for it
        auto encoder = openImageEncoder(v, 0, batch);
        v.config = encoder->configJson();
        v.dimension = encoder->dimension();
        v = registerModelVersion(project, v);
        EmbeddingOptions options;
        options.batchSize = batch;
        const EmbeddingSummary s = embedCatalog(project, v, *encoder, options);
        const auto t0 = std::chrono::steady_clock::now();
        buildNeighbourIndex(project, v, {}, false);
        const double indexSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double endToEnd = s.embeddedThisRun / s.seconds;
        std::printf("%-5s  %s\n", name.c_str(), encoder->schedule().c_str());
        std::printf("%-5s  %d images  batch %d  %u decode workers  %.1f s  %.1f images/s  (index build %.3f s)\n",
            name.c_str(), static_cast<int>(s.embeddedThisRun), batch, std::thread::hardware_concurrency(), s.seconds,
            endToEnd, indexSeconds);

        // The model alone: the same batches of the same photos, decoded and preprocessed once.
        const int modelBatches = std::max(1, std::min(images / batch, name == "base" ? 2 : 20));
        std::vector<std::vector<float>> pixels(static_cast<std::size_t>(modelBatches));
        for (int b = 0; b < modelBatches; ++b) {
            pixels[static_cast<std::size_t>(b)].resize(encoder->pixelValueCount() * static_cast<std::size_t>(batch));
            for (int i = 0; i < batch; ++i)
                encoder->preprocess(
                    decodeImageFile(work / "catalog" / "images" / ("item-" + std::to_string(b * batch + i) + ".jpg")),
                    {pixels[static_cast<std::size_t>(b)].data() + encoder->pixelValueCount() * static_cast<std::size_t>(i),
                     encoder->pixelValueCount()});
        }
        encoder->encode(pixels.front(), batch); // warm-up
        const auto m0 = std::chrono::steady_clock::now();
        for (const auto &p : pixels)
            encoder->encode(p, batch);
        const double modelOnly
            = modelBatches * batch / std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
        std::printf("%-5s  model alone %.1f images/s; end to end / model alone = %.2f\n", name.c_str(), modelOnly,
                    endToEnd / modelOnly);
    }
    if (keep.empty())
        fs::remove_all(work);
    return 0;
}
