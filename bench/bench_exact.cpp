// Exact search at a million items (ExactTopK through NeighbourIndex, what `lookalike index`
// and the Search tab use), each phase in a fresh process so that its peak memory is its own:
//
//   build   - NeighbourIndex::build from the .npy (rows read in chunks), save (.faiss + codes)
//   query   - load the saved index, then single queries one at a time (a Search tab query):
//             p50 / p95 latency, resident memory (VmRSS) and peak (VmHWM)
//   freeze  - load, then searchExcludingSelf for Q catalog rows at once (freezing lists, as
//             `lookalike index` does): queries/s, extrapolated to 100,000, and peak memory
//   faiss   - the previous exact path for comparison: FAISS's IndexFlatIP read whole, one
//             query and a batch
//
//   bench_exact [--rows 1000000] [--dim 768] [--queries 2000] [--single 50] [--k 10]
//               [--dir /tmp/lookalike-bench-exact] [--phases build,query,freeze,faiss]
//
// The data: clustered unit vectors (a 32-d latent mixture of 2,000 clusters mapped to d
// dimensions, plus noise) with 3 % exact copies of other rows (relistings), written once to
// DIR/vectors-N-D.npy and reused.
#include "core/index/NeighbourIndex.h"
#include "core/index/NpyFile.h"

#include <faiss/IndexFlat.h>
#include <faiss/index_io.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace lookalike;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double since(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

double memoryMb(const char *field)
{
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field, 0) == 0)
            return std::atof(line.c_str() + std::strlen(field)) / 1024.0;
    return 0;
}

void generate(const fs::path &file, std::int64_t n, int d)
{
    constexpr int latent = 32, clusters = 2000;
    std::mt19937 rng(42);
    std::normal_distribution<float> g;
    std::vector<float> projection(std::size_t(latent) * d), centres(std::size_t(clusters) * latent);
    for (float &v : projection)
        v = g(rng);
    for (float &v : centres)
        v = g(rng);
    std::uniform_int_distribution<int> pick(0, clusters - 1);
    std::uniform_real_distribution<float> coin(0, 1);
    const fs::path tmp = file.string() + ".part";
    fs::remove(tmp);
    NpyAppender out = NpyAppender::open(tmp, d, 0);
    const std::int64_t chunk = 8192;
    std::vector<float> previous; // copies are drawn from the chunk before
    for (std::int64_t r0 = 0; r0 < n; r0 += chunk) {
        const std::int64_t c = std::min(chunk, n - r0);
        FloatMatrix m(c, d);
        for (std::int64_t r = 0; r < c; ++r) {
            float *x = m.row(r).data();
            if (!previous.empty() && coin(rng) < 0.03f) {
                const auto from = std::size_t(rng() % std::uint32_t(previous.size() / std::size_t(d)));
                std::copy_n(previous.data() + from * std::size_t(d), d, x);
                continue;
            }
            const int cl = pick(rng);
            float z[latent];
            for (int i = 0; i < latent; ++i)
                z[i] = centres[std::size_t(cl) * latent + i] + 0.4f * g(rng);
            double s = 0;
            for (int j = 0; j < d; ++j) {
                float v = 0;
                for (int i = 0; i < latent; ++i)
                    v += z[i] * projection[std::size_t(i) * d + j];
                x[j] = v + 0.6f * g(rng);
                s += double(x[j]) * x[j];
            }
            for (int j = 0; j < d; ++j)
                x[j] = float(x[j] / std::sqrt(s));
        }
        out.append(m.data.data(), c);
        previous = m.data;
        if ((r0 / chunk) % 16 == 0)
            std::fprintf(stderr, "\rgenerating %lld / %lld", static_cast<long long>(r0 + c), static_cast<long long>(n));
    }
    out.commit();
    fs::rename(tmp, file);
    std::fprintf(stderr, "\n");
}

// Rows spread over the matrix, the same every run.
std::vector<std::int64_t> sampleRows(std::int64_t n, std::int64_t count, unsigned seed)
{
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> rows;
    for (std::int64_t i = 0; i < count; ++i)
        rows.push_back(static_cast<std::int64_t>(rng() % std::uint64_t(n)));
    return rows;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void runInChild(const char *name, const std::function<void()> &phase)
{
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
        phase();
        std::fflush(stdout);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::printf("%s: failed (status %d)\n", name, status);
}

} // namespace

