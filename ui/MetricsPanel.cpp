// The live metrics panel.
#include "ui/MetricsPanel.h"

#include "core/metrics/FailureAnalysis.h"
#include "core/util/Csv.h"
#include "ui/ReviewSession.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace lookalike::ui {

namespace {

constexpr int kBins = 10;

// A value in the CSV export: every digit a double holds.
QString exact(double v)
{
    return QString::number(v, 'g', 17);
}

QString withInterval(double value, const ConfidenceInterval &ci)
{
    if (!std::isfinite(value))
        return QStringLiteral("-");
    if (!std::isfinite(ci.lower))
        return QString::number(value, 'f', 3);
    // The normal interval is symmetric: mean +- half width says the same in less room.
    return QStringLiteral("%1 ± %2").arg(value, 0, 'f', 3).arg((ci.upper - ci.lower) / 2, 0, 'f', 3);
}

QString signedNumber(double v, int decimals)
{
    return (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

std::vector<double> valuesOf(const ModelMetrics &m, Metric metric)
{
    std::vector<double> out;
    out.reserve(m.perQuery.size());
    for (const auto &[q, qm] : m.perQuery)
        out.push_back(metricValue(qm, metric));
    return out;
}

QChartView *makeChartView(const QString &name, QWidget *parent)
{
    auto *chart = new QChart;
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto *view = new QChartView(chart, parent);
    view->setObjectName(name);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(180);
    return view;
}

} // namespace

MetricsPanel::MetricsPanel(ReviewSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    setObjectName(QStringLiteral("metricsPanel"));
    auto *layout = new QVBoxLayout(this);
    m_table = new QTableWidget(0, 5, this);
    m_table->setObjectName(QStringLiteral("metricsTable"));
    m_table->setHorizontalHeaderLabels({tr("Version"), tr("nDCG@5"), tr("P@1"), tr("judged@5"), tr("n")});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch); // the name gives way first
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->setToolTip(tr("Means over the queries that have a list and a grade, ± the half width of a 95 % interval "
                           "(normal approximation)"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->setWordWrap(false);
    m_table->setMaximumHeight(
        m_table->horizontalHeader()->sizeHint().height() + 2 * m_table->verticalHeader()->defaultSectionSize() + 6);
    layout->addWidget(m_table);
    m_comparison = new QLabel(this);
    m_comparison->setObjectName(QStringLiteral("comparisonLabel"));
    m_comparison->setTextFormat(Qt::RichText);
    m_comparison->setWordWrap(true);
    layout->addWidget(m_comparison);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("planLabel"));
    m_plan->setWordWrap(true);
    m_plan->setToolTip(tr("The judging planner: settled means no grade still to come can change which version is "
                          "better; significant, that the 95 % interval excludes 0 whatever those grades are."));
    layout->addWidget(m_plan);
    m_distribution = makeChartView(QStringLiteral("distributionChart"), this);
    m_running = makeChartView(QStringLiteral("runningMeanChart"), this);
    layout->addWidget(m_distribution, 1);
    layout->addWidget(m_running, 1);
    connect(m_session, &ReviewSession::judgmentChanged, this, &MetricsPanel::refresh);
    connect(m_session, &ReviewSession::queriesChanged, this, &MetricsPanel::refresh);
    connect(m_session, &ReviewSession::planChanged, this, &MetricsPanel::refresh); // built, building or dropped
    if (!m_session->models().empty())
        setModels(m_session->models().front().id, m_session->models().size() > 1 ? m_session->models()[1].id : 0);
}

void MetricsPanel::setModels(qint64 a, qint64 b)
{
    m_a = a;
    m_b = b == a ? 0 : b;
    refresh();
}

void MetricsPanel::setBlind(bool blind)
{
    m_blind = blind;
    refresh();
}

QString MetricsPanel::nameOf(int side) const
{
    return m_session->versionLabel(side == 0 ? m_a : m_b, side + 1, m_blind);
}

void MetricsPanel::refresh()
{
    std::vector<qint64> shown;
    for (qint64 id : {m_a, m_b})
        if (id && m_session->model(id))
            shown.push_back(id);
    m_table->setRowCount(static_cast<int>(shown.size()));
    m_csv = QStringLiteral("version,metric,value,ci_low,ci_high,queries\n");
    for (int row = 0; row < static_cast<int>(shown.size()); ++row) {
        const ModelMetrics &m = m_session->metrics(shown[static_cast<std::size_t>(row)]);
        const auto ndcg = valuesOf(m, Metric::Ndcg5), p1 = valuesOf(m, Metric::Precision1);
        const bool any = !m.perQuery.empty();
        const ConfidenceInterval ciN = normalMeanCI(ndcg), ciP = normalMeanCI(p1);
        const QStringList cells{nameOf(row), any ? withInterval(m.mean.ndcg5, ciN) : QStringLiteral("-"),
            any ? withInterval(m.mean.precision1, ciP) : QStringLiteral("-"),
            any ? QString::number(m.mean.judged5, 'f', 2) : QStringLiteral("-"), QString::number(m.perQuery.size())};
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(c == 0 ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, c, item);
        }
        if (any) {
            const QString n = QString::number(m.perQuery.size());
            m_csv += csvRow({nameOf(row), QStringLiteral("ndcg@5"), exact(m.mean.ndcg5), exact(ciN.lower), exact(ciN.upper), n});
            m_csv += csvRow({nameOf(row), QStringLiteral("p@1"), exact(m.mean.precision1), exact(ciP.lower), exact(ciP.upper), n});
            m_csv += csvRow({nameOf(row), QStringLiteral("judged@5"), exact(m.mean.judged5), QString(), QString(), n});
        }
    }

    // The comparison, on the queries both versions evaluate.
    QString text;
    if (shown.size() == 2) {
        for (Metric metric : {Metric::Ndcg5, Metric::Precision1}) {
            const PairedComparison c = m_session->compare(shown[0], shown[1], metric);
            if (c.n == 0) {
                text += tr("<b>%1</b>: no query judged for both yet<br>").arg(QLatin1String(metricName(metric)));
                continue;
            }
            const ConfidenceInterval &ci = c.meanDeltaCI;
            const QString colour = !std::isfinite(ci.lower) || (ci.lower <= 0 && ci.upper >= 0)
                ? QStringLiteral("#666")
                : (c.meanDelta > 0 ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828"));
            text += tr("<b>%1</b> %2 − %3: <span style='color:%4'><b>%5</b> [%6, %7]</span>, %8 · wins/ties/losses "
                       "%9/%10/%11 on %12 queries<br>")
                        .arg(QLatin1String(metricName(metric)), nameOf(1), nameOf(0), colour,
                            signedNumber(c.meanDelta, 3), signedNumber(ci.lower, 3), signedNumber(ci.upper, 3),
                            std::isfinite(c.relativeChangePercent)
                                ? signedNumber(c.relativeChangePercent, 1) + QStringLiteral(" %")
                                : tr("n/a"))
                        .arg(c.winsTiesLosses.wins)
                        .arg(c.winsTiesLosses.ties)
                        .arg(c.winsTiesLosses.losses)
                        .arg(c.n);
            m_csv += csvRow({nameOf(1) + QStringLiteral(" - ") + nameOf(0),
                             QStringLiteral("delta ") + QLatin1String(metricKey(metric)), exact(c.meanDelta),
                             exact(ci.lower), exact(ci.upper), QString::number(c.n)});
        }
    } else {
        text = tr("Choose a second version to compare.");
    }
    m_comparison->setText(text);
    const QString plan = shown.size() == 2 ? m_session->planStatus(shown[0], shown[1], nameOf(0), nameOf(1)) : QString();
    m_plan->setText(shown.size() != 2 ? QString()
                    : plan.isEmpty()  ? tr("Press J to judge first the pairs that decide this comparison.")
                                      : tr("Plan: %1").arg(plan));

    // Distribution of per-query nDCG@5, in 10 bins.
    QChart *dist = m_distribution->chart();
    dist->removeAllSeries();
    for (QAbstractAxis *axis : dist->axes()) {
        dist->removeAxis(axis); // hands ownership back: without the delete every refresh leaked the axes
        delete axis;
    }
    auto *bars = new QBarSeries;
    QStringList binNames;
    for (int i = 0; i < kBins; ++i)
        binNames << QString::number(double(i) / kBins, 'f', 1).mid(i == 0 ? 0 : 1); // "0.0", ".1", ".2", ...
    int maxCount = 1;
    for (int side = 0; side < static_cast<int>(shown.size()); ++side) {
        auto *set = new QBarSet(nameOf(side));
        std::vector<int> counts(kBins, 0);
        for (double v : valuesOf(m_session->metrics(shown[static_cast<std::size_t>(side)]), Metric::Ndcg5))
            ++counts[static_cast<std::size_t>(std::clamp(static_cast<int>(v * kBins), 0, kBins - 1))];
        for (int c : counts) {
            *set << c;
            maxCount = std::max(maxCount, c);
        }
        bars->append(set);
    }
    dist->addSeries(bars);
    auto *binAxis = new QBarCategoryAxis;
    binAxis->append(binNames);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.75);
    binAxis->setLabelsFont(small);
    dist->addAxis(binAxis, Qt::AlignBottom);
    bars->attachAxis(binAxis);
    auto *countAxis = new QValueAxis;
    countAxis->setRange(0, maxCount);
    countAxis->setLabelFormat(QStringLiteral("%d"));
    dist->addAxis(countAxis, Qt::AlignLeft);
    bars->attachAxis(countAxis);
    dist->setTitle(tr("Per-query nDCG@5"));

    // Running mean of nDCG@5 over this session's grades.
    QChart *run = m_running->chart();
    run->removeAllSeries();
    for (QAbstractAxis *axis : run->axes()) {
        run->removeAxis(axis); // hands ownership back: without the delete every refresh leaked the axes
        delete axis;
    }
    auto *x = new QValueAxis;
    auto *y = new QValueAxis;
    y->setRange(0, 1);
    const auto &points = m_session->runningMean();
    const int lastGrade = points.empty() ? 0 : points.back().grades;
    x->setRange(0, std::max(1, lastGrade));
    x->setTickCount(std::clamp(lastGrade + 1, 2, 6));
    x->setLabelFormat(QStringLiteral("%d"));
    x->setTitleText(tr("grades this session"));
    run->addAxis(x, Qt::AlignBottom);
    run->addAxis(y, Qt::AlignLeft);
    for (int side = 0; side < static_cast<int>(shown.size()); ++side) {
        auto *line = new QLineSeries;
        line->setName(nameOf(side));
        line->setPointsVisible(true); // the first point is visible before there is a line
        for (const MeanPoint &p : points)
            if (const auto it = p.ndcg5.find(shown[static_cast<std::size_t>(side)]); it != p.ndcg5.end())
                line->append(p.grades, it->second);
        run->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    run->setTitle(tr("Mean nDCG@5 as grades come in"));
}

QString MetricsPanel::metricsCsv() const
{
    return m_csv;
}

QImage MetricsPanel::chartImage() const
{
    const QSize size(std::max(480, m_distribution->width()), std::max(240, m_distribution->height()));
    QImage image(size.width(), size.height() * 2, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    m_distribution->render(&painter, QRectF(0, 0, size.width(), size.height()));
    m_running->render(&painter, QRectF(0, size.height(), size.width(), size.height()));
    return image;
}

} // namespace lookalike::ui
