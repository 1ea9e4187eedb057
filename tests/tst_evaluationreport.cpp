// EvaluationReport: the HTML page holds the engine's numbers, inline thumbnails and no script,
// hides every name in blind form, labels an unreadable image instead of breaking, escapes
// catalog text; and in a real browser (Debian's chromium, headless) every image loads, the page
// fits an A4 width, the screenshot shows the catalog's images and the PDF is A4 with images.
#include "core/Error.h"
#include "core/metrics/MetricKind.h"
#include "core/project/EvaluationEngine.h"
#include "core/project/FrozenLists.h"
#include "core/project/JudgmentStore.h"
#include "core/project/Sql.h"
#include "core/report/EvaluationReport.h"
#include "support/ErrorOf.h"
#include "support/RefData.h"
#include "support/TwoModelProject.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <cmath>
#include <cstdio>
#include <random>

using namespace lookalike;
using testsupport::errorOf;

namespace {

// The two-model project with most of its lists graded by two raters (seeded).
testsupport::TwoModelProject gradedProject()
{
    auto f = testsupport::makeTwoModelProject();
    JudgmentStore store(*f.project);
    std::mt19937 rng(7);
    for (std::size_t qi = 0; qi + 1 < f.queries.size(); ++qi)
        for (const ModelVersion &v : f.versions)
            for (const ResultEntry &e : frozenResultList(*f.project, v, f.queries[qi]))
                if (rng() % 4 != 0)
                    store.grade(f.queries[qi], e.candidateItemId, rng() % 3 ? "ana" : "ben", static_cast<int>(rng() % 4));
    return f;
}

QString fourDecimals(double v)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", v);
    return QString::fromLatin1(buffer);
}

QString chromium()
{
    for (const char *name : {"chromium", "chromium-browser"})
        if (const QString path = QStandardPaths::findExecutable(QString::fromLatin1(name)); !path.isEmpty())
            return path;
    return {};
}

// Runs headless chromium on `url` with `args`; its stdout.
QByteArray runChromium(const QStringList &args, const QString &url)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    const QString profile = testsupport::scratchDir(QStringLiteral("chromium-profile"));
    // A home and caches of its own: a CI runner's HOME may be read-only or shared.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *var : {"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"})
        env.insert(QString::fromLatin1(var), profile);
    p.setProcessEnvironment(env);
    p.start(chromium(), QStringList{QStringLiteral("--headless=new"), QStringLiteral("--no-sandbox"),
                                    QStringLiteral("--disable-gpu"), QStringLiteral("--hide-scrollbars"),
                                    QStringLiteral("--no-first-run"), QStringLiteral("--user-data-dir=") + profile}
                            + args + QStringList{url});
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        qWarning("chromium did not finish");
        return {};
    }
    return p.readAllStandardOutput();
}

} // namespace

class TestEvaluationReport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void holdsTheEnginesNumbersAndNoScript();
    void blindFormNamesNoVersion();
    void unreadableImageIsLabelled();
    void catalogTextIsEscaped();
    void unknownVersionIsRefused();
    void rendersInChromium();
};

