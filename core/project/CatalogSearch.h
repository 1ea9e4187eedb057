// Free-form search of a catalog under one model version: a text through the SigLIP text tower
// (zero-shot text-to-image), or a new image file through the version's image encoder, against
// the version's neighbour index. Loading takes a while (index, then the model on first use);
// searching is fast. The constructor opens its own connection to the project and closes it
// once the index is loaded, so the object may be built and used on a worker thread (one
// thread at a time).
#pragma once

#include "core/project/ModelIndex.h"
#include "core/project/ModelVersion.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lookalike {

class CatalogSearch {
public:
    // Throws NotFound (no such version, or no index yet), Unsupported for a version without
    // embeddings (an imported run).
    CatalogSearch(const std::filesystem::path &projectFolder, const std::string &versionName);
    ~CatalogSearch();
    CatalogSearch(const CatalogSearch &) = delete;
    CatalogSearch &operator=(const CatalogSearch &) = delete;

    const ModelVersion &version() const;

    // The k catalog items nearest to the text. Throws Unsupported for a version that is not a
    // SigLIP checkpoint with a text tower, InvalidArgument for an empty text.
    std::vector<Hit> byText(const std::string &text, int k);
    // The k catalog items nearest to the image (decoded as the model sees it). Throws
    // Unsupported for precomputed versions (no encoder here), or the image's decoding error.
    std::vector<Hit> byImage(const std::filesystem::path &image, int k);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
