// The evaluation report at scale (#15's target: a 10,000-query project's report in under 10 s
// and under 20 MB): the bench project of bench_live, its images replaced by 48 photo-sized
// JPEGs (1000 x 800, as a catalog's photos are), then `lookalike report`'s core function timed.
// Prints the time, the page's size, the thumbnails and the process's peak memory.
//   bench_report [--queries N] [--keep DIR]
#include "BenchProject.h"

#include "core/project/Project.h"
#include "core/report/EvaluationReport.h"

#include <QCoreApplication>
#include <QSqlQuery>
#include <QVariant>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

using namespace lookalike;
namespace fs = std::filesystem;

namespace {

double peakRssMiB()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// 48 distinct 1000 x 800 JPEGs (shapes on a gradient), shared round-robin by the items.
void usePhotoSizedImages(Project &project, const fs::path &dir)
{
    constexpr int kImages = 48;
    fs::create_directories(dir / "photos");
    for (int i = 0; i < kImages; ++i) {
        cv::Mat img(800, 1000, CV_8UC3);
        for (int y = 0; y < img.rows; ++y)
            for (int x = 0; x < img.cols; ++x)
                img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x + i * 13) % 256), static_cast<uchar>((y + i * 29) % 256),
                                                    static_cast<uchar>((x + y + i * 7) % 256));
        cv::circle(img, {500, 400}, 150 + i * 3, cv::Scalar(i * 5 % 256, 40, 200 - i * 3), cv::FILLED);
        cv::imwrite((dir / "photos" / ("photo-" + std::to_string(i) + ".jpg")).string(), img, {cv::IMWRITE_JPEG_QUALITY, 90});
    }
    QSqlQuery q(project.database());
    q.exec(QStringLiteral("BEGIN"));
    q.prepare(QStringLiteral("UPDATE items SET image = ? || '/photos/photo-' || (id % 48) || '.jpg'"));
    q.addBindValue(QString::fromStdString(dir.string()));
    q.exec();
    q.exec(QStringLiteral("COMMIT"));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int queries = 10000;
    fs::path keep;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--queries") && a + 1 < argc)
            queries = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--keep") && a + 1 < argc)
            keep = argv[++a];
        else {
            std::fprintf(stderr, "usage: bench_report [--queries N] [--keep DIR]\n");
            return 2;
        }
    }
    const fs::path dir
        = keep.empty() ? fs::temp_directory_path() / ("lookalike-bench-report-" + std::to_string(::getpid())) : keep;
    try {
        bench::BenchProject b = bench::makeBenchProject(dir, queries);
        usePhotoSizedImages(*b.project, dir);
        const double before = peakRssMiB();
        const auto t0 = bench::Clock::now();
        const ReportSummary s = writeEvaluationReport(*b.project, dir / "report.html", {});
        const double ms = bench::msSince(t0);
        std::printf("report of %zu queries x %zu versions: %.0f ms, %.2f MB, %zu thumbnails (1000 x 800 JPEG sources), "
                    "peak RSS %.0f MiB (%.0f MiB before the report)\n",
                    s.queries, s.versions, ms, static_cast<double>(s.bytes) / 1e6, s.thumbnails, peakRssMiB(), before);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_report: %s\n", e.what());
        return 1;
    }
    if (keep.empty())
        fs::remove_all(dir);
    return 0;
}
