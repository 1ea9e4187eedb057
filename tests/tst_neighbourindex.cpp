// NeighbourIndex and ExactTopK: exact search against a brute force in double (ordering and
// tie-breaking with duplicate and nearly duplicate vectors, any number of ties, several
// blocks), the first pass's candidates under adversarial error, sameEmbedding, recall of HNSW and IVF-PQ on clustered data, save/load round
// trips, broken index files, searchExcludingSelf and recallAtK.
#include "core/Error.h"
#include "core/index/ExactTopK.h"
#include "core/index/FloatRows.h"
#include "core/index/NeighbourIndex.h"
#include "core/index/NpyFile.h"
#include "support/RefData.h"

#include <faiss/Index.h>
#include <faiss/index_io.h>

#include <QDir>
#include <QFile>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace lookalike;

Q_DECLARE_METATYPE(lookalike::IndexKind)

// FAISS 1.7.3's read_index leaks the half-read index when a file ends early (raw `new`, then a
// throwing read); NeighbourIndex::load cannot reach it. Known upstream, not ours: tell
// LeakSanitizer (asan preset) so the truncated-file row can stay. Unused without ASan.
extern "C" const char *__lsan_default_suppressions()
{
    return "leak:faiss::read_index\n";
}

namespace {

void normaliseRows(FloatMatrix &m)
{
    for (std::int64_t r = 0; r < m.rows; ++r) {
        double s = 0;
        for (float v : m.row(r))
            s += double(v) * v;
        const double norm = std::sqrt(s);
        for (float &v : m.row(r))
            v = float(v / norm);
    }
}

FloatMatrix randomUnit(std::int64_t n, std::int64_t d, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    FloatMatrix m(n, d);
    for (float &v : m.data)
        v = dist(rng);
    normaliseRows(m);
    return m;
}

// Embedding-like data: `clusters` centres, each point a centre plus noise, mapped from a
// 16-dimensional latent space into d dimensions (real embeddings have a low intrinsic
// dimension; uniformly random vectors have no neighbours worth finding).
struct Clustered {
    FloatMatrix base; // indexed
    FloatMatrix queries; // held out, same distribution
};

Clustered clustered(std::int64_t n, std::int64_t nq, std::int64_t d, int clusters, unsigned seed)
{
    constexpr int latent = 16;
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    std::vector<float> projection(latent * d);
    for (float &v : projection)
        v = dist(rng);
    std::vector<float> centres(std::size_t(clusters) * latent);
    for (float &v : centres)
        v = dist(rng);
    std::uniform_int_distribution<int> pick(0, clusters - 1);
    auto make = [&](std::int64_t rows) {
        FloatMatrix m(rows, d);
        for (std::int64_t r = 0; r < rows; ++r) {
            const int c = pick(rng);
            float z[latent];
            for (int i = 0; i < latent; ++i)
                z[i] = centres[std::size_t(c) * latent + i] + 0.35f * dist(rng);
            for (std::int64_t j = 0; j < d; ++j) {
                float s = 0;
                for (int i = 0; i < latent; ++i)
                    s += z[i] * projection[std::size_t(i) * d + j];
                m.at(r, j) = s + 0.05f * dist(rng);
            }
        }
        normaliseRows(m);
        return m;
    };
    Clustered out;
    out.base = make(n);
    out.queries = make(nq);
    return out;
}

// The truth: every score in double, sorted by score descending, then row ascending.
std::vector<Neighbour> bruteForce(const FloatMatrix &base, std::span<const float> query, int k)
{
    std::vector<Neighbour> all;
    for (std::int64_t r = 0; r < base.rows; ++r) {
        double s = 0;
        for (std::int64_t j = 0; j < base.cols; ++j)
            s += double(query[std::size_t(j)]) * double(base.at(r, j));
        all.push_back({r, float(s)});
    }
    std::sort(all.begin(), all.end(), [](const Neighbour &a, const Neighbour &b) {
        return a.score > b.score || (a.score == b.score && a.row < b.row);
    });
    if (all.size() > std::size_t(k))
        all.resize(std::size_t(k));
    return all;
}

FloatMatrix pickRows(const FloatMatrix &m, const std::vector<std::int64_t> &rows)
{
    FloatMatrix out(std::int64_t(rows.size()), m.cols);
    for (std::size_t i = 0; i < rows.size(); ++i)
        std::copy(m.row(rows[i]).begin(), m.row(rows[i]).end(), out.row(std::int64_t(i)).begin());
    return out;
}

std::vector<std::int64_t> rowsOf(const std::vector<Neighbour> &list)
{
    std::vector<std::int64_t> rows;
    for (const auto &nb : list)
        rows.push_back(nb.row);
    return rows;
}

bool sameResults(const std::vector<std::vector<Neighbour>> &a, const std::vector<std::vector<Neighbour>> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t q = 0; q < a.size(); ++q) {
        if (a[q].size() != b[q].size())
            return false;
        for (std::size_t i = 0; i < a[q].size(); ++i)
            if (a[q][i].row != b[q][i].row || std::memcmp(&a[q][i].score, &b[q][i].score, sizeof(float)) != 0)
                return false;
    }
    return true;
}

