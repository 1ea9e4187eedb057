// Small generated product catalogs for tests: coloured, noisy PPM images in a few categories
// and a CSV manifest, all in a scratch folder.
#pragma once

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace testsupport {

struct TestCatalog {
    QString folder;
    QString manifest; // catalog.csv
    std::vector<std::string> ids; // in manifest order
};

struct TestCatalogOptions {
    QStringList categories{QStringLiteral("red"), QStringLiteral("green"), QStringLiteral("blue")};
    int perCategory = 10;
    int width = 40;
    int height = 30;
    unsigned seed = 1;
    bool withTwins = false; // adds "twin-a" and "twin-b": byte-identical images
};

TestCatalog makeTestCatalog(const TestCatalogOptions &options = {});

// Writes a binary PPM (P6) image; pixel (x, y) = colour + seeded noise.
void writePpm(const QString &path, int width, int height, int r, int g, int b, unsigned seed);

} // namespace testsupport