void TestEvaluationReport::holdsTheEnginesNumbersAndNoScript()
{
    auto f = gradedProject();
    Project &p = *f.project;
    ReportSummary summary;
    std::vector<std::pair<std::size_t, std::size_t>> progress;
    ReportOptions options;
    options.progress = [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); };
    const QString html = QString::fromStdString(evaluationReportHtml(p, options, &summary));
    const EvaluationEngine engine(p);
    for (const ModelVersion &v : f.versions) {
        const ModelMetrics &m = engine.metrics(v.id);
        QVERIFY(!m.perQuery.empty());
        // The version's row of the metrics table: its name, then every metric as eval prints it.
        QString row = QStringLiteral("<tr><td>%1</td>").arg(QString::fromStdString(v.name));
        for (Metric metric : kAllMetrics)
            row += QStringLiteral("<td>%1</td>").arg(fourDecimals(metricValue(m.mean, metric)));
        QVERIFY2(html.contains(row), qPrintable(row));
    }
    const PairedComparison c = engine.compare(f.versions[0].id, f.versions[1].id, Metric::Ndcg5);
    QVERIFY(html.contains(QStringLiteral("on the %1 queries both evaluate").arg(c.n)));
    QVERIFY(html.contains(QStringLiteral("%1 / %2 / %3").arg(c.winsTiesLosses.wins).arg(c.winsTiesLosses.ties).arg(c.winsTiesLosses.losses)));
    for (const char *section : {"<h2>Metrics</h2>", "<h2>Comparison with model-a</h2>", "<h2>Per-query nDCG@5</h2>",
                                "<h2>By category</h2>", "<h2>Raters</h2>", "<h2>Worst queries</h2>",
                                "<h2>Largest differences</h2>", "Krippendorff"})
        QVERIFY2(html.contains(QLatin1String(section)), section);
    QCOMPARE(html.count(QStringLiteral("<svg class=\"histogram\"")), 2);
    // Every worst query and every gap shows both versions' top 5.
    const int cases = html.count(QStringLiteral("<div class=\"case\">"));
    QVERIFY(cases >= 10);
    QCOMPARE(html.count(QStringLiteral("<div class=\"strip\"><div class=\"label\">model-a</div>")), cases);
    QCOMPARE(html.count(QStringLiteral("<div class=\"strip\"><div class=\"label\">model-b</div>")), cases);
    // Self-contained: every image inline, nothing fetched, nothing run.
    QVERIFY(summary.thumbnails > 0);
    QCOMPARE(html.count(QStringLiteral("<img ")), html.count(QStringLiteral("src=\"data:image/jpeg;base64,")));
    QVERIFY(!html.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    QVERIFY(!html.contains(QStringLiteral("http://")) && !html.contains(QStringLiteral("https://")));
    QCOMPARE(summary.missingImages, std::size_t(0));
    QCOMPARE(progress.size(), summary.thumbnails);
    QCOMPARE(progress.back().first, progress.back().second);
}

void TestEvaluationReport::blindFormNamesNoVersion()
{
    auto f = gradedProject();
    Project &p = *f.project;
    ReportOptions options;
    options.blind = true;
    options.models = {"model-b", "model-a"};
    const QString html = QString::fromStdString(evaluationReportHtml(p, options));
    for (const ModelVersion &v : f.versions) {
        QVERIFY2(!html.contains(QString::fromStdString(v.name)), v.name.c_str());
        QVERIFY(!html.contains(QString::fromStdString(v.fingerprint.substr(0, 12))));
        QVERIFY(!html.contains(QString::fromStdString(v.source.filename().string())));
    }
    QVERIFY(html.contains(QStringLiteral("<h2>Comparison with version 1</h2>")));
    QVERIFY(html.contains(QStringLiteral("Blind report")));
    // version 1 is model-b: its row holds model-b's numbers.
    const EvaluationEngine engine(p);
    QVERIFY(html.contains(QStringLiteral("<tr><td>version 1</td><td>%1</td>")
                              .arg(fourDecimals(engine.metrics(f.versions[1].id).mean.ndcg5))));
}

void TestEvaluationReport::unreadableImageIsLabelled()
{
    auto f = gradedProject();
    Project &p = *f.project;
    // Every image gone: the page is still written, each card says so.
    for (std::int64_t q : f.queries)
        QFile::remove(QString::fromStdString(p.item(q).image.string()));
    const QString out = testsupport::scratchDir(QStringLiteral("report-missing")) + QStringLiteral("/sub/report.html");
    const ReportSummary s = writeEvaluationReport(p, out.toStdString(), {});
    QVERIFY(s.missingImages >= f.queries.size() - 1);
    QCOMPARE(s.bytes, static_cast<std::size_t>(QFile(out).size()));
    QVERIFY(testsupport::readFileBytes(out).contains("image unavailable"));
}

void TestEvaluationReport::catalogTextIsEscaped()
{
    auto f = gradedProject();
    Project &p = *f.project;
    Sql(p.database(), "test", QStringLiteral("UPDATE items SET title = ?, category = ? WHERE item_key = 'red-0'"))
        .bind(std::string("<script>alert(1)</script> & \"co\""))
        .bind(std::string("<b>red</b>"))
        .exec();
    const QString html = QString::fromStdString(evaluationReportHtml(p, {}));
    QVERIFY(!html.contains(QStringLiteral("<script>")));
    QVERIFY(!html.contains(QStringLiteral("<b>red</b>")));
    QVERIFY(html.contains(QStringLiteral("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;")));
}