bool sortedByScoreThenRow(const std::vector<Neighbour> &list)
{
    for (std::size_t i = 1; i < list.size(); ++i)
        if (list[i - 1].score < list[i].score || (list[i - 1].score == list[i].score && list[i - 1].row >= list[i].row))
            return false;
    return true;
}

IndexOptions optionsFor(IndexKind kind)
{
    IndexOptions o;
    o.kind = kind;
    return o;
}

std::string scratchPath(const QString &name)
{
    static const QString dir = testsupport::scratchDir(QStringLiteral("index"));
    return (dir + QLatin1Char('/') + name).toStdString();
}

} // namespace

class TestNeighbourIndex : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void kindNames();
    void exactMatchesBruteForce_data();
    void exactMatchesBruteForce();
    void exactTiesAreBrokenByRow();
    void tiesBeyondAnyMarginAndAcrossBlocks();
    void nearTiesMatchBruteForce();
    void candidatesHoldEveryRowThatCouldTie();
    void sameEmbeddingToleratesFloatNoiseOnly();
    void int8KernelsGiveTheSameSums();
    void scoresDoNotDependOnBatch();
    void approximateRecall_data();
    void approximateRecall();
    void ivfPqIsDeterministic();
    void tinyIvfPqFallsBackToExact();
    void buildFromFileEqualsBuildFromMemory_data();
    void buildFromFileEqualsBuildFromMemory();
    void emptyIndex_data();
    void emptyIndex();
    void saveLoadRoundTrip_data();
    void saveLoadRoundTrip();
    void loadRejectsBadFiles_data();
    void loadRejectsBadFiles();
    void searchExcludingSelf_data();
    void searchExcludingSelf();
    void excludingSelfDeepensPastManyDuplicates();
    void excludingSelfOnATinyIndex();
    void recallAtK();
    void invalidArguments();
};

void TestNeighbourIndex::kindNames()
{
    for (IndexKind k : {IndexKind::Exact, IndexKind::Hnsw, IndexKind::IvfPq})
        QCOMPARE(parseIndexKind(indexKindName(k)), k);
    QCOMPARE(std::string(indexKindName(IndexKind::IvfPq)), std::string("ivfpq"));
    QVERIFY_THROWS_EXCEPTION(Error, parseIndexKind("IVF"));
    try {
        parseIndexKind("flat");
    } catch (const Error &e) {
        QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("'flat'")));
    }
}

void TestNeighbourIndex::exactMatchesBruteForce_data()
{
    QTest::addColumn<qint64>("n");
    QTest::addColumn<qint64>("d");
    QTest::addColumn<qint64>("queries");
    QTest::addColumn<int>("k");
    QTest::newRow("1 query (FAISS's loop path)") << qint64(500) << qint64(16) << qint64(1) << 10;
    QTest::newRow("64 queries (FAISS's BLAS path)") << qint64(2000) << qint64(48) << qint64(64) << 10;
    QTest::newRow("k = 1") << qint64(300) << qint64(8) << qint64(30) << 1;
    QTest::newRow("k larger than the index") << qint64(7) << qint64(4) << qint64(3) << 10;
    QTest::newRow("several query and row blocks") << qint64(9000) << qint64(8) << qint64(300) << 10;
}

void TestNeighbourIndex::exactMatchesBruteForce()
{
    QFETCH(qint64, n);
    QFETCH(qint64, d);
    QFETCH(qint64, queries);
    QFETCH(int, k);
    const FloatMatrix base = randomUnit(n, d, 1);
    const FloatMatrix q = randomUnit(queries, d, 2);
    const auto index = NeighbourIndex::build(base);
    QCOMPARE(index.kind(), IndexKind::Exact);
    QCOMPARE(index.size(), n);
    QCOMPARE(index.dimension(), int(d));
    const auto found = index.search(q, k);
    QCOMPARE(found.size(), std::size_t(queries));
    for (std::int64_t i = 0; i < queries; ++i) {
        const auto truth = bruteForce(base, q.row(i), k);
        QCOMPARE(found[std::size_t(i)].size(), std::size_t(std::min<qint64>(k, n)));
        QCOMPARE(rowsOf(found[std::size_t(i)]), rowsOf(truth));
        for (std::size_t j = 0; j < truth.size(); ++j)
            QVERIFY(found[std::size_t(i)][j].score == truth[j].score); // recomputed in double: exact
        QVERIFY(sortedByScoreThenRow(found[std::size_t(i)]));
    }
}

