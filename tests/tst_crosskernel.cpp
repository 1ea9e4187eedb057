// The neighbour lists do not depend on the BLAS kernel: the same project is indexed by the
// `lookalike` executable under several kernels (OpenBLAS's own choice, OPENBLAS_CORETYPE=
// Haswell / SkylakeX / Sandybridge where the CPU runs them, and the reference BLAS through
// LD_LIBRARY_PATH), and the frozen lists (ids, ranks and score bits, read from the database)
// and the exported run files must be identical byte for byte, and equal to a brute force in
// double. The embeddings are precomputed, with the cases that used to differ by kernel: many
// exact copies of one vector spread over the matrix (ties beyond any candidate margin) and
// copies with float noise in the last bits (relistings embedded at another batch position),
// which --exclude-duplicates must leave out of their twins' lists.
#include "core/index/ExactTopK.h"
#include "core/index/NpyFile.h"
#include "support/CliRunner.h"
#include "support/RefData.h"
#include "support/TestCatalog.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace lookalike;

namespace {

constexpr int kDim = 40;
constexpr int kItems = 330;

struct Kernel {
    QString name;
    QProcessEnvironment env;
};

bool cpuHas(const QByteArray &flag)
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray all = f.readAll();
    const int at = all.indexOf("\nflags");
    const QByteArray line = all.mid(at, all.indexOf('\n', at + 1) - at);
    return line.split(' ').contains(flag) || line.endsWith(" " + flag);
}

std::vector<Kernel> kernels()
{
    QProcessEnvironment base = QProcessEnvironment::systemEnvironment();
    base.remove(QStringLiteral("OPENBLAS_CORETYPE"));
    std::vector<Kernel> out{{QStringLiteral("openblas-auto"), base}};
    auto coretype = [&](const QString &name) {
        QProcessEnvironment e = base;
        e.insert(QStringLiteral("OPENBLAS_CORETYPE"), name);
        out.push_back({QStringLiteral("openblas-") + name, e});
    };
    coretype(QStringLiteral("Sandybridge"));
    if (cpuHas("avx2") && cpuHas("fma"))
        coretype(QStringLiteral("Haswell"));
    if (cpuHas("avx512f") && cpuHas("avx512bw") && cpuHas("avx512vl"))
        coretype(QStringLiteral("SkylakeX"));
    const QString reference = QStringLiteral("/usr/lib/x86_64-linux-gnu/blas");
    if (QFile::exists(reference + QStringLiteral("/libblas.so.3"))) {
        QProcessEnvironment e = base;
        e.insert(QStringLiteral("LD_LIBRARY_PATH"), reference + QStringLiteral(":/usr/lib/x86_64-linux-gnu/lapack"));
        out.push_back({QStringLiteral("reference-blas"), e});
    }
    return out;
}

// Rows 0, 7, 14, ... are one vector v (exact ties); rows 3, 10, 17, ... are v with noise in the
// last bits (the same photo embedded elsewhere); the rest random, some of them near v.
FloatMatrix embeddings()
{
    std::mt19937 rng(7);
    std::normal_distribution<float> dist;
    auto unit = [&](float *x, const float *towards, float mix) {
        double s = 0;
        for (int j = 0; j < kDim; ++j) {
            x[j] = dist(rng) + (towards ? mix * towards[j] : 0.0f);
            s += double(x[j]) * x[j];
        }
        for (int j = 0; j < kDim; ++j)
            x[j] = float(x[j] / std::sqrt(s));
    };
    FloatMatrix m(kItems, kDim);
    std::vector<float> v(kDim);
    unit(v.data(), nullptr, 0);
    for (std::int64_t r = 0; r < kItems; ++r) {
        float *x = m.row(r).data();
        if (r % 7 == 0) {
            std::copy(v.begin(), v.end(), x);
        } else if (r % 7 == 3) {
            std::copy(v.begin(), v.end(), x);
            for (int j = 0; j < kDim; ++j)
                if ((r + j) % 5 == 0)
                    x[j] = std::nextafter(x[j], (r / 7) % 2 ? 1.0f : -1.0f);
        } else {
            unit(x, v.data(), r % 7 == 5 ? 6.0f : 0.0f);
        }
    }
    return m;
}

