// The evaluation report (see EvaluationReport.h): the numbers come from EvaluationEngine and
// the failure analysis exactly as `lookalike eval` prints them; this file only lays them out.
#include "core/report/EvaluationReport.h"

#include "core/Error.h"
#include "core/Version.h"
#include "core/image/Thumbnail.h"
#include "core/index/AtomicFile.h"
#include "core/metrics/FailureAnalysis.h"
#include "core/metrics/MetricKind.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Project.h"
#include "core/project/ProjectSettings.h"
#include "core/project/RaterAgreement.h"

#include <QByteArray>
#include <QDateTime>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

namespace lookalike {

namespace {

std::string escape(const std::string &s)
{
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string fixed(double v, int decimals = 4, bool sign = false)
{
    if (!std::isfinite(v))
        return "n/a";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, sign ? "%+.*f" : "%.*f", decimals, v);
    return buffer;
}

std::string signedFixed(double v, int decimals = 4)
{
    return fixed(v, decimals, true);
}

// The page's look: readable on screen, A4 in print, no table or image row split across pages.
constexpr const char *kStyle = R"CSS(
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 13px; color: #1d1d1f;
       max-width: 960px; margin: 24px auto; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d0d5; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
p.meta, p.note { color: #55555a; margin: 2px 0; }
p.verdict { font-size: 14px; margin: 6px 0 10px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; break-inside: avoid; }
th, td { border-bottom: 1px solid #e3e3e8; padding: 4px 6px; text-align: right; white-space: nowrap; }
th { background: #f3f3f6; font-weight: 600; white-space: normal; overflow-wrap: anywhere; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; white-space: normal; }
td.better { color: #1a7f37; } td.worse { color: #b42318; }
svg.histogram { width: 100%; max-width: 440px; height: auto; display: block; }
.histograms { display: flex; flex-wrap: wrap; gap: 16px; }
.histograms figure { margin: 0; flex: 1 1 300px; max-width: 460px; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 2px; }
.case { border: 1px solid #e3e3e8; border-radius: 6px; padding: 8px; margin: 10px 0; break-inside: avoid; }
.case .head { margin-bottom: 6px; }
.strip { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; margin: 4px 0; }
.strip .label { width: 110px; font-size: 12px; color: #55555a; padding-top: 4px; overflow-wrap: anywhere; }
.card { width: 84px; font-size: 11px; text-align: center; }
.card img, .card .missing { width: 80px; height: 80px; object-fit: contain; background: #f6f6f8;
       border: 1px solid #e3e3e8; border-radius: 4px; display: block; margin: 0 auto; }
.card .missing { display: flex; align-items: center; justify-content: center; color: #8a8a90; font-size: 10px; }
.card .id { overflow-wrap: anywhere; }
.query img { border: 2px solid #3a6fd8; }
.grade { display: inline-block; min-width: 14px; padding: 0 4px; border-radius: 8px; color: #fff; font-weight: 600; }
.g-none { background: #a0a0a6; } .g-low { background: #b42318; } .g-mid { background: #c27c0e; } .g-high { background: #1a7f37; }
footer { margin-top: 32px; color: #8a8a90; font-size: 11px; }
@page { size: A4; margin: 12mm; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 11px; } h2 { break-after: avoid; } }
)CSS";

class ReportBuilder {
public:
    ReportBuilder(Project &project, const ReportOptions &options, ReportSummary &summary)
        : m_project(project)
        , m_options(options)
        , m_summary(summary)
        , m_engine(project, options.gain)
        , m_store(project)
    {
        chooseVersions();
    }

    std::string build()
    {
        collectImages();
        header();
        metricsTable();
        comparisons();
        distributions();
        breakdown();
        agreement();
        worstQueries();
        gapRows();
        m_out += "<footer>Made by Lookalike " LOOKALIKE_VERSION " on " + escape(m_now)
               + ". Metrics follow trec_eval's conventions; comparisons are paired on the queries both versions "
                 "evaluate (95 % paired bootstrap interval, 10,000 resamples, seed 1; two-sided paired "
                 "randomization test).</footer>\n</body>\n</html>\n";
        return m_out;
    }

private:
    void chooseVersions()
    {
        if (m_engine.models().empty())
            throw Error(ErrorCode::NotFound, m_project.databaseFile().string(),
                        "the project has no model version yet (see lookalike index)");
        if (m_options.models.empty()) {
            m_versions = m_engine.models();
        } else {
            for (const std::string &name : m_options.models) {
                const auto it = std::find_if(m_engine.models().begin(), m_engine.models().end(),
                                             [&](const ModelVersion &v) { return v.name == name; });
                if (it == m_engine.models().end()) {
                    std::string known;
                    for (const ModelVersion &v : m_engine.models())
                        known += (known.empty() ? "" : ", ") + v.name;
                    throw Error(ErrorCode::NotFound, m_project.databaseFile().string(),
                                "no model version named '" + name + "' (known: " + known + ")");
                }
                m_versions.push_back(*it);
            }
        }
        for (std::size_t i = 0; i < m_versions.size(); ++i)
            m_labels.push_back(m_options.blind ? "version " + std::to_string(i + 1) : m_versions[i].name);
        m_summary.versions = m_versions.size();
        m_summary.queries = m_project.queryItemIds().size();
        m_now = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")).toStdString();
    }

    const ModelMetrics &metrics(std::size_t i) const { return m_engine.metrics(m_versions[i].id); }

    // The queries whose lists are shown, and the items of those lists: thumbnailed once each.
    void collectImages()
    {
        for (std::size_t i = 0; i < m_versions.size(); ++i) {
            for (const QueryValue &q : lookalike::worstQueries(metrics(i), Metric::Ndcg5, m_options.worst))
                m_worst[i].push_back(q);
        }
        for (std::size_t i = 1; i < m_versions.size(); ++i)
            m_gaps[i] = largestGaps(metrics(0), metrics(i), Metric::Ndcg5, m_options.gaps);
        std::set<std::int64_t> shown;
        auto addList = [&](std::size_t version, std::int64_t query) {
            shown.insert(query);
            const RankedList &list = m_engine.list(m_versions[version].id, query);
            for (std::size_t r = 0; r < list.size() && r < m_options.listLength; ++r)
                shown.insert(list[r]);
        };
        for (const auto &[version, queries] : m_worst)
            for (const QueryValue &q : queries)
                for (std::size_t v = 0; v < m_versions.size(); ++v)
                    addList(v, q.query); // every version's list of it, to compare
        for (const auto &[version, gaps] : m_gaps)
            for (const QueryGap &g : gaps) {
                addList(0, g.query);
                addList(version, g.query);
            }
        const std::vector<std::int64_t> ids(shown.begin(), shown.end());
        std::size_t done = 0;
        for (const Item &item : m_project.items(ids)) {
            std::string &html = m_cards[item.id];
            try {
                const Thumbnail t = makeThumbnail(item.image, m_options.thumbnailSize);
                const QByteArray data = QByteArray::fromRawData(reinterpret_cast<const char *>(t.jpeg.data()),
                                                                static_cast<qsizetype>(t.jpeg.size()))
                                            .toBase64();
                html = "<img alt=\"" + escape(item.title) + "\" width=\"" + std::to_string(t.width) + "\" height=\""
                     + std::to_string(t.height) + "\" src=\"data:image/jpeg;base64," + data.toStdString() + "\">";
                ++m_summary.thumbnails;
            } catch (const Error &) {
                html = "<div class=\"missing\">image unavailable</div>";
                ++m_summary.missingImages;
            }
            m_items.emplace(item.id, item);
            if (m_options.progress)
                m_options.progress(++done, ids.size());
        }
    }

    void header()
    {
        const MetricSettings &s = m_engine.settings();
        const std::string project = m_project.folder().filename().string();
        m_out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
               + escape("Evaluation report: " + project) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
        m_out += "<h1>Evaluation report: " + escape(project) + "</h1>\n";
        m_out += "<p class=\"meta\">" + std::to_string(m_summary.queries) + " queries in the set; grades "
               + std::to_string(s.lowestGrade) + "&ndash;" + std::to_string(s.highestGrade) + ", relevant from "
               + std::to_string(s.relevanceThreshold) + ", "
               + (m_options.gain == GainKind::Exponential ? "exponential" : "linear") + " gain, resolution rule "
               + resolutionRuleName(m_store.resolutionRule()) + ". Made " + escape(m_now) + ".</p>\n";
        if (m_options.blind)
            m_out += "<p class=\"meta\"><strong>Blind report:</strong> the versions are numbered in a fixed order; "
                     "their names are not in this page.</p>\n";
        if (m_engine.gradedOutsideQuerySet() > 0)
            m_out += "<p class=\"note\">" + std::to_string(m_engine.gradedOutsideQuerySet())
                   + " items graded as queries are not in the query set and are left out.</p>\n";
    }

    void metricsTable()
    {
        m_out += "<h2>Metrics</h2>\n<table class=\"metrics\">\n<tr><th>version</th>";
        for (Metric m : kAllMetrics)
            m_out += std::string("<th>") + metricName(m) + "</th>";
        m_out += "<th>queries</th><th>left out</th></tr>\n";
        for (std::size_t i = 0; i < m_versions.size(); ++i) {
            const ModelMetrics &mm = metrics(i);
            m_out += "<tr><td>" + escape(m_labels[i]) + "</td>";
            for (Metric m : kAllMetrics)
                m_out += "<td>" + (mm.perQuery.empty() ? std::string("n/a") : fixed(metricValue(mm.mean, m))) + "</td>";
            m_out += "<td>" + std::to_string(mm.perQuery.size()) + "</td><td>"
                   + std::to_string(mm.queriesWithoutJudgment + mm.queriesWithoutList) + "</td></tr>\n";
        }
        m_out += "</table>\n<p class=\"note\">A query enters a mean when it has a list and at least one grade. "
                 "judged@5 is the share of the top 5 that has a grade: read it next to nDCG@5. \"Left out\": "
                 "queries with a list but no grade yet, or graded without a list.</p>\n";
    }

    void comparisons()
    {
        if (m_versions.size() < 2)
            return;
        m_out += "<h2>Comparison with " + escape(m_labels[0]) + "</h2>\n";
        for (std::size_t i = 1; i < m_versions.size(); ++i) {
            const PairedComparison ndcg = m_engine.compare(m_versions[0].id, m_versions[i].id, Metric::Ndcg5);
            m_out += "<h3>" + escape(m_labels[i]) + " against " + escape(m_labels[0]) + ", on the " + std::to_string(ndcg.n)
                   + " queries both evaluate</h3>\n<p class=\"verdict\">" + verdict(ndcg, i) + "</p>\n";
            m_out += "<table class=\"comparison\">\n<tr><th>metric</th><th>" + escape(m_labels[0]) + "</th><th>"
                   + escape(m_labels[i]) + "</th><th>delta</th><th>change</th><th>95 % CI of delta</th><th>p</th>"
                   "<th>wins / ties / losses</th></tr>\n";
            for (Metric m : kAllMetrics) {
                if (m == Metric::Judged5)
                    continue;
                const PairedComparison c = m == Metric::Ndcg5 ? ndcg : m_engine.compare(m_versions[0].id, m_versions[i].id, m);
                const char *direction = !std::isfinite(c.meanDeltaCI.lower) ? ""
                                      : c.meanDeltaCI.lower > 0             ? " class=\"better\""
                                      : c.meanDeltaCI.upper < 0             ? " class=\"worse\""
                                                                            : "";
                m_out += std::string("<tr><td>") + metricName(m) + "</td><td>" + fixed(c.meanA) + "</td><td>" + fixed(c.meanB)
                       + "</td><td" + direction + ">" + signedFixed(c.meanDelta) + "</td><td>"
                       + signedFixed(c.relativeChangePercent, 1) + " %</td><td>[" + signedFixed(c.meanDeltaCI.lower) + ", "
                       + signedFixed(c.meanDeltaCI.upper) + "]</td><td>" + fixed(c.randomization.pValue) + "</td><td>"
                       + std::to_string(c.winsTiesLosses.wins) + " / " + std::to_string(c.winsTiesLosses.ties) + " / "
                       + std::to_string(c.winsTiesLosses.losses) + "</td></tr>\n";
            }
            m_out += "</table>\n";
        }
    }

    std::string verdict(const PairedComparison &c, std::size_t i) const
    {
        if (c.n == 0)
            return "No query is evaluated by both versions yet.";
        const std::string interval
            = "mean difference " + signedFixed(c.meanDelta) + ", 95 % CI [" + signedFixed(c.meanDeltaCI.lower) + ", "
            + signedFixed(c.meanDeltaCI.upper) + "], p = " + fixed(c.randomization.pValue);
        if (c.meanDeltaCI.lower > 0)
            return "<strong>" + escape(m_labels[i]) + " is better</strong> on nDCG@5 (" + interval + ").";
        if (c.meanDeltaCI.upper < 0)
            return "<strong>" + escape(m_labels[i]) + " is worse</strong> on nDCG@5 (" + interval + ").";
        return "<strong>No clear difference</strong> on nDCG@5 yet: the interval holds 0 (" + interval
             + "). More judged queries would narrow it.";
    }

    // One SVG bar chart per version: the per-query nDCG@5 in ten bins.
    void distributions()
    {
        m_out += "<h2>Per-query nDCG@5</h2>\n<div class=\"histograms\">\n";
        for (std::size_t i = 0; i < m_versions.size(); ++i) {
            std::array<int, 10> bins{};
            for (const auto &[query, m] : metrics(i).perQuery)
                ++bins[static_cast<std::size_t>(std::clamp(static_cast<int>(m.ndcg5 * 10), 0, 9))];
            const int most = std::max(1, *std::max_element(bins.begin(), bins.end()));
            constexpr int kWidth = 440, kHeight = 160, kLeft = 30, kBottom = 24, kTop = 14;
            const double barWidth = (kWidth - kLeft - 6) / 10.0;
            std::string svg = "<svg class=\"histogram\" viewBox=\"0 0 " + std::to_string(kWidth) + " "
                            + std::to_string(kHeight) + "\" role=\"img\" aria-label=\"per-query nDCG@5 of "
                            + escape(m_labels[i]) + "\">";
            svg += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(kHeight - kBottom) + "\" x2=\""
                 + std::to_string(kWidth - 4) + "\" y2=\"" + std::to_string(kHeight - kBottom)
                 + "\" stroke=\"#8a8a90\"/>";
            for (std::size_t b = 0; b < bins.size(); ++b) {
                const double h = (kHeight - kBottom - kTop) * static_cast<double>(bins[b]) / most;
                const double x = kLeft + b * barWidth + 2;
                svg += "<rect x=\"" + fixed(x, 1) + "\" y=\"" + fixed(kHeight - kBottom - h, 1) + "\" width=\""
                     + fixed(barWidth - 4, 1) + "\" height=\"" + fixed(h, 1) + "\" fill=\"#3a6fd8\"/>";
                if (bins[b] > 0)
                    svg += "<text x=\"" + fixed(x + (barWidth - 4) / 2, 1) + "\" y=\"" + fixed(kHeight - kBottom - h - 3, 1)
                         + "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1d1d1f\">" + std::to_string(bins[b]) + "</text>";
                svg += "<text x=\"" + fixed(kLeft + b * barWidth, 1) + "\" y=\"" + std::to_string(kHeight - 8)
                     + "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#55555a\">" + fixed(b / 10.0, 1) + "</text>";
            }
            svg += "<text x=\"" + std::to_string(kWidth - 14) + "\" y=\"" + std::to_string(kHeight - 8)
                 + "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#55555a\">1.0</text></svg>";
            m_out += "<figure><figcaption>" + escape(m_labels[i]) + " (" + std::to_string(metrics(i).perQuery.size())
                   + " queries)</figcaption>" + svg + "</figure>\n";
        }
        m_out += "</div>\n";
    }

    void breakdown()
    {
        std::map<std::int64_t, std::string> groups;
        try {
            groups = queryGroups(m_project, m_options.groupBy);
        } catch (const Error &) {
            return; // no query has the field: nothing to break down
        }
        std::vector<std::vector<GroupMetrics>> rows;
        std::set<std::string> names;
        for (std::size_t i = 0; i < m_versions.size(); ++i) {
            rows.push_back(breakdownByGroup(metrics(i), groups));
            for (const GroupMetrics &g : rows.back())
                names.insert(g.group);
        }
        // P@1 beside nDCG@5 while the table fits a page: up to two versions.
        const bool withP1 = m_versions.size() <= 2;
        m_out += "<h2>By " + escape(m_options.groupBy) + "</h2>\n<table class=\"breakdown\">\n<tr><th>"
               + escape(m_options.groupBy) + "</th>";
        for (std::size_t i = 0; i < m_versions.size(); ++i)
            m_out += "<th>" + escape(m_labels[i]) + " nDCG@5</th>" + (withP1 ? "<th>P@1</th>" : "") + "<th>queries</th>";
        m_out += "</tr>\n";
        for (const std::string &name : names) {
            m_out += "<tr><td>" + escape(name.empty() ? "(none)" : name) + "</td>";
            for (const auto &versionRows : rows) {
                const auto it = std::find_if(versionRows.begin(), versionRows.end(),
                                             [&](const GroupMetrics &g) { return g.group == name; });
                if (it == versionRows.end() || it->queries.empty())
                    m_out += std::string("<td>n/a</td>") + (withP1 ? "<td>n/a</td>" : "") + "<td>0</td>";
                else
                    m_out += "<td>" + fixed(it->mean.ndcg5) + "</td>"
                           + (withP1 ? "<td>" + fixed(it->mean.precision1) + "</td>" : std::string()) + "<td>"
                           + std::to_string(it->queries.size()) + "</td>";
            }
            m_out += "</tr>\n";
        }
        m_out += "</table>\n";
    }

    void agreement()
    {
        const AgreementReport a = raterAgreement(m_store);
        m_out += "<h2>Raters</h2>\n";
        if (a.pairs.empty()) {
            m_out += "<p class=\"note\">" + std::to_string(a.raters.size())
                   + (a.raters.size() == 1 ? " rater has" : " raters have")
                   + " graded so far: agreement needs two raters grading the same pairs.</p>\n";
            return;
        }
        m_out += "<table class=\"agreement\">\n<tr><th>raters</th><th>pairs both graded</th><th>same grade</th>"
                 "<th>weighted kappa (linear)</th><th>(quadratic)</th></tr>\n";
        for (const RaterPairAgreement &p : a.pairs) {
            const auto kappa = [](const KappaResult &k) { return k.defined ? fixed(k.kappa, 3) : std::string("n/a"); };
            m_out += "<tr><td>" + escape(p.raterA) + " &amp; " + escape(p.raterB) + "</td><td>"
                   + std::to_string(static_cast<long long>(p.unweighted.items)) + "</td><td>"
                   + fixed(100 * p.unweighted.observedAgreement, 1) + " %</td><td>" + kappa(p.linear) + "</td><td>"
                   + kappa(p.quadratic) + "</td></tr>\n";
        }
        m_out += "</table>\n<p class=\"note\">Krippendorff's alpha (ordinal) over all " + std::to_string(a.raters.size())
               + " raters: " + (a.alpha.defined ? fixed(a.alpha.alpha, 3) : std::string("n/a")) + " on "
               + std::to_string(a.alpha.pairableUnits) + " pairs graded more than once.</p>\n";
    }

    std::string gradeBadge(std::int64_t query, std::int64_t candidate) const
    {
        const QueryJudgments &grades = m_engine.judgments(query);
        const auto it = grades.find(candidate);
        if (it == grades.end())
            return "<span class=\"grade g-none\" title=\"not graded\">&ndash;</span>";
        const MetricSettings &s = m_engine.settings();
        const char *kind = it->second >= s.highestGrade && s.highestGrade > s.lowestGrade ? "g-high"
                         : it->second >= s.relevanceThreshold                               ? "g-mid"
                                                                                            : "g-low";
        return std::string("<span class=\"grade ") + kind + "\" title=\"grade\">" + std::to_string(it->second) + "</span>";
    }

    std::string card(std::int64_t item, const std::string &below) const
    {
        const Item &it = m_items.at(item);
        return "<div class=\"card\">" + m_cards.at(item) + "<div class=\"id\">" + escape(it.key) + "</div>" + below
             + "</div>";
    }

    std::string strip(const std::string &label, std::size_t version, std::int64_t query) const
    {
        std::string out = "<div class=\"strip\"><div class=\"label\">" + escape(label) + "</div>";
        const RankedList &list = m_engine.list(m_versions[version].id, query);
        for (std::size_t r = 0; r < list.size() && r < m_options.listLength; ++r)
            out += card(list[r], "<div>#" + std::to_string(r + 1) + " " + gradeBadge(query, list[r]) + "</div>");
        if (list.empty())
            out += "<div class=\"label\">no list</div>";
        return out + "</div>\n";
    }

    std::string queryHead(std::int64_t query, const std::string &numbers) const
    {
        const Item &q = m_items.at(query);
        return "<div class=\"strip head\"><div class=\"card query\">" + m_cards.at(query) + "</div><div><strong>"
             + escape(q.key) + "</strong> " + escape(q.title) + "<br>" + escape(q.category) + "<br>" + numbers
             + "</div></div>\n";
    }

    void worstQueries()
    {
        m_out += "<h2>Worst queries</h2>\n<p class=\"note\">Each version's lowest nDCG@5: the query, then each "
                 "version's top " + std::to_string(m_options.listLength)
               + " with their grades (&ndash;: not graded), that version's first.</p>\n";
        for (std::size_t i = 0; i < m_versions.size(); ++i) {
            m_out += "<h3>" + escape(m_labels[i]) + "</h3>\n";
            if (m_worst[i].empty())
                m_out += "<p class=\"note\">No query is evaluated yet.</p>\n";
            for (const QueryValue &q : m_worst[i]) {
                m_out += "<div class=\"case\">" + queryHead(q.query, "nDCG@5 " + fixed(q.value)) + strip(m_labels[i], i, q.query);
                for (std::size_t v = 0; v < m_versions.size(); ++v)
                    if (v != i)
                        m_out += strip(m_labels[v], v, q.query);
                m_out += "</div>\n";
            }
        }
    }

    void gapRows()
    {
        if (m_versions.size() < 2)
            return;
        m_out += "<h2>Largest differences</h2>\n<p class=\"note\">The queries on which the two versions' nDCG@5 "
                 "differ most, with both lists.</p>\n";
        for (std::size_t i = 1; i < m_versions.size(); ++i) {
            m_out += "<h3>" + escape(m_labels[i]) + " against " + escape(m_labels[0]) + "</h3>\n";
            if (m_gaps[i].empty())
                m_out += "<p class=\"note\">No query differs yet.</p>\n";
            for (const QueryGap &g : m_gaps[i])
                m_out += "<div class=\"case\">"
                       + queryHead(g.query, "nDCG@5 " + escape(m_labels[0]) + " " + fixed(g.a) + ", " + escape(m_labels[i])
                                                + " " + fixed(g.b) + " (" + signedFixed(g.delta) + ")")
                       + strip(m_labels[0], 0, g.query) + strip(m_labels[i], i, g.query) + "</div>\n";
        }
    }

    Project &m_project;
    const ReportOptions &m_options;
    ReportSummary &m_summary;
    EvaluationEngine m_engine;
    JudgmentStore m_store;
    std::vector<ModelVersion> m_versions;
    std::vector<std::string> m_labels;
    std::string m_now;
    std::map<std::size_t, std::vector<QueryValue>> m_worst;
    std::map<std::size_t, std::vector<QueryGap>> m_gaps;
    std::map<std::int64_t, Item> m_items;
    std::map<std::int64_t, std::string> m_cards; // item -> its <img> (or the missing box)
    std::string m_out;
};

} // namespace

std::string evaluationReportHtml(Project &project, const ReportOptions &options, ReportSummary *summary)
{
    ReportSummary local;
    ReportSummary &s = summary ? *summary : local;
    return ReportBuilder(project, options, s).build();
}

ReportSummary writeEvaluationReport(Project &project, const std::filesystem::path &file, const ReportOptions &options)
{
    ReportSummary summary;
    const std::string html = evaluationReportHtml(project, options, &summary);
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec); // as export creates its folder
    writeFileAtomically(file, "the report", [&](std::FILE *f) {
        if (std::fwrite(html.data(), 1, html.size(), f) != html.size())
            throw std::runtime_error("write failed");
    });
    summary.file = file;
    summary.bytes = html.size();
    return summary;
}

} // namespace lookalike