void TestNeighbourIndex::exactTiesAreBrokenByRow()
{
    // 30 copies of one vector spread over the matrix: more than k plus FAISS's candidate margin.
    FloatMatrix base = randomUnit(400, 32, 3);
    std::vector<std::int64_t> copies;
    for (std::int64_t r = 391; r >= 1; r -= 13)
        copies.push_back(r);
    std::sort(copies.begin(), copies.end());
    QCOMPARE(copies.size(), std::size_t(31));
    for (std::int64_t r : copies)
        std::copy(base.row(0).begin(), base.row(0).end(), base.row(r).begin());
    copies.insert(copies.begin(), 0);
    const auto index = NeighbourIndex::build(base);

    for (int batch : {1, 40}) { // both FAISS code paths
        FloatMatrix q(batch, 32);
        for (int i = 0; i < batch; ++i)
            std::copy(base.row(0).begin(), base.row(0).end(), q.row(i).begin());
        const auto found = index.search(q, 10);
        for (const auto &list : found) {
            QCOMPARE(rowsOf(list), std::vector<std::int64_t>(copies.begin(), copies.begin() + 10));
            for (const auto &nb : list)
                QVERIFY(nb.score == list.front().score);
        }
    }
}

void TestNeighbourIndex::tiesBeyondAnyMarginAndAcrossBlocks()
{
    // 120 copies of row 5 in a matrix of 9000 rows (more than one block of the first pass),
    // the last of them beyond the first block; 300 queries (more than one query block). Every
    // list is the first k copies in row order, whatever floats BLAS produced for them.
    FloatMatrix base = randomUnit(9000, 16, 31);
    std::vector<std::int64_t> copies{5};
    for (std::int64_t r = 8999; r > 5 && copies.size() < 120; r -= 71)
        copies.push_back(r);
    for (std::int64_t r : copies)
        std::copy(base.row(5).begin(), base.row(5).end(), base.row(r).begin());
    std::sort(copies.begin(), copies.end());
    const auto index = NeighbourIndex::build(base);
    for (int k : {10, 32, 100}) {
        FloatMatrix q(300, 16);
        for (std::int64_t i = 0; i < q.rows; ++i)
            std::copy(base.row(5).begin(), base.row(5).end(), q.row(i).begin());
        for (const auto &list : index.search(q, k))
            QCOMPARE(rowsOf(list), std::vector<std::int64_t>(copies.begin(), copies.begin() + k));
    }
}

void TestNeighbourIndex::nearTiesMatchBruteForce()
{
    // Rows that differ from the query in the last bits of a few components: their scores are
    // closer than any float32 dot product can tell, so the first pass cannot order them, and
    // the exact rescoring must (against a brute force in double).
    const std::int64_t d = 64;
    FloatMatrix base = randomUnit(3000, d, 32);
    std::mt19937 rng(33);
    for (std::int64_t r = 0; r < base.rows; r += 11) {
        std::copy(base.row(0).begin(), base.row(0).end(), base.row(r).begin());
        for (int t = 0; t < 4; ++t) {
            float &v = base.at(r, std::int64_t(rng() % d));
            v = std::nextafter(v, rng() % 2 ? 1.0f : -1.0f);
        }
    }
    const auto index = NeighbourIndex::build(base);
    // 7 queries take the 8-bit first pass, 21 the sgemm pass: both must give the truth.
    for (const FloatMatrix &q : {pickRows(base, {0, 0, 0, 11, 22, 1, 2}),
                                 pickRows(base, {0, 0, 0, 11, 22, 1, 2, 0, 0, 0, 11, 22, 1, 2, 0, 0, 0, 11, 22, 1, 2})})
    for (int k : {1, 10, 50}) {
        const auto found = index.search(q, k);
        for (std::int64_t i = 0; i < q.rows; ++i) {
            const auto truth = bruteForce(base, q.row(i), k);
            QCOMPARE(rowsOf(found[std::size_t(i)]), rowsOf(truth));
            for (std::size_t j = 0; j < truth.size(); ++j)
                QVERIFY(found[std::size_t(i)][j].score == truth[j].score);
        }
    }
}

void TestNeighbourIndex::candidatesHoldEveryRowThatCouldTie()
{
    // The first pass's scores err by up to eps in either direction (here chosen adversarially):
    // the candidates still hold every row of the exact top k and every row tied with its last.
    std::mt19937 rng(34);
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    const double eps = 1e-4;
    const int k = 10;
    std::vector<double> exact(5000);
    for (std::size_t i = 0; i < exact.size(); ++i)
        exact[i] = std::round(noise(rng) * 2000) / 2000; // many exact ties, 5e-4 apart
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> approx(exact.size());
        for (std::size_t i = 0; i < exact.size(); ++i)
            approx[i] = float(exact[i] + eps * (trial % 2 ? noise(rng) : (exact[i] > 0.99 ? -1 : 1)));
        TopKCandidates candidates(k, eps);
        for (std::size_t at = 0; at < approx.size(); at += 333)
            candidates.offer(approx.data() + at, std::int64_t(at), std::min<std::int64_t>(333, approx.size() - at));
        const auto rows = candidates.rows();
        std::vector<double> sorted = exact;
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        const double kth = sorted[k - 1];
        for (std::size_t i = 0; i < exact.size(); ++i)
            if (exact[i] >= kth)
                QVERIFY(std::binary_search(rows.begin(), rows.end(), std::int64_t(i)));
        QVERIFY(rows.size() < 100); // and not much more
    }
}

