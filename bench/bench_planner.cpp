// The judging planner against a known truth (#16). A fully graded comparison has every grade
// hidden, then revealed one at a time in (a) plan order, (b) list order query by query (each
// query's A list then B list, by rank: today's habit), (c) random order. For each order it prints
// how many judgments it took until the conclusion (which version is better, and whether the
// 95 % interval excludes 0) equals the conclusion with every grade and stays equal, and it counts
// wrong verdicts (a "settled" or "significant" that every grade contradicts): there must be none.
//
// Scenarios: generated comparisons with a large difference, a small one and none (20 seeds
// each), and the demo project with its silver grades (`--demo PROJECT`). Then the time to pick
// the next pair after a grade at 10,000 queries x 2 versions.
// `--z-rest Z` sets the planner's multiplier of the remaining grades' spread (JudgingPlanner.h):
// the safety margin of its "significant" verdict, whose wrong verdicts the counts show.
//   bench_planner [--seeds N] [--queries N] [--demo PROJECT] [--scenario large|small|none|demo] [--z-rest Z]
#include "core/project/FrozenLists.h"
#include "core/project/JudgingPlanner.h"
#include "core/project/JudgmentStore.h"
#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <set>

using namespace lookalike;

namespace {

struct Truth {
    std::map<std::int64_t, PlanQuery> lists; // grades empty
    std::map<std::int64_t, QueryJudgments> grades; // every pair of the lists
};

// A comparison with a known truth: per query 30 candidates with true grades (0-3, mostly 0 and
// 1), lists of 10 ranked by a noisy view of the truth; `gap` makes B's view less noisy than A's.
Truth generate(int queries, double noiseA, double noiseB, unsigned seed)
{
    std::mt19937 rng(seed);
    std::discrete_distribution<int> gradeOf({50, 25, 15, 10});
    std::normal_distribution<double> noise(0.0, 1.0);
    Truth t;
    std::int64_t next = 1000000;
    for (int q = 0; q < queries; ++q) {
        std::vector<std::pair<std::int64_t, int>> items;
        for (int i = 0; i < 30; ++i)
            items.emplace_back(next++, gradeOf(rng));
        auto ranked = [&](double sigma) {
            std::vector<std::pair<double, std::int64_t>> scored;
            for (const auto &[id, grade] : items)
                scored.emplace_back(grade + sigma * noise(rng), id);
            std::sort(scored.rbegin(), scored.rend());
            RankedList list;
            for (int r = 0; r < 10; ++r)
                list.push_back(scored[static_cast<std::size_t>(r)].second);
            return list;
        };
        PlanQuery &pq = t.lists[q];
        pq.a = ranked(noiseA);
        pq.b = ranked(noiseB);
        std::set<std::int64_t> pool(pq.a.begin(), pq.a.end());
        pool.insert(pq.b.begin(), pq.b.end());
        pq.pool.assign(pool.begin(), pool.end());
        for (const auto &[id, grade] : items)
            if (pool.count(id))
                t.grades[q][id] = grade;
    }
    return t;
}

Truth fromProject(const std::string &folder, std::string *names)
{
    Project project = Project::open(folder);
    const std::vector<ModelVersion> versions = modelVersions(project);
    const ModelVersion &a = versions.at(0), &b = versions.at(1);
    *names = b.name + " vs " + a.name;
    Truth t;
    forEachFrozenEntry(project, [&](std::int64_t model, std::int64_t query, std::int64_t candidate) {
        PlanQuery &pq = t.lists[query];
        pq.pool.push_back(candidate);
        if (model == a.id)
            pq.a.push_back(candidate);
        else if (model == b.id)
            pq.b.push_back(candidate);
    });
    for (auto &[query, pq] : t.lists) {
        std::sort(pq.pool.begin(), pq.pool.end());
        pq.pool.erase(std::unique(pq.pool.begin(), pq.pool.end()), pq.pool.end());
    }
    for (const auto &[pair, grade] : JudgmentStore(project).resolvedGrades())
        if (t.lists.count(pair.first))
            t.grades[pair.first][pair.second] = grade;
    // Only pairs with a grade can be revealed: a pool candidate the silver judge left out stays unknown.
    for (auto &[query, pq] : t.lists) {
        const auto &g = t.grades[query];
        std::erase_if(pq.pool, [&](std::int64_t c) { return !g.count(c); });
    }
    return t;
}

struct Conclusion {
    int direction = 0;   // the sign, when known
    int significant = 0; // the interval's side of 0, when it excludes 0
    bool operator==(const Conclusion &o) const { return direction == o.direction && significant == o.significant; }
};

Conclusion conclusionOf(const PlanStatus &s)
{
    Conclusion c;
    c.direction = s.verdict == PlanVerdict::Open ? 0 : s.direction;
    c.significant = s.ciLow > 0 ? 1 : s.ciHigh < 0 ? -1 : 0;
    return c;
}

enum class Order { Plan, List, Random };

struct Run {
    std::size_t toConclusion = 0; // judgments until the conclusion is final's and stays
    std::size_t total = 0;
    int wrong = 0;
};

double g_zRest = JudgingPlanner::kZRest;

Run simulate(const Truth &t, const MetricSettings &settings, Metric metric, Order order, unsigned seed,
             const Conclusion &final)
{
    JudgingPlanner planner(t.lists, settings, metric);
    planner.setRestMultiplier(g_zRest);
    std::map<std::int64_t, QueryJudgments> revealed;
    std::vector<std::pair<std::int64_t, std::int64_t>> sequence; // list and random orders
    std::size_t all = 0;
    for (const auto &[query, g] : t.grades)
        all += g.size();
    if (order != Order::Plan) {
        for (const auto &[query, pq] : t.lists) {
            std::set<std::int64_t> seen;
            for (const RankedList *list : {&pq.a, &pq.b})
                for (std::int64_t c : *list)
                    if (t.grades.at(query).count(c) && seen.insert(c).second)
                        sequence.emplace_back(query, c);
            for (std::int64_t c : pq.pool)
                if (seen.insert(c).second)
                    sequence.emplace_back(query, c);
        }
        if (order == Order::Random)
            std::shuffle(sequence.begin(), sequence.end(), std::mt19937(seed));
    }
    Run run;
    run.total = all;
    auto check = [&](std::size_t step) {
        const Conclusion c = conclusionOf(planner.status());
        if ((c.direction != 0 && c.direction != final.direction) || (c.significant != 0 && c.significant != final.significant))
            ++run.wrong;
        if (!(c == final))
            run.toConclusion = step + 1; // after `step` judgments it was not final's yet
    };
    check(0);
    std::set<std::pair<std::int64_t, std::int64_t>> done;
    for (std::size_t step = 1; step <= all; ++step) {
        std::pair<std::int64_t, std::int64_t> pair;
        if (order == Order::Plan) {
            const auto nextPairs = planner.next(1);
            if (nextPairs.empty()) { // nothing informative left: the rest cannot change the status
                break;
            }
            pair = {nextPairs[0].query, nextPairs[0].candidate};
        } else {
            pair = sequence[step - 1];
        }
        done.insert(pair);
        QueryJudgments &r = revealed[pair.first];
        r[pair.second] = t.grades.at(pair.first).at(pair.second);
        planner.setGrades(pair.first, r);
        check(step);
    }
    return run;
}

Conclusion finalConclusion(const Truth &t, const MetricSettings &settings, Metric metric)
{
    std::map<std::int64_t, PlanQuery> full = t.lists;
    for (auto &[query, pq] : full)
        pq.grades = t.grades.at(query);
    return conclusionOf(JudgingPlanner(full, settings, metric).status());
}

void scenario(const char *name, const std::vector<Truth> &truths, const MetricSettings &settings, Metric metric)
{
    std::vector<double> ratio;
    std::size_t worst = 0;
    std::map<Order, std::vector<double>> steps;
    int wrong = 0;
    std::size_t pairs = 0;
    std::map<int, int> finals;
    for (std::size_t i = 0; i < truths.size(); ++i) {
        const Conclusion final = finalConclusion(truths[i], settings, metric);
        ++finals[final.significant * 10 + final.direction];
        for (Order o : {Order::Plan, Order::List, Order::Random}) {
            const Run r = simulate(truths[i], settings, metric, o, static_cast<unsigned>(i + 1), final);
            steps[o].push_back(static_cast<double>(r.toConclusion));
            wrong += r.wrong;
            pairs = r.total;
        }
        // Neither order needing a judgment (the conclusion holds from the start) counts as 0.
        const double plan = steps[Order::Plan].back(), list = steps[Order::List].back();
        ratio.push_back(list > 0 ? plan / list : plan > 0 ? 1.0 : 0.0);
        if (ratio.back() > ratio[worst])
            worst = i;
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    auto mean = [](const std::vector<double> &v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); };
    std::string outcomes;
    for (const auto &[key, count] : finals)
        outcomes += (outcomes.empty() ? "" : ", ") + std::to_string(count) + "x "
                  + (key / 10 != 0 ? "significant" : key % 10 != 0 ? "settled, not significant" : "tie")
                  + (key % 10 > 0 ? " (B better)" : key % 10 < 0 ? " (A better)" : "");
    std::printf("%-34s %s, %zu pairs each; final: %s\n", name, metricName(metric), pairs, outcomes.c_str());
    std::printf("   judgments to the final conclusion (median / mean of %zu): plan %.0f / %.0f, list %.0f / %.0f, "
                "random %.0f / %.0f; plan / list median %.2f (worst %.2f: %.0f / %.0f, seed %zu); wrong verdicts %d\n",
                truths.size(), median(steps[Order::Plan]), mean(steps[Order::Plan]), median(steps[Order::List]),
                mean(steps[Order::List]), median(steps[Order::Random]), mean(steps[Order::Random]), median(ratio),
                ratio[worst], steps[Order::Plan][worst], steps[Order::List][worst], worst, wrong);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int seeds = 20, queries = 200;
    std::string demo, only;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--seeds") && a + 1 < argc)
            seeds = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--queries") && a + 1 < argc)
            queries = std::atoi(argv[++a]);
        else if (!std::strcmp(argv[a], "--demo") && a + 1 < argc)
            demo = argv[++a];
        else if (!std::strcmp(argv[a], "--scenario") && a + 1 < argc)
            only = argv[++a];
        else if (!std::strcmp(argv[a], "--z-rest") && a + 1 < argc)
            g_zRest = std::atof(argv[++a]);
        else {
            std::fprintf(stderr, "usage: bench_planner [--seeds N] [--queries N] [--demo PROJECT] [--scenario large|small|none|demo] "
                                 "[--z-rest Z]\n");
            return 2;
        }
    }
    const MetricSettings settings; // 0..3, relevant from 1, linear gain
    struct Kind {
        const char *key, *name;
        double noiseA, noiseB;
    };
    std::printf("z_rest %.2f\n", g_zRest);
    for (const Kind &k : {Kind{"large", "large difference (noise 3.0 vs 0.5)", 3.0, 0.5},
                          Kind{"small", "small difference (noise 1.2 vs 0.9)", 1.2, 0.9},
                          Kind{"none", "no difference (noise 1.0 vs 1.0)", 1.0, 1.0}}) {
        if (!only.empty() && only != k.key)
            continue;
        std::vector<Truth> truths;
        for (int s = 0; s < seeds; ++s)
            truths.push_back(generate(queries, k.noiseA, k.noiseB, static_cast<unsigned>(100 + s)));
        for (Metric m : {Metric::Ndcg5, Metric::Precision1})
            scenario(k.name, truths, settings, m);
    }
    if (!demo.empty() && (only.empty() || only == "demo")) {
        std::string names;
        const Truth t = fromProject(demo, &names);
        for (Metric m : {Metric::Ndcg5, Metric::Precision1})
            scenario(("demo: " + names).c_str(), {t}, settings, m);
    }

    if (!only.empty())
        return 0;
    // The key press: a grade, then the next pair and the status line, at 10,000 queries.
    const Truth big = generate(10000, 1.2, 0.9, 7);
    const auto t0 = std::chrono::steady_clock::now();
    JudgingPlanner planner(big.lists, settings, Metric::Ndcg5);
    const double build = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> times;
    std::map<std::int64_t, QueryJudgments> revealed;
    for (int i = 0; i < 200; ++i) {
        const PlannedPair p = planner.next(1).at(0);
        const auto t1 = std::chrono::steady_clock::now();
        revealed[p.query][p.candidate] = big.grades.at(p.query).at(p.candidate);
        planner.setGrades(p.query, revealed[p.query]);
        const auto nextPair = planner.next(1);
        const PlanStatus s = planner.status();
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
        if (nextPair.empty() || s.queries == 0)
            break;
    }
    std::sort(times.begin(), times.end());
    std::printf("10,000 queries x 2 versions: plan built in %.0f ms; a grade, the next pair and the status: p50 %.2f ms, "
                "p99 %.2f ms\n",
                build, times[times.size() / 2], times[times.size() * 99 / 100]);
    return 0;
}
