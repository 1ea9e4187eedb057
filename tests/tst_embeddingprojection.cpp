// The embedding map's projections: PCA by hand and on a noisy line (axis order, fixed signs),
// t-SNE separating clusters, deterministic for a seed, with progress and cancellation, and the
// limits that keep it from running away.
#include "core/Error.h"
#include "core/analysis/EmbeddingProjection.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace lookalike;

class TestEmbeddingProjection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pcaByHand();
    void pcaRecoversALine();
    void tsneSeparatesClusters();
    void tsneIsDeterministicAndCancellable();
    void limits();
};

void TestEmbeddingProjection::pcaByHand()
{
    // Spread 2 along x, 0.5 along y: x is the first axis. Centred already.
    FloatMatrix m(4, 2);
    m.data = {1, 0, -1, 0, 0, 0.5f, 0, -0.5f};
    const FloatMatrix p = pcaProject(m, 2);
    QCOMPARE(p.rows, 4);
    QCOMPARE(p.cols, 2);
    const float expected[4][2] = {{1, 0}, {-1, 0}, {0, 0.5f}, {0, -0.5f}};
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 2; ++c)
            QVERIFY2(std::abs(p.data[static_cast<std::size_t>(r * 2 + c)] - expected[r][c]) < 1e-6,
                qPrintable(
                    QStringLiteral("(%1, %2): %3").arg(r).arg(c).arg(p.data[static_cast<std::size_t>(r * 2 + c)])));
}

void TestEmbeddingProjection::pcaRecoversALine()
{
    // 200 points along a direction in 8-D plus small noise: the first coordinate is the position
    // on the line (up to sign, which the rule fixes), the second is tiny.
    std::mt19937 rng(3);
    std::normal_distribution<float> noise(0, 0.01f);
    const float direction[8] = {0.5f, -0.5f, 0.5f, 0.1f, -0.1f, 0.3f, 0.3f, -0.2f};
    FloatMatrix m(200, 8);
    std::vector<float> t(200);
    for (int r = 0; r < 200; ++r) {
        t[static_cast<std::size_t>(r)] = static_cast<float>(r) / 20.0f - 5.0f;
        for (int c = 0; c < 8; ++c)
            m.data[static_cast<std::size_t>(r * 8 + c)]
                = t[static_cast<std::size_t>(r)] * direction[c] + 3.0f + noise(rng);
    }
    const FloatMatrix p = pcaProject(m, 2);
    double dot = 0, tt = 0, pp = 0, second = 0;
    for (int r = 0; r < 200; ++r) {
        const double a = t[static_cast<std::size_t>(r)], b = p.data[static_cast<std::size_t>(r * 2)];
        dot += a * b;
        tt += a * a;
        pp += b * b;
        second += std::pow(p.data[static_cast<std::size_t>(r * 2 + 1)], 2);
    }
    QVERIFY(std::abs(dot / std::sqrt(tt * pp)) > 0.999);
    QVERIFY(second / 200 < 1e-3);
    // The same points again give exactly the same map (signs fixed).
    QCOMPARE(pcaProject(m, 2).data, p.data);
}

namespace {

// Three clusters of 40 points in 20-D, far apart.
FloatMatrix clusters(std::vector<int> *labels)
{
    std::mt19937 rng(5);
    std::normal_distribution<float> normal;
    FloatMatrix m(120, 20);
    for (int r = 0; r < 120; ++r) {
        const int cluster = r % 3;
        labels->push_back(cluster);
        for (int c = 0; c < 20; ++c)
            m.data[static_cast<std::size_t>(r * 20 + c)] = normal(rng) + (c == cluster ? 12.0f : 0.0f);
    }
    return m;
}

} // namespace

void TestEmbeddingProjection::tsneSeparatesClusters()
{
    std::vector<int> labels;
    const FloatMatrix m = clusters(&labels);
    TsneOptions options;
    options.iterations = 400;
    const FloatMatrix y = tsneProject(m, options);
    QCOMPARE(y.rows, 120);
    QCOMPARE(y.cols, 2);
    // Each point's 5 nearest neighbours on the map share its cluster.
    int same = 0, total = 0;
    for (int i = 0; i < 120; ++i) {
        std::vector<std::pair<double, int>> d;
        for (int j = 0; j < 120; ++j)
            if (j != i)
                d.emplace_back(
                    std::hypot(y.data[static_cast<std::size_t>(i * 2)] - y.data[static_cast<std::size_t>(j * 2)],
                        y.data[static_cast<std::size_t>(i * 2 + 1)] - y.data[static_cast<std::size_t>(j * 2 + 1)]),
                    j);
        std::partial_sort(d.begin(), d.begin() + 5, d.end());
        for (int k = 0; k < 5; ++k) {
            same += labels[static_cast<std::size_t>(d[static_cast<std::size_t>(k)].second)]
                == labels[static_cast<std::size_t>(i)];
            ++total;
        }
    }
    QVERIFY2(same >= total * 98 / 100, qPrintable(QStringLiteral("%1 of %2").arg(same).arg(total)));
}

void TestEmbeddingProjection::tsneIsDeterministicAndCancellable()
{
    std::vector<int> labels;
    const FloatMatrix m = clusters(&labels);
    TsneOptions options;
    options.iterations = 60;
    int calls = 0, lastDone = 0;
    const FloatMatrix a = tsneProject(m, options, [&](int done, int total) {
        ++calls;
        lastDone = done;
        return total == 60;
    });
    QCOMPARE(calls, 6);
    QCOMPARE(lastDone, 60);
    QCOMPARE(tsneProject(m, options).data, a.data);
    options.seed = 2;
    QVERIFY(tsneProject(m, options).data != a.data);
    try {
        tsneProject(m, options, [](int done, int) { return done < 20; });
        QFAIL("not cancelled");
    } catch (const Error &e) {
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("cancelled")));
    }
}

void TestEmbeddingProjection::limits()
{
    QVERIFY_THROWS_EXCEPTION(Error, pcaProject(FloatMatrix(0, 3), 2));
    QVERIFY_THROWS_EXCEPTION(Error, pcaProject(FloatMatrix(5, 3), 4));
    QVERIFY_THROWS_EXCEPTION(Error, tsneProject(FloatMatrix(3, 2)));
    try {
        tsneProject(FloatMatrix(kMaxTsnePoints + 1, 1));
        QFAIL("no limit");
    } catch (const Error &e) {
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("limited to 10000 points")));
    }
}

QTEST_APPLESS_MAIN(TestEmbeddingProjection)
#include "tst_embeddingprojection.moc"
