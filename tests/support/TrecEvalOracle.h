// An independent oracle for Lookalike's ranking metrics: trec_eval's measures re-implemented
// from its source, reading the text of TREC qrels and run files. Shared by the metric tests and
// the `lookalike eval` / `export` tests.
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

// The oracle: trec_eval (usnistgov/trec_eval 9.x), re-read from its source and written again
// here independently of core/metrics, working on the text of the exported files.
//   get_qrels.c te_get_qrels        qid iter docno rel, whitespace separated, rel by atol
//   get_trec_results.c              qid iter docno rank sim run_id, sim by atof, rank ignored
//   form_res_rels.c te_form_res_rels  qsort by comp_sim_docno (sim descending, then
//                                   strcmp(p2->docno, p1->docno)); rel of a docno not in the
//                                   qrels = -1; rel_levels counts the qrels' grades
//   m_ndcg_cut.c, m_P.c, m_recip_rank.c   the measure loops, cutoffs as in trec_eval
//   trec_eval.c main                 the qrels queries (strcmp order) that have results
//   meas_acc.c / meas_avg.c          sum, then divide by the number of evaluated queries
namespace trec {

struct Qrel {
    std::string docno;
    long rel;
};
struct Doc {
    std::string docno;
    double sim;
};
// What qsort moves: trivially copyable, as trec_eval's DOCNO_INFO (a std::string is not).
struct DocInfo {
    const char *docno;
    double sim;
};
struct StrcmpLess {
    bool operator()(const std::string &a, const std::string &b) const { return std::strcmp(a.c_str(), b.c_str()) < 0; }
};

inline std::vector<std::vector<std::string>> fieldsOfLines(const QByteArray &text)
{
    std::vector<std::vector<std::string>> lines;
    std::istringstream in(text.toStdString());
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        std::string field;
        while (fields >> field)
            f.push_back(field);
        if (f.empty() || f[0][0] == '#')
            continue;
        lines.push_back(f);
    }
    return lines;
}

inline std::map<std::string, std::vector<Qrel>, StrcmpLess> readQrels(const QByteArray &text)
{
    std::map<std::string, std::vector<Qrel>, StrcmpLess> out;
    for (const auto &f : fieldsOfLines(text)) {
        if (f.size() != 4)
            qFatal("oracle: malformed qrels line");
        out[f[0]].push_back({f[2], std::atol(f[3].c_str())});
    }
    for (auto &kv : out)
        std::sort(kv.second.begin(), kv.second.end(),
            [](const Qrel &a, const Qrel &b) { return std::strcmp(a.docno.c_str(), b.docno.c_str()) < 0; });
    return out;
}

inline std::map<std::string, std::vector<Doc>, StrcmpLess> readRun(const QByteArray &text)
{
    std::map<std::string, std::vector<Doc>, StrcmpLess> out;
    for (const auto &f : fieldsOfLines(text)) {
        if (f.size() < 6)
            qFatal("oracle: malformed run line");
        out[f[0]].push_back({f[2], std::atof(f[4].c_str())});
    }
    return out;
}

inline int compSimDocno(const void *a, const void *b)
{
    const DocInfo *p1 = static_cast<const DocInfo *>(a);
    const DocInfo *p2 = static_cast<const DocInfo *>(b);
    if (p1->sim > p2->sim)
        return -1;
    if (p1->sim < p2->sim)
        return 1;
    return std::strcmp(p2->docno, p1->docno);
}

struct ResRels {
    std::vector<std::string> ranking; // docnos in trec_eval's rank order
    std::vector<long> relList; // rel per rank, -1 when not in the qrels
    std::vector<long> relLevels; // number of qrels docs per rel value >= 0
    long numRelLevels = 0;
};

inline ResRels formResRels(const std::vector<Doc> &results, const std::vector<Qrel> &qrels)
{
    std::vector<DocInfo> docs;
    for (const Doc &d : results)
        docs.push_back({d.docno.c_str(), d.sim});
    std::qsort(docs.data(), docs.size(), sizeof(DocInfo), compSimDocno);
    ResRels r;
    long maxRel = qrels.front().rel;
    for (const Qrel &q : qrels)
        maxRel = std::max(maxRel, q.rel);
    r.relLevels.assign(static_cast<std::size_t>(maxRel + 1), 0);
    for (const Qrel &q : qrels)
        if (q.rel >= 0)
            ++r.relLevels[static_cast<std::size_t>(q.rel)];
    for (const DocInfo &d : docs) {
        r.ranking.emplace_back(d.docno);
        const auto it = std::lower_bound(qrels.begin(), qrels.end(), d.docno,
            [](const Qrel &q, const char *s) { return std::strcmp(q.docno.c_str(), s) < 0; });
        r.relList.push_back(it != qrels.end() && std::strcmp(it->docno.c_str(), d.docno) == 0 ? it->rel : -1);
    }
    for (long i = 0; i <= maxRel; ++i)
        if (r.relLevels[static_cast<std::size_t>(i)])
            r.numRelLevels = i + 1;
    return r;
}

