// Text and image search over a version's index.
#include "core/project/CatalogSearch.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/model/ImageEncoder.h"
#include "core/model/SiglipPipeline.h"
#include "core/project/Project.h"
#include "core/util/VectorMath.h"

#include <optional>

namespace lookalike {

struct CatalogSearch::Impl {
    ModelVersion version;
    std::optional<ModelIndex> index;
    std::optional<SiglipPipeline> siglip; // text search, loaded on first use
    std::unique_ptr<ImageEncoder> encoder; // image search, loaded on first use
};

CatalogSearch::CatalogSearch(const std::filesystem::path &projectFolder, const std::string &versionName)
    : d(std::make_unique<Impl>())
{
    const Project project = Project::open(projectFolder);
    d->version = requireModelVersion(project, versionName);
    requireEmbeddings(d->version, "search the catalog");
    d->index.emplace(ModelIndex::load(project, d->version));
}

CatalogSearch::~CatalogSearch() = default;

const ModelVersion &CatalogSearch::version() const
{
    return d->version;
}

std::vector<Hit> CatalogSearch::byText(const std::string &text, int k)
{
    if (d->version.kind != ModelKind::Siglip)
        throw Error(ErrorCode::Unsupported, d->version.source.string(),
            "text search needs a SigLIP model version; '" + d->version.name + "' is " + modelKindName(d->version.kind));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw Error(ErrorCode::InvalidArgument, {}, "type some words to search for");
    if (!d->siglip) {
        SiglipPipeline::Options options;
        options.precision = versionPrecision(d->version); // texts in the precision the catalog was embedded with
        options.lanes.followFreeCores = true; // a query's text is not stored: it may run on the cores left free
        d->siglip.emplace(SiglipPipeline::load(d->version.source, options));
    }
    if (!d->siglip->hasText())
        throw Error(ErrorCode::Unsupported, d->version.source.string(), "the checkpoint has no text tower");
    const FloatMatrix embedding = l2NormalizedRows(d->siglip->embedTexts({text}));
    return d->index->neighboursOfVector(embedding.row(0), k);
}

std::vector<Hit> CatalogSearch::byImage(const std::filesystem::path &image, int k)
{
    if (d->version.kind == ModelKind::Precomputed)
        throw Error(ErrorCode::Unsupported, d->version.source.string(),
            "'" + d->version.name + "' has precomputed embeddings, so a new image cannot be embedded with it");
    if (!d->encoder)
        d->encoder = openImageEncoder(d->version, 2, 1);
    const RgbImage rgb = decodeImageFile(image); // as the model sees it: no EXIF rotation
    std::vector<float> pixels(d->encoder->pixelValueCount());
    d->encoder->preprocess(rgb, pixels);
    const FloatMatrix embedding = l2NormalizedRows(d->encoder->encode(pixels, 1));
    return d->index->neighboursOfVector(embedding.row(0), k);
}

} // namespace lookalike
