// Names, keys and accessors of the reported metrics.
#include "core/metrics/MetricKind.h"

#include <QString>

namespace lookalike {

const char *metricName(Metric metric)
{
    switch (metric) {
    case Metric::Ndcg5:
        return "nDCG@5";
    case Metric::Precision1:
        return "P@1";
    case Metric::Ndcg10:
        return "nDCG@10";
    case Metric::Precision5:
        return "P@5";
    case Metric::ReciprocalRank:
        return "MRR";
    case Metric::Judged5:
        return "judged@5";
    }
    return "?";
}

const char *metricKey(Metric metric)
{
    switch (metric) {
    case Metric::Ndcg5:
        return "ndcg@5";
    case Metric::Precision1:
        return "p@1";
    case Metric::Ndcg10:
        return "ndcg@10";
    case Metric::Precision5:
        return "p@5";
    case Metric::ReciprocalRank:
        return "mrr";
    case Metric::Judged5:
        return "judged@5";
    }
    return "?";
}

std::optional<Metric> parseMetric(const std::string &text)
{
    const QString wanted = QString::fromStdString(text);
    for (Metric m : kAllMetrics)
        if (wanted.compare(QLatin1String(metricName(m)), Qt::CaseInsensitive) == 0
            || wanted.compare(QLatin1String(metricKey(m)), Qt::CaseInsensitive) == 0)
            return m;
    return std::nullopt;
}

double metricValue(const QueryMetrics &q, Metric metric)
{
    switch (metric) {
    case Metric::Ndcg5:
        return q.ndcg5;
    case Metric::Precision1:
        return q.precision1;
    case Metric::Ndcg10:
        return q.ndcg10;
    case Metric::Precision5:
        return q.precision5;
    case Metric::ReciprocalRank:
        return q.reciprocalRank;
    case Metric::Judged5:
        return q.judged5;
    }
    return 0.0;
}

std::optional<MetricRange> metricRange(const QueryMetrics &q, Metric metric)
{
    switch (metric) {
    case Metric::Ndcg5:
        return q.ndcg5Range;
    case Metric::Precision1:
        return q.precision1Range;
    case Metric::Ndcg10:
        return q.ndcg10Range;
    case Metric::Precision5:
        return q.precision5Range;
    case Metric::ReciprocalRank:
        return q.reciprocalRankRange;
    case Metric::Judged5:
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace lookalike
