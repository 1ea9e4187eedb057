// Loading a checkpoint folder and running files and strings through it.
#include "core/model/SiglipPipeline.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/checkpoint/SafetensorsFile.h"
#include "core/checkpoint/SiglipNames.h"
#include "core/util/VectorMath.h"

#include <algorithm>

namespace lookalike {

namespace fs = std::filesystem;

struct SiglipPipeline::Impl {
    fs::path folder;
    Options options;
    SiglipModel model;
    std::optional<ImagePreprocessor> preprocessor;
    std::unique_ptr<TextTokenizer> tokenizer;
    // Why a tower present in the weights cannot be used (a missing side file), reported on use.
    std::string visionUnavailable;
    std::string textUnavailable;
};

SiglipPipeline::SiglipPipeline(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
SiglipPipeline::SiglipPipeline(SiglipPipeline &&) noexcept = default;
SiglipPipeline &SiglipPipeline::operator=(SiglipPipeline &&) noexcept = default;
SiglipPipeline::~SiglipPipeline() = default;

namespace {

fs::path weightsFileOf(const fs::path &folder)
{
    const fs::path weights = folder / siglip::kWeightsFile;
    if (fs::exists(weights))
        return weights;
    if (fs::exists(folder / "model.safetensors.index.json"))
        throw Error(ErrorCode::Unsupported, (folder / "model.safetensors.index.json").string(),
                    "sharded checkpoints are not supported yet; merge the shards into one model.safetensors");
    if (fs::exists(folder / "pytorch_model.bin"))
        throw Error(ErrorCode::Unsupported, (folder / "pytorch_model.bin").string(),
                    "pickled PyTorch weights are not loaded (unsafe); save the model with safe_serialization=True");
    throw Error(ErrorCode::FileNotFound, weights.string(), "file not found");
}

} // namespace

SiglipPipeline SiglipPipeline::load(const fs::path &folder, const Options &options)
{
    if (!fs::is_directory(folder))
        throw Error(fs::exists(folder) ? ErrorCode::FileUnreadable : ErrorCode::FileNotFound, folder.string(),
                    fs::exists(folder) ? "not a folder: a model is a checkpoint folder" : "model folder not found");
    const SiglipConfig config = SiglipConfig::fromFile(folder / siglip::kConfigFile);
    SiglipModel::setThreadCount(options.threads);
    SiglipModel model = SiglipModel::load(weightsFileOf(folder), config);
    model.setPrecision(options.precision);
    SiglipModel::Lanes lanes = options.lanes.count > 0 ? options.lanes : SiglipModel::measuredLanes(options.threads);
    lanes.followFreeCores = options.lanes.followFreeCores; // asked for with the measured lanes too (search)
    model.setLanes(lanes);

    auto impl = std::unique_ptr<Impl>(new Impl{folder, options, std::move(model), {}, {}, {}, {}});
    const SiglipConfig &effective = impl->model.config();
    if (effective.vision) {
        // The hub's and transformers 4's file, else transformers 5's (the settings nested).
        fs::path file = folder / siglip::kPreprocessorFile;
        if (!fs::exists(file) && fs::exists(folder / siglip::kProcessorFile))
            file = folder / siglip::kProcessorFile;
        if (!fs::exists(file)) {
            impl->visionUnavailable = file.string()
                + ": file not found; it holds the image preprocessing settings (or processor_config.json)";
        } else {
            ImagePreprocessorConfig pc = ImagePreprocessorConfig::fromFile(file);
            if (pc.isNaflex() != effective.vision->isNaflex())
                throw Error(ErrorCode::InvalidConfig, file.string(), "image_processor_type",
                            pc.processorType + (pc.isNaflex() ? " cuts images into patches but the model is FixRes"
                                                              : " makes square images but the model is SigLIP 2 NaFlex"));
            if (pc.isNaflex() && pc.patchSize != effective.vision->patchSize)
                throw Error(ErrorCode::InvalidConfig, file.string(), "patch_size",
                            std::to_string(pc.patchSize) + " does not match the vision tower's patch_size "
                                + std::to_string(effective.vision->patchSize));
            if (pc.isNaflex() && pc.maxNumPatches > effective.vision->naflexPatches * 64)
                throw Error(ErrorCode::InvalidConfig, file.string(), "max_num_patches",
                            std::to_string(pc.maxNumPatches) + " is far beyond the model's num_patches "
                                + std::to_string(effective.vision->naflexPatches));
            if (!pc.isNaflex() && (pc.width != effective.vision->imageSize || pc.height != effective.vision->imageSize))
                throw Error(ErrorCode::InvalidConfig, file.string(), "size",
                            std::to_string(pc.width) + "x" + std::to_string(pc.height)
                                + " does not match the vision tower's image_size "
                                + std::to_string(effective.vision->imageSize));
            impl->preprocessor.emplace(pc);
        }
    }
    if (effective.text) {
        if (!hasTokenizerFiles(folder)) {
            impl->textUnavailable = (folder / siglip::kSentencePieceFile).string()
                + ": file not found; the text tower needs its tokenizer (spiece.model, tokenizer.model or tokenizer.json)";
        } else {
            std::unique_ptr<TextTokenizer> tokPtr = loadTextTokenizer(folder, effective.text->maxPositionEmbeddings);
            const TextTokenizer &tok = *tokPtr;
            if (tok.maxLength() > effective.text->maxPositionEmbeddings)
                throw Error(ErrorCode::InvalidConfig, (folder / siglip::kTokenizerConfigFile).string(),
                            "model_max_length",
                            std::to_string(tok.maxLength()) + " exceeds the text tower's max_position_embeddings "
                                + std::to_string(effective.text->maxPositionEmbeddings));
            if (tok.vocabSize() > effective.text->vocabSize)
                throw Error(ErrorCode::InvalidConfig, folder.string(),
                            tok.description() + ": the tokenizer has " + std::to_string(tok.vocabSize())
                                + " pieces but text_config.vocab_size is " + std::to_string(effective.text->vocabSize));
            impl->tokenizer = std::move(tokPtr);
        }
    }
    return SiglipPipeline(std::move(impl));
}

const fs::path &SiglipPipeline::folder() const
{
    return d->folder;
}

const SiglipConfig &SiglipPipeline::config() const
{
    return d->model.config();
}

const SiglipModel &SiglipPipeline::model() const
{
    return d->model;
}

bool SiglipPipeline::hasVision() const
{
    return d->preprocessor.has_value();
}

bool SiglipPipeline::hasText() const
{
    return d->tokenizer != nullptr;
}

const ImagePreprocessor &SiglipPipeline::imagePreprocessor() const
{
    if (!d->preprocessor)
        throw Error(ErrorCode::Unsupported, d->folder.string(),
                    d->visionUnavailable.empty() ? "this checkpoint has no vision tower" : d->visionUnavailable);
    return *d->preprocessor;
}

const TextTokenizer &SiglipPipeline::tokenizer() const
{
    if (!d->tokenizer)
        throw Error(ErrorCode::Unsupported, d->folder.string(),
                    d->textUnavailable.empty() ? "this checkpoint has no text tower" : d->textUnavailable);
    return *d->tokenizer;
}

std::vector<std::string> SiglipPipeline::describe() const
{
    std::vector<std::string> lines;
    const SiglipConfig &c = config();
    std::string variant;
    if (c.vision && c.vision->isNaflex())
        variant = "SigLIP 2 NaFlex (" + c.modelType + ")";
    else if (d->tokenizer && d->tokenizer->family() == "gemma")
        variant = "SigLIP 2 FixRes (" + c.modelType + ")";
    else
        variant = "SigLIP (" + c.modelType + ")";
    lines.push_back("model: " + variant);
    if (d->preprocessor) {
        const ImagePreprocessorConfig &p = d->preprocessor->config();
        lines.push_back("images: " + p.processorType + ", "
                        + (p.isNaflex() ? "aspect ratio kept, at most " + std::to_string(p.maxNumPatches) + " patches of "
                                              + std::to_string(p.patchSize) + " px"
                                        : std::to_string(p.width) + "x" + std::to_string(p.height))
                        + ", " + p.resampleName() + " resize");
    }
    if (d->tokenizer)
        lines.push_back("text: " + d->tokenizer->description() + ", " + std::to_string(d->tokenizer->maxLength())
                        + " tokens");
    lines.push_back("precision: " + precisionInWords(model().precision()));
    lines.push_back("runs: " + model().describeLanes("rows"));
    return lines;
}

FloatMatrix SiglipPipeline::embedImageFiles(const std::vector<fs::path> &files) const
{
    if (imagePreprocessor().config().isNaflex())
        return embedPatchedBatches(files.size(), [&](std::size_t i) { return decodeImageFile(files[i]); });
    return embedPixelBatches(files.size(), [&](std::size_t i, std::span<float> out) {
        imagePreprocessor().pixelValues(decodeImageFile(files[i]), out);
    });
}

FloatMatrix SiglipPipeline::embedImages(const std::vector<RgbImage> &images) const
{
    if (imagePreprocessor().config().isNaflex())
        return embedPatchedBatches(images.size(), [&](std::size_t i) { return images[i]; });
    return embedPixelBatches(images.size(),
                             [&](std::size_t i, std::span<float> out) { imagePreprocessor().pixelValues(images[i], out); });
}

FloatMatrix SiglipPipeline::embedPixelBatches(std::size_t count,
                                              const std::function<void(std::size_t, std::span<float>)> &fill) const
{
    const std::size_t per = imagePreprocessor().pixelValueCount();
    const std::size_t batch = static_cast<std::size_t>(std::max(1, d->options.batchSize));
    FloatMatrix out(static_cast<std::int64_t>(count), config().embeddingSize());
    std::vector<float> pixels;
    for (std::size_t start = 0; start < count; start += batch) {
        const std::size_t n = std::min(batch, count - start);
        pixels.resize(n * per);
        for (std::size_t i = 0; i < n; ++i)
            fill(start + i, {pixels.data() + i * per, per});
        const FloatMatrix part = d->model.embedImages(pixels, static_cast<std::int64_t>(n));
        std::copy(part.data.begin(), part.data.end(), out.row(static_cast<std::int64_t>(start)).begin());
    }
    return out;
}

FloatMatrix SiglipPipeline::embedPatchedBatches(std::size_t count,
                                                const std::function<RgbImage(std::size_t)> &image) const
{
    const std::size_t batch = static_cast<std::size_t>(std::max(1, d->options.batchSize));
    FloatMatrix out(static_cast<std::int64_t>(count), config().embeddingSize());
    std::vector<PatchedImage> patched;
    for (std::size_t start = 0; start < count; start += batch) {
        const std::size_t n = std::min(batch, count - start);
        patched.clear();
        for (std::size_t i = 0; i < n; ++i)
            patched.push_back(imagePreprocessor().patchedImage(image(start + i)));
        const FloatMatrix part = d->model.embedPatchedImages(patched);
        std::copy(part.data.begin(), part.data.end(), out.row(static_cast<std::int64_t>(start)).begin());
    }
    return out;
}

FloatMatrix SiglipPipeline::embedTexts(const std::vector<std::string> &texts,
                                       std::vector<std::vector<std::int64_t>> *inputIds) const
{
    const TextTokenizer &tok = tokenizer();
    std::vector<std::vector<std::int64_t>> ids;
    ids.reserve(texts.size());
    for (const std::string &t : texts)
        ids.push_back(tok.encode(t));
    const std::size_t batch = static_cast<std::size_t>(std::max(1, d->options.batchSize));
    FloatMatrix out(static_cast<std::int64_t>(texts.size()), config().text->embeddingSize());
    for (std::size_t start = 0; start < ids.size(); start += batch) {
        const std::size_t n = std::min(batch, ids.size() - start);
        const std::vector<std::vector<std::int64_t>> part(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                                          ids.begin() + static_cast<std::ptrdiff_t>(start + n));
        const FloatMatrix emb = d->model.embedTexts(part);
        std::copy(emb.data.begin(), emb.data.end(), out.row(static_cast<std::int64_t>(start)).begin());
    }
    if (inputIds)
        *inputIds = std::move(ids);
    return out;
}

FloatMatrix SiglipPipeline::logitsPerImage(const FloatMatrix &imageEmbeddings, const FloatMatrix &textEmbeddings) const
{
    if (!config().isDualEncoder())
        throw Error(ErrorCode::Unsupported, d->folder.string(), "logits need both towers; this checkpoint has one");
    return siglipLogits(imageEmbeddings, textEmbeddings, d->model.logitScale(), d->model.logitBias());
}

} // namespace lookalike