void TestEvaluationReport::unknownVersionIsRefused()
{
    auto f = gradedProject();
    ReportOptions options;
    options.models = {"model-a", "nope"};
    const auto e = errorOf([&] { evaluationReportHtml(*f.project, options); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::NotFound);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QStringLiteral("'nope' (known: model-a, model-b)")), e->what());
}

void TestEvaluationReport::rendersInChromium()
{
    if (chromium().isEmpty())
        QFAIL("chromium is not installed: scripts/install-deps.sh installs Debian's chromium for this test");
    auto f = gradedProject();
    const QString dir = testsupport::scratchDir(QStringLiteral("report-browser"));
    const QString page = dir + QStringLiteral("/report.html");
    const ReportSummary s = writeEvaluationReport(*f.project, page.toStdString(), {});
    const QString url = QStringLiteral("file://") + page;

    // The DOM after layout, at an A4 width (794 px at 96 dpi), read by a script that only this
    // copy of the page has: how many images loaded, and whether anything is wider than the page.
    const QString checked = dir + QStringLiteral("/checked.html");
    QFile copy(checked);
    QVERIFY(copy.open(QIODevice::WriteOnly));
    copy.write(testsupport::readFileBytes(page));
    copy.write("<script>window.addEventListener('load', () => { const i = [...document.images]; "
               "document.title = `CHECK images=${i.length} broken=${i.filter(x => !x.complete || x.naturalWidth === 0).length}"
               " overflow=${document.documentElement.scrollWidth - window.innerWidth}"
               " tables=${document.querySelectorAll('table').length}`; });</script>\n");
    copy.close();
    const QByteArray dom = runChromium({QStringLiteral("--window-size=794,1123"), QStringLiteral("--virtual-time-budget=10000"),
                                        QStringLiteral("--dump-dom")},
                                       QStringLiteral("file://") + checked);
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("CHECK images=(\\d+) broken=(\\d+) overflow=(-?\\d+) tables=(\\d+)"))
                                          .match(QString::fromUtf8(dom));
    QVERIFY2(m.hasMatch(), dom.left(300).constData());
    QVERIFY(m.captured(1).toInt() >= static_cast<int>(s.thumbnails));
    QCOMPARE(m.captured(2).toInt(), 0);
    QVERIFY2(m.captured(3).toInt() <= 0, qPrintable(QStringLiteral("the page is %1 px wider than A4").arg(m.captured(3))));
    QVERIFY(m.captured(4).toInt() >= 4); // metrics, comparison, breakdown, agreement

    // A screenshot shows the catalog's images: the red items' pixels are there.
    const QString png = dir + QStringLiteral("/report.png");
    runChromium({QStringLiteral("--window-size=794,6000"), QStringLiteral("--screenshot=") + png}, url);
    const QImage shot(png);
    QVERIFY2(!shot.isNull(), "no screenshot");
    QCOMPARE(shot.width(), 794);
    int red = 0;
    for (int y = 0; y < shot.height(); ++y)
        for (int x = 0; x < shot.width(); ++x) {
            const QColor c = shot.pixelColor(x, y);
            red += c.red() >= 185 && c.green() >= 40 && c.blue() >= 40 && c.red() - std::max(c.green(), c.blue()) > 60;
        }
    QVERIFY2(red > 2000, qPrintable(QStringLiteral("%1 red pixels").arg(red)));

    // The PDF: A4 pages holding images.
    const QString pdf = dir + QStringLiteral("/report.pdf");
    runChromium({QStringLiteral("--no-pdf-header-footer"), QStringLiteral("--print-to-pdf=") + pdf}, url);
    const QByteArray bytes = testsupport::readFileBytes(pdf);
    QVERIFY(bytes.startsWith("%PDF-"));
    QVERIFY2(QRegularExpression(QStringLiteral("/MediaBox \\[0 0 59[45](\\.\\d+)? 84[12](\\.\\d+)?\\]"))
                 .match(QString::fromLatin1(bytes)).hasMatch(),
             "not A4");
    QVERIFY(bytes.count("/Subtype /Image") >= 1);
}

QTEST_MAIN(TestEvaluationReport)
#include "tst_evaluationreport.moc"