void TestNeighbourIndex::sameEmbeddingToleratesFloatNoiseOnly()
{
    const FloatMatrix m = randomUnit(2, 768, 35);
    std::vector<float> noisy(m.row(0).begin(), m.row(0).end());
    for (std::size_t i = 0; i < noisy.size(); i += 3)
        noisy[i] *= 1.0f + 1e-6f; // a batch position's or a kernel's worth of difference
    QVERIFY(sameEmbedding(m.row(0).data(), m.row(0).data(), 768));
    QVERIFY(sameEmbedding(m.row(0).data(), noisy.data(), 768));
    std::vector<float> edited(m.row(0).begin(), m.row(0).end());
    edited[7] += 2e-4f; // a real change, however small
    QVERIFY(!sameEmbedding(m.row(0).data(), edited.data(), 768));
    QVERIFY(!sameEmbedding(m.row(0).data(), m.row(1).data(), 768));
}

void TestNeighbourIndex::int8KernelsGiveTheSameSums()
{
    // 13 rows of 100 dimensions: neither a multiple of the kernels' 4 rows nor of their 16 or
    // 64 bytes, so every tail path runs. Each kernel this CPU has must give the scalar sums.
    const FloatMatrix base = randomUnit(13, 100, 36);
    const auto codes = Int8Codes::encode(*floatRowsInMemory(base.data, base.rows, int(base.cols)));
    const FloatMatrix q = randomUnit(1, 100, 37);
    std::vector<std::int32_t> scalar(13), other(13);
    int8Dots(Int8Kernel::Scalar, codes, q.row(0).data(), scalar.data());
    for (std::int64_t r = 0; r < 13; ++r) { // the scalar sums themselves, by hand
        std::int64_t s = 0;
        std::vector<std::int8_t> qc(100);
        float maxAbs = 0;
        for (float v : q.row(0))
            maxAbs = std::max(maxAbs, std::abs(v));
        for (int i = 0; i < 100; ++i)
            qc[std::size_t(i)] = std::int8_t(std::clamp(std::lround(double(q.at(0, i)) / (maxAbs / 127.0f)), -127L, 127L));
        for (int i = 0; i < 100; ++i)
            s += qc[std::size_t(i)] * codes.codes[std::size_t(r * 100 + i)];
        QCOMPARE(std::int64_t(scalar[std::size_t(r)]), s);
    }
    int ran = 0;
    for (Int8Kernel k : {Int8Kernel::Avx2, Int8Kernel::Vnni}) {
        if (!int8KernelRuns(k))
            continue;
        std::fill(other.begin(), other.end(), 0);
        int8Dots(k, codes, q.row(0).data(), other.data());
        QCOMPARE(other, scalar);
        ++ran;
    }
    qInfo("%d of 2 vector kernels run on this CPU", ran);
}

void TestNeighbourIndex::scoresDoNotDependOnBatch()
{
    // FAISS scores a lone query and a batch of 20+ along different paths; ours are the same bits.
    const FloatMatrix base = randomUnit(3000, 64, 4);
    const FloatMatrix q = randomUnit(50, 64, 5);
    for (IndexKind kind : {IndexKind::Exact, IndexKind::Hnsw}) {
        const auto index = NeighbourIndex::build(base, optionsFor(kind));
        const auto batched = index.search(q, 10);
        for (std::int64_t i = 0; i < q.rows; i += 7) {
            const auto alone = index.search(pickRows(q, {i}), 10);
            QVERIFY(sameResults(alone, {batched[std::size_t(i)]}));
        }
    }
}

void TestNeighbourIndex::approximateRecall_data()
{
    QTest::addColumn<IndexKind>("kind");
    QTest::addColumn<qint64>("n");
    QTest::addColumn<double>("minRecall");
    // Measured 1.00 (HNSW) and 0.66 (IVF-PQ: 16 bytes per 64-d vector, the PQ error dominates);
    // the thresholds leave room for FAISS's parallel HNSW build and still catch a broken
    // metric or a wrong list assignment (recall near 0.01 or well under 0.5).
    QTest::newRow("HNSW, M 32, ef 128") << IndexKind::Hnsw << qint64(5000) << 0.95;
    QTest::newRow("IVF-PQ, 256 lists, 16 x 8-bit codes, 16 probes") << IndexKind::IvfPq << qint64(10000) << 0.55;
}