inline std::vector<double> ndcgCut(const ResRels &r, const std::vector<long> &cutoffs)
{
    std::vector<double> values(cutoffs.size(), 0.0);
    const long numRet = static_cast<long>(r.relList.size());
    std::size_t ci = 0;
    double sum = 0.0;
    long i = 0;
    for (; i < numRet; ++i) {
        if (i == cutoffs[ci]) {
            values[ci] = sum;
            if (++ci == cutoffs.size())
                break;
        }
        const double gain = static_cast<double>(r.relList[static_cast<std::size_t>(i)]);
        if (gain > 0)
            sum += gain / std::log2(static_cast<double>(i + 2));
    }
    for (; ci < cutoffs.size(); ++ci)
        values[ci] = sum;

    ci = 0;
    long level = r.numRelLevels - 1;
    long count = 0;
    double ideal = 0.0;
    for (i = 0;; ++i) {
        ++count;
        while (level > 0 && count > r.relLevels[static_cast<std::size_t>(level)]) {
            --level;
            count = 1;
        }
        if (level == 0)
            break;
        if (i == cutoffs[ci]) {
            if (ideal > 0.0)
                values[ci] /= ideal;
            if (++ci == cutoffs.size())
                break;
        }
        ideal += static_cast<double>(level) / std::log2(static_cast<double>(i + 2));
    }
    for (; ci < cutoffs.size(); ++ci)
        if (ideal > 0.0)
            values[ci] /= ideal;
    return values;
}

inline std::vector<double> precision(const ResRels &r, const std::vector<long> &cutoffs, long relevanceLevel)
{
    std::vector<double> values(cutoffs.size(), 0.0);
    std::size_t ci = 0;
    long relSoFar = 0;
    for (long i = 0; i < static_cast<long>(r.relList.size()); ++i) {
        if (i == cutoffs[ci]) {
            values[ci] = static_cast<double>(relSoFar) / static_cast<double>(i);
            if (++ci == cutoffs.size())
                break;
        }
        if (r.relList[static_cast<std::size_t>(i)] >= relevanceLevel)
            ++relSoFar;
    }
    for (; ci < cutoffs.size(); ++ci)
        values[ci] = static_cast<double>(relSoFar) / static_cast<double>(cutoffs[ci]);
    return values;
}

inline double recipRank(const ResRels &r, long relevanceLevel)
{
    for (std::size_t i = 0; i < r.relList.size(); ++i)
        if (r.relList[i] >= relevanceLevel)
            return 1.0 / static_cast<double>(i + 1);
    return 0.0;
}

struct Measures {
    double ndcg5 = 0, ndcg10 = 0, p1 = 0, p5 = 0, recipRank = 0;
    std::vector<std::string> ranking;
};
struct Evaluation {
    std::map<std::string, Measures, StrcmpLess> perQuery;
    Measures mean;
    // trec_eval 10 (trec_eval.c main, without -c) exits with status 4 at the first qrels query
    // that has no results; 9.x skipped it. The measures above are 9.x's; this says whether 10
    // would have refused the files.
    bool refusedBy10 = false;
};

// trec_eval -l<level> -m ndcg_cut.5,10 -m P.1,5 -m recip_rank qrels run
inline Evaluation evaluate(const QByteArray &qrelsText, const QByteArray &runText, long relevanceLevel)
{
    const auto qrels = readQrels(qrelsText);
    const auto run = readRun(runText);
    Evaluation e;
    for (const auto &[qid, judged] : qrels) {
        const auto results = run.find(qid);
        if (results == run.end()) {
            e.refusedBy10 = true; // "result qid '...' not found in qrels", exit 4
            continue; // 9.x, no -c: only queries with both
        }
        const ResRels r = formResRels(results->second, judged);
        Measures m;
        const auto ndcg = ndcgCut(r, {5, 10});
        const auto p = precision(r, {1, 5}, relevanceLevel);
        m.ndcg5 = ndcg[0];
        m.ndcg10 = ndcg[1];
        m.p1 = p[0];
        m.p5 = p[1];
        m.recipRank = recipRank(r, relevanceLevel);
        m.ranking = r.ranking;
        e.mean.ndcg5 += m.ndcg5;
        e.mean.ndcg10 += m.ndcg10;
        e.mean.p1 += m.p1;
        e.mean.p5 += m.p5;
        e.mean.recipRank += m.recipRank;
        e.perQuery.emplace(qid, m);
    }
    if (const double n = static_cast<double>(e.perQuery.size()); n > 0) {
        e.mean.ndcg5 /= n;
        e.mean.ndcg10 /= n;
        e.mean.p1 /= n;
        e.mean.p5 /= n;
        e.mean.recipRank /= n;
    }
    return e;
}

} // namespace trec
