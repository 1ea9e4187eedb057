// Dense-vector maths on FloatMatrix.
#include "core/util/VectorMath.h"

#include "core/Error.h"

#include <cmath>

namespace lookalike {

FloatMatrix l2NormalizedRows(const FloatMatrix &m)
{
    FloatMatrix out = m;
    for (std::int64_t r = 0; r < m.rows; ++r) {
        double ss = 0;
        for (float v : m.row(r))
            ss += static_cast<double>(v) * v;
        const double norm = std::sqrt(ss);
        if (norm > 0)
            for (float &v : out.row(r))
                v = static_cast<float>(v / norm);
    }
    return out;
}

double cosine(std::span<const float> a, std::span<const float> b)
{
    LOOKALIKE_CHECK(a.size() == b.size(), "dimension mismatch: " + std::to_string(a.size()) + " vs " + std::to_string(b.size()));
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
    }
    return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

FloatMatrix dotProducts(const FloatMatrix &a, const FloatMatrix &b)
{
    LOOKALIKE_CHECK(a.cols == b.cols, "dimension mismatch: " + std::to_string(a.cols) + " vs " + std::to_string(b.cols));
    FloatMatrix out(a.rows, b.rows);
    for (std::int64_t i = 0; i < a.rows; ++i) {
        const auto ra = a.row(i);
        for (std::int64_t j = 0; j < b.rows; ++j) {
            const auto rb = b.row(j);
            double s = 0;
            for (std::int64_t k = 0; k < a.cols; ++k)
                s += static_cast<double>(ra[k]) * rb[k];
            out.at(i, j) = static_cast<float>(s);
        }
    }
    return out;
}

FloatMatrix siglipLogits(const FloatMatrix &images, const FloatMatrix &texts, float logitScale, float logitBias)
{
    FloatMatrix logits = dotProducts(l2NormalizedRows(images), l2NormalizedRows(texts));
    const double scale = std::exp(static_cast<double>(logitScale));
    for (float &v : logits.data)
        v = static_cast<float>(v * scale + logitBias);
    return logits;
}

} // namespace lookalike