void TestNeighbourIndex::approximateRecall()
{
    QFETCH(IndexKind, kind);
    QFETCH(qint64, n);
    QFETCH(double, minRecall);
    const Clustered data = clustered(n, 200, 64, 50, 6);
    const auto exact = NeighbourIndex::build(data.base);
    const auto approximate = NeighbourIndex::build(data.base, optionsFor(kind));
    QCOMPARE(approximate.kind(), kind);
    QCOMPARE(approximate.size(), n);
    const double recall = lookalike::recallAtK(approximate, exact, data.queries, 10);
    qInfo("recall@10 of %s: %.3f", indexKindName(kind), recall);
    QVERIFY2(recall >= minRecall, qPrintable(QString::number(recall)));
    for (const auto &list : approximate.search(data.queries, 10)) {
        QCOMPARE(list.size(), std::size_t(10));
        QVERIFY(sortedByScoreThenRow(list));
    }
}

void TestNeighbourIndex::ivfPqIsDeterministic()
{
    const Clustered data = clustered(4000, 50, 32, 20, 7);
    IndexOptions o = optionsFor(IndexKind::IvfPq);
    const auto a = NeighbourIndex::build(data.base, o);
    const auto b = NeighbourIndex::build(data.base, o);
    QCOMPARE(a.kind(), IndexKind::IvfPq);
    QVERIFY(sameResults(a.search(data.queries, 10), b.search(data.queries, 10)));
    o.seed = 99; // another training sample and k-means start: other codes, other scores
    const auto c = NeighbourIndex::build(data.base, o);
    QVERIFY(!sameResults(a.search(data.queries, 10), c.search(data.queries, 10)));
}

void TestNeighbourIndex::buildFromFileEqualsBuildFromMemory_data()
{
    QTest::addColumn<IndexKind>("kind");
    QTest::addColumn<qint64>("n");
    QTest::addColumn<qint64>("used"); // the first `used` rows of the file are indexed
    // 300,000 x 32 floats is 38 MB: more than one 32 MB chunk.
    QTest::newRow("exact, two chunks") << IndexKind::Exact << qint64(300000) << qint64(300000);
    QTest::newRow("exact, leading rows only") << IndexKind::Exact << qint64(3000) << qint64(2000);
    QTest::newRow("ivfpq, sampled training rows") << IndexKind::IvfPq << qint64(4000) << qint64(4000);
    QTest::newRow("hnsw") << IndexKind::Hnsw << qint64(2000) << qint64(2000);
}

void TestNeighbourIndex::buildFromFileEqualsBuildFromMemory()
{
    QFETCH(IndexKind, kind);
    QFETCH(qint64, n);
    QFETCH(qint64, used);
    const Clustered data = clustered(n, 40, 32, 20, 21);
    const std::string path = (testsupport::scratchDir(QStringLiteral("fromfile")) + QStringLiteral("/v.npy")).toStdString();
    writeNpyMatrix(path, data.base);
    FloatMatrix leading = data.base;
    leading.rows = used;
    leading.data.resize(static_cast<std::size_t>(used * leading.cols));
    const IndexOptions o = optionsFor(kind);
    const auto fromMemory = NeighbourIndex::build(leading, o);
    const auto fromFile = NeighbourIndex::build(NpyRowReader::open(path), used, o);
    QCOMPARE(fromFile.kind(), fromMemory.kind());
    QCOMPARE(fromFile.size(), used);
    if (kind != IndexKind::Hnsw) // HNSW inserts in parallel: its graph differs between builds
        QVERIFY(sameResults(fromFile.search(data.queries, 10), fromMemory.search(data.queries, 10)));
    const auto tooMany = [&] { NeighbourIndex::build(NpyRowReader::open(path), n + 1, o); };
    QVERIFY_THROWS_EXCEPTION(Error, tooMany());
}

void TestNeighbourIndex::tinyIvfPqFallsBackToExact()
{
    // 8-bit PQ cannot be trained on fewer than 256 points: the exact index is built instead.
    const FloatMatrix base = randomUnit(100, 16, 8);
    const FloatMatrix q = randomUnit(5, 16, 9);
    const auto index = NeighbourIndex::build(base, optionsFor(IndexKind::IvfPq));
    QCOMPARE(index.kind(), IndexKind::Exact);
    QVERIFY(sameResults(index.search(q, 10), NeighbourIndex::build(base).search(q, 10)));
    // From 256 points on it is a real IVF-PQ index (fewer than 39 * 256 PQ training points is fine).
    const auto small = NeighbourIndex::build(randomUnit(300, 16, 10), optionsFor(IndexKind::IvfPq));
    QCOMPARE(small.kind(), IndexKind::IvfPq);
    QCOMPARE(small.search(q, 10).front().size(), std::size_t(10));
}