struct Dump {
    QByteArray lists; // every frozen entry, score as its bits
    QByteArray runs;  // the exported run files
    QString normalized; // the vectors the project searched (import normalises them)
};

} // namespace

class TestCrossKernel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void listsAreTheSameUnderEveryKernel();

private:
    Dump indexUnder(const Kernel &kernel);

    testsupport::TestCatalog m_catalog;
    QString m_npy, m_ids;
    FloatMatrix m_vectors;
};

void TestCrossKernel::initTestCase()
{
    testsupport::TestCatalogOptions o;
    o.perCategory = kItems / 3;
    o.width = 4;
    o.height = 4;
    m_catalog = testsupport::makeTestCatalog(o);
    m_vectors = embeddings();
    m_npy = m_catalog.folder + QStringLiteral("/vectors.npy");
    writeNpyMatrix(m_npy.toStdString(), m_vectors);
    m_ids = m_catalog.folder + QStringLiteral("/ids.txt");
    QFile ids(m_ids);
    QVERIFY(ids.open(QIODevice::WriteOnly));
    for (const auto &id : m_catalog.ids)
        ids.write(QByteArray::fromStdString(id) + '\n');
}

Dump TestCrossKernel::indexUnder(const Kernel &kernel)
{
    Dump dump;
    const QString project = testsupport::scratchDir(QStringLiteral("kernel-") + kernel.name) + QStringLiteral("/p");
    auto ok = [&](const QStringList &args) {
        const auto r = testsupport::runLookalike(args, kernel.env);
        if (r.exitCode != 0)
            qWarning("%s: lookalike %s: %s", qPrintable(kernel.name), qPrintable(args.join(u' ')), r.err.constData());
        return r.exitCode == 0;
    };
    if (!ok({QStringLiteral("init"), project, QStringLiteral("--catalog"), m_catalog.manifest})
        || !ok({QStringLiteral("queries"), project, QStringLiteral("--from"), m_ids})
        || !ok({QStringLiteral("index"), project, QStringLiteral("--model"), m_npy, QStringLiteral("--ids"), m_ids,
                QStringLiteral("--name"), QStringLiteral("plain"), QStringLiteral("--quiet")})
        || !ok({QStringLiteral("index"), project, QStringLiteral("--model"), m_npy, QStringLiteral("--ids"), m_ids,
                QStringLiteral("--name"), QStringLiteral("distinct"), QStringLiteral("--exclude-duplicates"),
                QStringLiteral("--quiet")})
        || !ok({QStringLiteral("export"), project, QStringLiteral("--out"), project + QStringLiteral("/trec")}))
        return dump;
    QDirIterator files(project, {QStringLiteral("normalized.npy")}, QDir::Files, QDirIterator::Subdirectories);
    if (files.hasNext())
        dump.normalized = files.next();
    for (const QString &name : {QStringLiteral("plain"), QStringLiteral("distinct")}) {
        QFile f(project + QStringLiteral("/trec/run-") + name + QStringLiteral(".txt"));
        if (f.open(QIODevice::ReadOnly))
            dump.runs += f.readAll();
    }
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), kernel.name);
        db.setDatabaseName(project + QStringLiteral("/lookalike.db"));
        if (db.open()) {
            QSqlQuery q(db);
            q.exec(QStringLiteral("SELECT m.name, i.item_key, e.rank, c.item_key, e.score FROM result_entries e "
                                  "JOIN model_versions m ON m.id = e.model_id JOIN items i ON i.id = e.query_item_id "
                                  "JOIN items c ON c.id = e.candidate_item_id ORDER BY m.name, i.id, e.rank"));
            while (q.next()) {
                const float score = q.value(4).toFloat();
                std::uint32_t bits;
                std::memcpy(&bits, &score, sizeof bits);
                dump.lists += q.value(0).toString().toUtf8() + ' ' + q.value(1).toString().toUtf8() + ' '
                    + QByteArray::number(q.value(2).toInt()) + ' ' + q.value(3).toString().toUtf8() + ' '
                    + QByteArray::number(bits, 16) + '\n';
            }
        }
    }
    QSqlDatabase::removeDatabase(kernel.name);
    return dump;
}