int main(int argc, char **argv)
{
    std::int64_t n = 1000000, queries = 2000, single = 50;
    int d = 768, k = 10;
    fs::path dir = "/tmp/lookalike-bench-exact";
    std::string phases = "build,query,freeze,faiss";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--rows")
            n = std::stoll(v);
        else if (a == "--dim")
            d = std::stoi(v);
        else if (a == "--queries")
            queries = std::stoll(v);
        else if (a == "--single")
            single = std::stoll(v);
        else if (a == "--k")
            k = std::stoi(v);
        else if (a == "--dir")
            dir = v;
        else if (a == "--phases")
            phases = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    fs::create_directories(dir);
    const std::string tag = std::to_string(n) + "-" + std::to_string(d);
    const fs::path vectors = dir / ("vectors-" + tag + ".npy");
    const fs::path index = dir / ("exact-" + tag + ".faiss");
    if (!fs::exists(vectors))
        generate(vectors, n, d);
    std::printf("%lld x %d clustered unit vectors (3 %% copies), k = %d, %s\n", static_cast<long long>(n), d, k,
                vectors.c_str());
    auto has = [&](const char *p) { return ("," + phases + ",").find(std::string(",") + p + ",") != std::string::npos; };

    if (has("build") || !fs::exists(index))
        runInChild("build", [&] {
            const auto t = Clock::now();
            const NpyRowReader reader = NpyRowReader::open(vectors);
            const NeighbourIndex built = NeighbourIndex::build(reader, n);
            const double b = since(t);
            built.save(index);
            std::printf("build: %.1f s (codes), save %.1f s; peak %.0f MB\n", b, since(t) - b, memoryMb("VmHWM:"));
        });

    if (has("query"))
        runInChild("query", [&] {
            auto t = Clock::now();
            const NeighbourIndex loaded = NeighbourIndex::load(index);
            const NpyRowReader reader = NpyRowReader::open(vectors);
            FloatMatrix q(1, d);
            reader.read(0, 1, q.data.data());
            loaded.search(q, k); // loads the codes
            std::printf("query: load + first search %.2f s, resident %.0f MB\n", since(t), memoryMb("VmRSS:"));
            std::vector<double> ms;
            for (const std::int64_t row : sampleRows(n, single, 7)) {
                reader.read(row, 1, q.data.data());
                t = Clock::now();
                const auto found = loaded.search(q, k);
                ms.push_back(since(t) * 1000);
            }
            std::printf("query: %lld single queries: p50 %.1f ms, p95 %.1f ms; resident %.0f MB, peak %.0f MB\n",
                        static_cast<long long>(single), percentile(ms, 0.5), percentile(ms, 0.95), memoryMb("VmRSS:"),
                        memoryMb("VmHWM:"));
        });

    if (has("freeze"))
        runInChild("freeze", [&] {
            const NeighbourIndex loaded = NeighbourIndex::load(index);
            const NpyRowReader reader = NpyRowReader::open(vectors);
            const auto rows = sampleRows(n, queries, 11);
            const auto t = Clock::now();
            const auto lists = searchExcludingSelf(
                loaded, [&](std::int64_t r, float *out) { reader.read(r, 1, out); }, rows, k, true);
            const double s = since(t);
            std::printf("freeze: %lld queries in %.1f s: %.1f queries/s, 100,000 queries in %.1f min; peak %.0f MB\n",
                        static_cast<long long>(queries), s, double(queries) / s, 100000.0 / (double(queries) / s) / 60,
                        memoryMb("VmHWM:"));
        });

    if (has("faiss"))
        runInChild("faiss", [&] {
            auto t = Clock::now();
            std::unique_ptr<faiss::Index> flat(faiss::read_index(index.c_str()));
            std::printf("faiss: IndexFlatIP read in %.1f s, resident %.0f MB\n", since(t), memoryMb("VmRSS:"));
            const NpyRowReader reader = NpyRowReader::open(vectors);
            const auto rows = sampleRows(n, std::max<std::int64_t>(200, 20), 13);
            FloatMatrix q(std::int64_t(rows.size()), d);
            for (std::size_t i = 0; i < rows.size(); ++i)
                reader.read(rows[i], 1, q.row(std::int64_t(i)).data());
            std::vector<float> dist(rows.size() * std::size_t(k));
            std::vector<faiss::Index::idx_t> ids(rows.size() * std::size_t(k));
            std::vector<double> ms;
            for (int i = 0; i < 5; ++i) {
                t = Clock::now();
                flat->search(1, q.row(i).data(), k, dist.data(), ids.data());
                ms.push_back(since(t) * 1000);
            }
            t = Clock::now();
            flat->search(q.rows, q.data.data(), k, dist.data(), ids.data());
            std::printf("faiss: single query p50 %.0f ms; %lld at once %.1f queries/s\n", percentile(ms, 0.5),
                        static_cast<long long>(q.rows), double(q.rows) / since(t));
        });
    return 0;
}