void TestNeighbourIndex::emptyIndex_data()
{
    QTest::addColumn<IndexKind>("kind");
    QTest::newRow("exact") << IndexKind::Exact;
    QTest::newRow("hnsw") << IndexKind::Hnsw;
    QTest::newRow("ivfpq (exact fallback)") << IndexKind::IvfPq;
}

void TestNeighbourIndex::emptyIndex()
{
    QFETCH(IndexKind, kind);
    const auto index = NeighbourIndex::build(FloatMatrix(0, 8), optionsFor(kind));
    QCOMPARE(index.size(), std::int64_t(0));
    QCOMPARE(index.dimension(), 8);
    const auto found = index.search(randomUnit(3, 8, 1), 5);
    QCOMPARE(found.size(), std::size_t(3));
    for (const auto &list : found)
        QVERIFY(list.empty());
}

void TestNeighbourIndex::saveLoadRoundTrip_data()
{
    QTest::addColumn<IndexKind>("kind");
    QTest::newRow("exact") << IndexKind::Exact;
    QTest::newRow("hnsw") << IndexKind::Hnsw;
    QTest::newRow("ivfpq") << IndexKind::IvfPq;
}

void TestNeighbourIndex::saveLoadRoundTrip()
{
    QFETCH(IndexKind, kind);
    const Clustered data = clustered(3000, 40, 32, 20, 11);
    IndexOptions o = optionsFor(kind);
    o.hnswEfSearch = 64;
    o.ivfProbe = 5; // search parameters are saved with the index
    const auto built = NeighbourIndex::build(data.base, o);
    const QString dir = testsupport::scratchDir(QStringLiteral("save"));
    const std::string path = (dir + QStringLiteral("/index.faiss")).toStdString();
    built.save(path);
    built.save(path); // overwriting is fine
    QStringList files{QStringLiteral("index.faiss")};
    if (kind == IndexKind::Exact)
        files << QStringLiteral("index.faiss.codes"); // the 8-bit codes of the first pass
    QCOMPARE(QDir(dir).entryList(QDir::Files), files); // no temporary left

    auto loaded = NeighbourIndex::load(path);
    QCOMPARE(loaded.kind(), kind);
    QCOMPARE(loaded.size(), built.size());
    QCOMPARE(loaded.dimension(), built.dimension());
    QVERIFY(sameResults(loaded.search(data.queries, 10), built.search(data.queries, 10)));
    if (kind == IndexKind::Exact) {
        // One query at a time takes the 8-bit first pass and reads its candidates from the
        // file; a batch the sgemm pass: the same lists, the same score bits, as the truth.
        for (std::int64_t i = 0; i < data.queries.rows; ++i) {
            const auto alone = loaded.search(pickRows(data.queries, {i}), 10);
            QVERIFY(sameResults(alone, {built.search(data.queries, 10)[std::size_t(i)]}));
            QCOMPARE(rowsOf(alone.front()), rowsOf(bruteForce(data.base, data.queries.row(i), 10)));
        }
        // Without the codes file the index encodes them again; FAISS still reads the file.
        QVERIFY(QFile::remove(dir + QStringLiteral("/index.faiss.codes")));
        const auto recoded = NeighbourIndex::load(path);
        QVERIFY(sameResults(recoded.search(pickRows(data.queries, {3}), 10), loaded.search(pickRows(data.queries, {3}), 10)));
        std::unique_ptr<faiss::Index> viaFaiss(faiss::read_index(path.c_str()));
        QCOMPARE(viaFaiss->ntotal, built.size());
        QCOMPARE(viaFaiss->d, built.dimension());
    }
    NeighbourIndex moved = std::move(loaded);
    QCOMPARE(moved.size(), built.size());
}

void TestNeighbourIndex::loadRejectsBadFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");

    const std::string good = scratchPath(QStringLiteral("good.faiss"));
    NeighbourIndex::build(randomUnit(50, 8, 12)).save(good);
    const QByteArray bytes = testsupport::readFileBytes(QString::fromStdString(good));
    QVERIFY(bytes.startsWith("IxFI")); // FAISS's fourcc for IndexFlatIP
    QByteArray l2 = bytes;
    l2.replace(0, 4, "IxF2"); // the same data read as an L2 index

    QTest::newRow("missing file") << QStringLiteral("/nonexistent/index.faiss") << int(ErrorCode::FileNotFound)
                                  << QStringLiteral("file not found");
    QTest::newRow("empty file") << testsupport::writeScratchFile(QStringLiteral("empty.faiss"), {})
                                << int(ErrorCode::MalformedHeader) << QStringLiteral("not a readable FAISS index");
    QTest::newRow("not an index") << testsupport::writeScratchFile(QStringLiteral("text.faiss"), "hello, world\n")
                                  << int(ErrorCode::MalformedHeader) << QStringLiteral("not a readable FAISS index");
    QTest::newRow("truncated index") << testsupport::writeScratchFile(
        QStringLiteral("half.faiss"), bytes.left(bytes.size() / 2))
                                     << int(ErrorCode::MalformedHeader) << QStringLiteral("not a readable FAISS index");
    QTest::newRow("bytes after the index")
        << testsupport::writeScratchFile(QStringLiteral("junk.faiss"), bytes + "junk") << int(ErrorCode::SizeMismatch)
        << QStringLiteral("bytes after");
    QTest::newRow("an L2 index") << testsupport::writeScratchFile(QStringLiteral("l2.faiss"), l2)
                                 << int(ErrorCode::Unsupported) << QStringLiteral("does not build");
}