void TestCrossKernel::listsAreTheSameUnderEveryKernel()
{
    const auto all = kernels();
    QVERIFY(all.size() >= 3); // OpenBLAS's choice, Sandybridge and the reference BLAS at least
    std::vector<Dump> dumps;
    for (const Kernel &k : all) {
        dumps.push_back(indexUnder(k));
        QVERIFY2(!dumps.back().lists.isEmpty() && !dumps.back().runs.isEmpty(), qPrintable(k.name));
    }
    for (std::size_t i = 1; i < dumps.size(); ++i) {
        QVERIFY2(dumps[i].lists == dumps[0].lists, qPrintable(all[i].name + QStringLiteral(" vs ") + all[0].name));
        QVERIFY2(dumps[i].runs == dumps[0].runs, qPrintable(all[i].name + QStringLiteral(" vs ") + all[0].name));
    }

    // And they are the true lists: a brute force in double, ties in catalog order, the query
    // never in its own list, and (distinct) none of its copies or noisy twins.
    const QList<QByteArray> lines = dumps[0].lists.split('\n');
    QVERIFY(!dumps[0].normalized.isEmpty());
    const FloatMatrix vectors = readNpyMatrix(dumps[0].normalized.toStdString());
    QCOMPARE(vectors.rows, std::int64_t(kItems)); // catalog order
    auto listOf = [&](const QByteArray &model, std::int64_t queryRow) {
        QList<QByteArray> ids;
        const QByteArray prefix = model + ' ' + QByteArray::fromStdString(m_catalog.ids[std::size_t(queryRow)]) + ' ';
        for (const QByteArray &line : lines)
            if (line.startsWith(prefix))
                ids.push_back(line.split(' ')[3]);
        return ids;
    };
    for (const std::int64_t query : {std::int64_t(0), std::int64_t(3), std::int64_t(5), std::int64_t(7), std::int64_t(100)}) {
        for (const bool distinct : {false, true}) {
            std::vector<std::pair<float, std::int64_t>> scored;
            const float *q = vectors.row(query).data();
            for (std::int64_t r = 0; r < kItems; ++r) {
                if (r == query || (distinct && sameEmbedding(q, vectors.row(r).data(), kDim)))
                    continue;
                double s = 0;
                for (int j = 0; j < kDim; ++j)
                    s += double(q[j]) * double(vectors.at(r, j));
                scored.push_back({float(s), r});
            }
            std::sort(scored.begin(), scored.end(), [](const auto &a, const auto &b) {
                return a.first > b.first || (a.first == b.first && a.second < b.second);
            });
            QList<QByteArray> expected;
            for (std::size_t i = 0; i < 10; ++i)
                expected.push_back(QByteArray::fromStdString(m_catalog.ids[std::size_t(scored[i].second)]));
            QCOMPARE(listOf(distinct ? "distinct" : "plain", query), expected);
        }
    }
    // Row 0's plain list holds only its copies and noisy twins (43 + 47 of them tie or nearly tie
    // at the top, far more than any candidate margin); its distinct list none of them.
    auto isCopyOrTwin = [&](const QByteArray &id) {
        const auto at = std::find(m_catalog.ids.begin(), m_catalog.ids.end(), id.toStdString());
        const auto row = at - m_catalog.ids.begin();
        return row % 7 == 0 || row % 7 == 3;
    };
    const QList<QByteArray> plain = listOf("plain", 0), distinct = listOf("distinct", 0);
    QCOMPARE(plain.size(), 10);
    QCOMPARE(distinct.size(), 10);
    QVERIFY(std::all_of(plain.begin(), plain.end(), isCopyOrTwin));
    QVERIFY(std::none_of(distinct.begin(), distinct.end(), isCopyOrTwin));
}

QTEST_MAIN(TestCrossKernel)
#include "tst_crosskernel.moc"
