// SigLIP image tower behind the ImageEncoder interface.
#include "core/model/SiglipImageEncoder.h"

#include "core/Error.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace lookalike {

SiglipImageEncoder::SiglipImageEncoder(SiglipPipeline pipeline)
    : m_pipeline(std::move(pipeline))
{
}

std::unique_ptr<SiglipImageEncoder> SiglipImageEncoder::load(const std::filesystem::path &folder,
                                                             const SiglipPipeline::Options &options)
{
    SiglipPipeline pipeline = SiglipPipeline::load(folder, options);
    pipeline.imagePreprocessor(); // throws with the reason if this checkpoint cannot embed images
    return std::unique_ptr<SiglipImageEncoder>(new SiglipImageEncoder(std::move(pipeline)));
}

int SiglipImageEncoder::dimension() const
{
    return m_pipeline.config().embeddingSize();
}

namespace {
constexpr std::size_t kGridHeader = 2; // NaFlex slots: rows, columns
}

std::size_t SiglipImageEncoder::pixelValueCount() const
{
    const ImagePreprocessorConfig &c = m_pipeline.imagePreprocessor().config();
    if (c.isNaflex())
        return kGridHeader + static_cast<std::size_t>(c.maxNumPatches) * static_cast<std::size_t>(c.patchSize) * c.patchSize * 3;
    return m_pipeline.imagePreprocessor().pixelValueCount();
}

void SiglipImageEncoder::preprocess(const RgbImage &image, std::span<float> out) const
{
    if (!m_pipeline.imagePreprocessor().config().isNaflex()) {
        m_pipeline.imagePreprocessor().pixelValues(image, out);
        return;
    }
    const PatchedImage p = m_pipeline.imagePreprocessor().patchedImage(image);
    out[0] = static_cast<float>(p.rows); // exact: small integers
    out[1] = static_cast<float>(p.cols);
    std::copy(p.values.begin(), p.values.end(), out.begin() + kGridHeader);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(kGridHeader + p.values.size()), out.end(), 0.0f);
}

FloatMatrix SiglipImageEncoder::encode(std::span<const float> pixels, std::int64_t count) const
{
    if (!m_pipeline.imagePreprocessor().config().isNaflex())
        return m_pipeline.model().embedImages(pixels, count);
    const std::size_t per = pixelValueCount();
    const std::size_t patchValues = static_cast<std::size_t>(m_pipeline.config().vision->patchValues());
    std::vector<PatchedImage> images(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < images.size(); ++i) {
        const float *slot = pixels.data() + i * per;
        PatchedImage &im = images[i];
        im.rows = static_cast<int>(slot[0]);
        im.cols = static_cast<int>(slot[1]);
        const std::size_t n = static_cast<std::size_t>(std::max<std::int64_t>(0, im.patchCount())) * patchValues;
        if (kGridHeader + n > per)
            throw Error(ErrorCode::InvalidArgument, {}, "a NaFlex slot holds more patches than max_num_patches");
        im.values.assign(slot + kGridHeader, slot + kGridHeader + n);
    }
    return m_pipeline.model().embedPatchedImages(images);
}

std::string SiglipImageEncoder::configJson() const
{
    auto object = [](const std::string &json) { return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object(); };
    QJsonObject config{{QStringLiteral("model"), object(m_pipeline.config().toJson())},
                       {QStringLiteral("preprocessing"), object(m_pipeline.imagePreprocessor().config().toJson())}};
    // Only when not fp32, so that the configs of versions embedded before bf16 existed still match.
    if (m_pipeline.model().precision() == Precision::Bf16)
        config.insert(QStringLiteral("precision"), QStringLiteral("bf16"));
    return QJsonDocument(config).toJson(QJsonDocument::Compact).toStdString();
}

std::string SiglipImageEncoder::schedule() const
{
    const SiglipModel &model = m_pipeline.model();
    return precisionInWords(model.precision()) + ", " + model.describeLanes("images");
}

} // namespace lookalike