void TestNeighbourIndex::loadRejectsBadFiles()
{
    QFETCH(QString, path);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    try {
        NeighbourIndex::load(path.toStdString());
        QFAIL("no error");
    } catch (const Error &e) {
        const QString what = QString::fromUtf8(e.what());
        QCOMPARE(errorCodeName(e.code()), errorCodeName(ErrorCode(code)));
        QCOMPARE(QString::fromStdString(e.file()), path);
        QVERIFY2(what.startsWith(path + QStringLiteral(": ")), qPrintable(what));
        QVERIFY2(what.contains(mentions), qPrintable(what));
        QVERIFY(!what.contains(QLatin1Char('\n')));
    }
}

void TestNeighbourIndex::searchExcludingSelf_data()
{
    QTest::addColumn<IndexKind>("kind");
    QTest::newRow("exact") << IndexKind::Exact;
    QTest::newRow("hnsw") << IndexKind::Hnsw;
    QTest::newRow("ivfpq") << IndexKind::IvfPq;
}

void TestNeighbourIndex::searchExcludingSelf()
{
    QFETCH(IndexKind, kind);
    // Rows 10, 20 and 30 are copies of row 0 (the same product image uploaded three more times);
    // row 40 too, but embedded elsewhere: the last bits of some components differ (towards 0,
    // so it scores at most what the exact copies score).
    Clustered data = clustered(3000, 0, 32, 20, 13);
    FloatMatrix &base = data.base;
    for (std::int64_t r : {10, 20, 30, 40})
        std::copy(base.row(0).begin(), base.row(0).end(), base.row(r).begin());
    for (std::int64_t j = 0; j < 32; j += 3)
        base.at(40, j) = std::nextafter(base.at(40, j), 0.0f);
    const auto index = NeighbourIndex::build(base, optionsFor(kind));
    QCOMPARE(index.kind(), kind);
    std::vector<std::int64_t> queries{0, 10, 1, 2999};
    for (std::int64_t r = 100; r < 3000; r += 97)
        queries.push_back(r);

    const auto withCopies = lookalike::searchExcludingSelf(index, base, queries, 10, false);
    const auto withoutCopies = lookalike::searchExcludingSelf(index, base, queries, 10, true);
    QCOMPARE(withCopies.size(), queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const auto with = rowsOf(withCopies[i]);
        const auto without = rowsOf(withoutCopies[i]);
        QCOMPARE(with.size(), std::size_t(10));
        QCOMPARE(without.size(), std::size_t(10));
        QVERIFY(std::find(with.begin(), with.end(), queries[i]) == with.end());
        QVERIFY(std::find(without.begin(), without.end(), queries[i]) == without.end());
        QVERIFY(sortedByScoreThenRow(withCopies[i]));
        for (std::int64_t row : without)
            QVERIFY(!sameEmbedding(base.row(row).data(), base.row(queries[i]).data(), 32)
                    && (queries[i] % 10 != 0 || queries[i] > 40 || row % 10 != 0 || row > 40));
    }
    if (kind == IndexKind::Exact || kind == IndexKind::Hnsw) {
        // The copies are found (score 1) unless excluded; row 0's list starts with 10, 20, 30.
        const auto first = rowsOf(withCopies[0]);
        const auto second = rowsOf(withCopies[1]);
        QCOMPARE(std::vector<std::int64_t>(first.begin(), first.begin() + 3), (std::vector<std::int64_t>{10, 20, 30}));
        QCOMPARE(std::vector<std::int64_t>(second.begin(), second.begin() + 3), (std::vector<std::int64_t>{0, 20, 30}));
    }
    if (kind == IndexKind::Exact) {
        // Without copies: exactly the brute-force list minus the query's copies.
        for (std::size_t i = 0; i < queries.size(); ++i) {
            std::vector<std::int64_t> expected;
            for (const auto &nb : bruteForce(base, base.row(queries[i]), 20))
                if (!sameEmbedding(base.row(nb.row).data(), base.row(queries[i]).data(), 32)
                    && expected.size() < 10)
                    expected.push_back(nb.row);
            QCOMPARE(rowsOf(withoutCopies[i]), expected);
        }
    }
}

