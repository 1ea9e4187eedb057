// Generated test catalogs.
#include "support/TestCatalog.h"

#include "support/RefData.h"

#include <QDir>
#include <QFile>

#include <random>

namespace testsupport {

void writePpm(const QString &path, int width, int height, int r, int g, int b, unsigned seed)
{
    std::mt19937 rng(seed);
    QByteArray bytes = QStringLiteral("P6\n%1 %2\n255\n").arg(width).arg(height).toLatin1();
    for (int i = 0; i < width * height; ++i)
        for (int c : {r, g, b})
            bytes.append(static_cast<char>(std::clamp(c + static_cast<int>(rng() % 61) - 30, 0, 255)));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

TestCatalog makeTestCatalog(const TestCatalogOptions &options)
{
    TestCatalog catalog;
    catalog.folder = scratchDir(QStringLiteral("catalog"));
    QDir(catalog.folder).mkpath(QStringLiteral("images"));
    QString csv = QStringLiteral("id,image,title,category,seller\n");
    unsigned seed = options.seed;
    for (const QString &category : options.categories) {
        const int r = category == QLatin1String("red") ? 210 : 40 + static_cast<int>(qHash(category) % 60);
        const int g = category == QLatin1String("green") ? 210 : 40 + static_cast<int>(qHash(category) / 7 % 60);
        const int b = category == QLatin1String("blue") ? 210 : 40 + static_cast<int>(qHash(category) / 49 % 60);
        for (int i = 0; i < options.perCategory; ++i) {
            const QString id = QStringLiteral("%1-%2").arg(category).arg(i);
            const QString image = QStringLiteral("images/%1.ppm").arg(id);
            writePpm(catalog.folder + QLatin1Char('/') + image, options.width, options.height, r, g, b, ++seed);
            csv += QStringLiteral("%1,%2,\"%3 item %4\",%3,seller-%5\n").arg(id, image, category).arg(i).arg(i % 3);
            catalog.ids.push_back(id.toStdString());
        }
    }
    if (options.withTwins) {
        for (const QString &twin : {QStringLiteral("twin-a"), QStringLiteral("twin-b")}) {
            writePpm(catalog.folder + QStringLiteral("/images/%1.ppm").arg(twin), options.width, options.height, 120,
                120, 60, 4242); // same seed: identical bytes
            csv += QStringLiteral("%1,images/%1.ppm,twin item,twins,seller-0\n").arg(twin);
            catalog.ids.push_back(twin.toStdString());
        }
    }
    catalog.manifest = catalog.folder + QStringLiteral("/catalog.csv"); // image paths are relative to it
    QFile f(catalog.manifest);
    if (!f.open(QIODevice::WriteOnly) || f.write(csv.toUtf8()) < 0)
        qFatal("cannot write %s", qPrintable(catalog.manifest));
    return catalog;
}

} // namespace testsupport
