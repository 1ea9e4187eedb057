// Ranking metrics of one model version's frozen result lists against pooled relevance grades:
// nDCG@k, P@k, reciprocal rank and judged@k per query, their means, and the range each metric
// could still take once the unjudged candidates are graded.
//
// Conventions are trec_eval's (usnistgov/trec_eval 9.x), so that `trec_eval -m ndcg_cut.5 -m P.1`
// on the qrels and run Lookalike exports (core/metrics/TrecFiles.h) prints the same numbers:
//  - A candidate without a grade is not relevant and has no gain (form_res_rels.c, te_form_res_rels:
//    RELVALUE_NONPOOL). It is not left out of the list: it keeps its rank.
//  - nDCG@k (m_ndcg_cut.c, te_calc_ndcg_cut): gain = the grade itself (grade > 0 only), the
//    candidate at rank r is discounted by log2(r + 1), DCG sums the top min(k, list length).
//    The ideal DCG ranks every graded candidate of the query (the whole pool, not only this
//    list) by grade, descending, and sums its top k the same way. When the ideal DCG is 0 (no
//    candidate of the query has a positive grade) the DCG is not divided: nDCG is 0.
//  - P@k (m_P.c, te_calc_P): relevant candidates in the top k divided by k, also when the list is
//    shorter than k (missing ranks count as not relevant).
//  - Reciprocal rank (m_recip_rank.c, te_calc_recip_rank): 1 / rank of the first relevant
//    candidate in the whole list, 0 if there is none.
//  - "Relevant" means grade >= relevanceThreshold (trec_eval's -l, default 1); nDCG ignores the
//    threshold, as trec_eval's does: every positive grade brings its gain.
//  - Means (trec_eval.c main, meas_acc.c, meas_avg.c te_calc_avg_meas_*): the plain average over
//    the queries trec_eval evaluates without -c, those that have both results in the run and at
//    least one line in the qrels. For Lookalike: a non-empty frozen list and at least one grade
//    (any grade, 0 included) for the query. Queries outside that rule are left out, not counted
//    as 0.
//
// Lookalike additions, not in trec_eval: exponential gain (2^grade - 1; trec_eval gives the same
// nDCG when the qrels hold 2^grade - 1 instead of the grade), judged@k and the ranges.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace lookalike {

// Candidate ids in Lookalike's rank order (rank 1 first; already tie-broken: score descending,
// then catalog item id ascending). Ids are unique.
using RankedList = std::vector<std::int64_t>;

// The grades known for one query: candidate id -> grade (>= 0). Pooled: it holds every graded
// candidate of the query, whichever model's list it came from.
using QueryJudgments = std::map<std::int64_t, int>;

enum class GainKind {
    Linear, // gain = grade (trec_eval)
    Exponential, // gain = 2^grade - 1 (Burges et al.); favours the top grades more
};

struct MetricSettings {
    GainKind gain = GainKind::Linear;
    int relevanceThreshold = 1; // grade >= threshold is relevant for P@k and reciprocal rank; >= 1
    // The grade scale, for the ranges only: an unjudged candidate may still get any integer
    // grade in [lowestGrade, highestGrade]. Default: 0 not relevant .. 3 near-identical.
    int lowestGrade = 0;
    int highestGrade = 3;
};

// Every function below throws lookalike::Error (InvalidArgument) for k < 1, a negative grade,
// a candidate listed twice, or settings outside their documented domain.

double ndcgAtK(const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings = {});
double precisionAtK(
    const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings = {});
double reciprocalRank(const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings = {});
// Share of the top k that has a grade. As trec_eval's unj@k (m_unjudged.c, te_calc_unj), of
// which it is 1 - unj@k, it divides by k and counts the ranks a short list does not fill as
// judged: a list of 3 graded candidates is fully judged at 5. An empty list gives 1.
double judgedAtK(const RankedList &list, const QueryJudgments &judgments, int k);

// The lowest and the highest value the metric can take over every way of grading the unjudged
// candidates it reads (nDCG@k and P@k: those in the top k; reciprocal rank: the whole list) with
// grades of the scale, the other grades unchanged. The ideal DCG is recomputed for each case,
// since a newly graded candidate joins the pool. When nothing it reads is unjudged, low = high
// = the metric. Note that grading every unjudged candidate highest is not always nDCG's best
// case: it can raise the ideal DCG more than the DCG (a highest grade at rank 5 when rank 1
// already holds the only relevant candidate), so nDCG's range is searched exactly: for a given
// multiset of new grades the best placement is descending in rank and the worst ascending
// (rearrangement), which leaves C(u + G - 1, G - 1) cases for u unjudged candidates and G
// grades (286 for the top 10 on a 0..3 scale). Unjudged candidates outside what the metric
// reads, and pool candidates of other models' lists, are not varied.
struct MetricRange {
    double low = 0.0;
    double high = 0.0;
};
MetricRange ndcgRangeAtK(
    const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings = {});
MetricRange precisionRangeAtK(
    const RankedList &list, const QueryJudgments &judgments, int k, const MetricSettings &settings = {});
MetricRange reciprocalRankRange(
    const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings = {});

// What Lookalike reports for one (model version, query), in its display order.
struct QueryMetrics {
    double ndcg5 = 0.0;
    double precision1 = 0.0;
    double ndcg10 = 0.0;
    double precision5 = 0.0;
    double reciprocalRank = 0.0;
    double judged5 = 0.0;
    MetricRange ndcg5Range;
    MetricRange precision1Range;
    MetricRange ndcg10Range;
    MetricRange precision5Range;
    MetricRange reciprocalRankRange;
};
QueryMetrics queryMetrics(const RankedList &list, const QueryJudgments &judgments, const MetricSettings &settings = {});

// The rule of which queries enter the mean (see the top of this file): a non-empty list and at
// least one grade.
bool entersMean(const RankedList &list, const QueryJudgments &judgments);

// Field-by-field average (sum in the given order, then divide by the count, as trec_eval). The
// ranges average too; that is exact, because each query's grades are independent of the
// others': the lowest mean is the mean of the lowest values. All zeros for no query.
QueryMetrics meanMetrics(const std::vector<QueryMetrics> &perQuery);
// The same over a map's values in key order, without copying them (the live update uses it).
QueryMetrics meanMetricsByQuery(const std::map<std::int64_t, QueryMetrics> &perQuery);

// One model version over the query set: `lists` its frozen lists, `judgments` the pooled grades
// (both by query item id; queries absent from a map have no list / no grade).
struct ModelMetrics {
    std::map<std::int64_t, QueryMetrics> perQuery; // the queries that enter the mean
    QueryMetrics mean;
    int queriesWithoutList = 0; // judged, but no (or an empty) frozen list: left out
    int queriesWithoutJudgment = 0; // a list, but nothing graded yet: left out
};
ModelMetrics evaluateModel(const std::map<std::int64_t, RankedList> &lists,
    const std::map<std::int64_t, QueryJudgments> &judgments, const MetricSettings &settings = {});

} // namespace lookalike
