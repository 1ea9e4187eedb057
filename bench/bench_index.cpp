// End-to-end catalog indexing throughput: 1,000 generated 640x480 JPEG product photos, a
// project, and embedCatalog() (decode on worker threads + batched inference + durable
// commits) with the tiny test checkpoint and with a SigLIP-base-shaped random checkpoint.
//
//   bench_index [--images N] [--models tiny,base] [--batch-size B] [--keep DIR]
#include "core/model/RandomCheckpoint.h"
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
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--images") && a + 1 < argc)
            images = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--models") && a + 1 < argc)
            models = argv[++a];
        else if (!std::strcmp(argv[a], "--batch-size") && a + 1 < argc)
            batch = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(
                stderr, "usage: bench_index [--images N] [--models tiny,base] [--batch-size B] [--keep DIR]\n");
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
        auto encoder = openImageEncoder(v, 0, batch);
        v.dimension = encoder->dimension();
        v = registerModelVersion(project, v);
        EmbeddingOptions options;
        options.batchSize = batch;
        const EmbeddingSummary s = embedCatalog(project, v, *encoder, options);
        const auto t0 = std::chrono::steady_clock::now();
        buildNeighbourIndex(project, v, {}, false);
        const double indexSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%-5s  %d images  batch %d  %u decode workers  %.1f s  %.1f images/s  (index build %.3f s)\n",
            name.c_str(), static_cast<int>(s.embeddedThisRun), batch, std::thread::hardware_concurrency(), s.seconds,
            s.embeddedThisRun / s.seconds, indexSeconds);
    }
    if (keep.empty())
        fs::remove_all(work);
    return 0;
}