void TestNeighbourIndex::excludingSelfDeepensPastManyDuplicates()
{
    // 60 identical rows: the first search depth (k + 9) holds only copies; deepening finds the rest.
    FloatMatrix base = randomUnit(500, 16, 14);
    for (std::int64_t r = 1; r <= 60; ++r)
        std::copy(base.row(0).begin(), base.row(0).end(), base.row(r * 7).begin());
    const auto index = NeighbourIndex::build(base);
    const std::vector<std::int64_t> queries{0, 7, 420};
    const auto found = lookalike::searchExcludingSelf(index, base, queries, 10, true);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        QCOMPARE(found[i].size(), std::size_t(10));
        for (const auto &nb : found[i])
            QVERIFY(nb.row % 7 != 0 || nb.row > 420); // none of the copies (multiples of 7 up to 420), nor row 0
    }
    QCOMPARE(rowsOf(found[0]), rowsOf(found[1])); // copies have the same neighbours
}

void TestNeighbourIndex::excludingSelfOnATinyIndex()
{
    // 5 rows, k = 10: every other row, and no more; with copies excluded, fewer.
    FloatMatrix base = randomUnit(5, 4, 15);
    std::copy(base.row(0).begin(), base.row(0).end(), base.row(3).begin());
    const auto index = NeighbourIndex::build(base);
    const std::vector<std::int64_t> queries{0, 1};
    const auto all = lookalike::searchExcludingSelf(index, base, queries, 10, false);
    QCOMPARE(all[0].size(), std::size_t(4));
    QCOMPARE(all[0].front().row, std::int64_t(3));
    QCOMPARE(all[1].size(), std::size_t(4));
    const auto distinct = lookalike::searchExcludingSelf(index, base, queries, 10, true);
    QCOMPARE(distinct[0].size(), std::size_t(3));
    QCOMPARE(distinct[1].size(), std::size_t(4)); // row 1 has no copy
    QVERIFY(lookalike::searchExcludingSelf(index, base, queries, 0, true).front().empty());
}

void TestNeighbourIndex::recallAtK()
{
    const Clustered data = clustered(2000, 100, 32, 20, 16);
    const auto exact = NeighbourIndex::build(data.base);
    QCOMPARE(lookalike::recallAtK(exact, exact, data.queries, 10), 1.0);
    // A deliberately poor HNSW (tiny graph and beam) misses some, but not all.
    IndexOptions poor = optionsFor(IndexKind::Hnsw);
    poor.hnswM = 2;
    poor.hnswEfConstruction = 2;
    poor.hnswEfSearch = 1;
    const double recall = lookalike::recallAtK(NeighbourIndex::build(data.base, poor), exact, data.queries, 10);
    qInfo("recall@10 of a poor HNSW: %.3f", recall);
    QVERIFY2(recall > 0.05 && recall < 1.0, qPrintable(QString::number(recall)));
    // An index over other vectors finds none of the right rows... except by chance.
    const auto shifted = NeighbourIndex::build(randomUnit(2000, 32, 17));
    QVERIFY(lookalike::recallAtK(shifted, exact, data.queries, 10) < 0.05);
}

void TestNeighbourIndex::invalidArguments()
{
    const FloatMatrix base = randomUnit(300, 16, 18);
    const auto index = NeighbourIndex::build(base);
    auto expectInvalid = [](auto &&call, const char *mentions) {
        try {
            call();
            QFAIL("no error");
        } catch (const Error &e) {
            QCOMPARE(e.code(), ErrorCode::InvalidArgument);
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String(mentions)), e.what());
        }
    };
    expectInvalid([&] { index.search(randomUnit(2, 8, 1), 5); }, "8 dimensions");
    expectInvalid([&] { index.search(base, -1); }, "-1 neighbours");
    FloatMatrix withNan = base;
    withNan.at(42, 3) = std::numeric_limits<float>::quiet_NaN();
    expectInvalid([&] { NeighbourIndex::build(withNan); }, "row 42");
    IndexOptions pq = optionsFor(IndexKind::IvfPq);
    pq.pqSubquantizers = 5;
    expectInvalid([&] { NeighbourIndex::build(base, pq); }, "must divide");
    pq.pqSubquantizers = 0;
    pq.ivfLists = 1000;
    expectInvalid([&] { NeighbourIndex::build(base, pq); }, "1000 lists");
    const std::vector<std::int64_t> outside{300};
    expectInvalid([&] { lookalike::searchExcludingSelf(index, base, outside, 5, false); }, "query row 300");
    const std::vector<std::int64_t> fine{1};
    expectInvalid([&] { lookalike::searchExcludingSelf(index, randomUnit(299, 16, 1), fine, 5, false); },
        "not the ones the index was built from");
    expectInvalid([&] { lookalike::recallAtK(index, index, base, 0); }, "k >= 1");
}

QTEST_MAIN(TestNeighbourIndex)
#include "tst_neighbourindex.moc"
