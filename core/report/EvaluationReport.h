// The evaluation report, the use case behind `lookalike report` and the app's File > Export
// Report: one self-contained HTML page for the people who decide (product managers, reviewers)
// and do not run Lookalike. It holds the metrics of every version with judged@5, the comparison
// with the baseline (intervals, p-values, wins/ties/losses), the per-query nDCG@5 distribution
// of each version, the breakdown by category, the raters' agreement, and the worst queries and
// the largest gaps between versions as rows of thumbnails with their grades.
//
// Self-contained: the thumbnails are inline JPEG data (no file beside it, no network), the
// charts inline SVG, no script. It prints to A4 PDF without cutting a table or a row of images.
// In blind form the versions are "version 1", "version 2", ... in the order given, and no name,
// source or fingerprint of a version appears anywhere in the page.
//
// The images shown are bounded (worst and gap rows only), so a 10,000-query project makes a
// report of the same order of size as a 100-query one (bench/bench_report prints both).
#pragma once

#include "core/metrics/RankingMetrics.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lookalike {

class Project;

struct ReportOptions {
    std::vector<std::string> models; // the versions in order, the first the baseline; default all
    bool blind = false;
    GainKind gain = GainKind::Linear;
    std::string groupBy = "category"; // the breakdown's field (a catalog field or attribute)
    std::size_t worst = 5;            // worst queries shown per version
    std::size_t gaps = 5;             // largest gaps shown per comparison
    std::size_t listLength = 5;       // candidates shown per list
    int thumbnailSize = 96;           // longest side of a thumbnail, in pixels
    // Told after each thumbnail: (done, total).
    std::function<void(std::size_t, std::size_t)> progress;
};

struct ReportSummary {
    std::filesystem::path file;
    std::size_t bytes = 0;
    std::size_t versions = 0;
    std::size_t queries = 0;        // in the query set
    std::size_t thumbnails = 0;     // distinct images inlined
    std::size_t missingImages = 0;  // shown as a labelled box instead (unreadable or undecodable)
};

// The page as text. Throws NotFound for an unknown version name or a project without versions.
std::string evaluationReportHtml(Project &project, const ReportOptions &options, ReportSummary *summary = nullptr);

// Writes the page to `file` all or nothing (FileUnreadable naming it when it cannot be written).
ReportSummary writeEvaluationReport(Project &project, const std::filesystem::path &file, const ReportOptions &options);

} // namespace lookalike
