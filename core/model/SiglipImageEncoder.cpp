// SigLIP image tower behind the ImageEncoder interface.
#include "core/model/SiglipImageEncoder.h"

#include <QJsonDocument>
#include <QJsonObject>

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

std::size_t SiglipImageEncoder::pixelValueCount() const
{
    return m_pipeline.imagePreprocessor().pixelValueCount();
}

void SiglipImageEncoder::preprocess(const RgbImage &image, std::span<float> out) const
{
    m_pipeline.imagePreprocessor().pixelValues(image, out);
}

FloatMatrix SiglipImageEncoder::encode(std::span<const float> pixels, std::int64_t count) const
{
    return m_pipeline.model().embedImages(pixels, count);
}

std::string SiglipImageEncoder::configJson() const
{
    auto object = [](const std::string &json) { return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object(); };
    const QJsonObject config{{QStringLiteral("model"), object(m_pipeline.config().toJson())},
                             {QStringLiteral("preprocessing"), object(m_pipeline.imagePreprocessor().config().toJson())}};
    return QJsonDocument(config).toJson(QJsonDocument::Compact).toStdString();
}

} // namespace lookalike
