// A dense row-major float32 matrix: the currency between the engine (LibTorch inside)
// and everything else, so that no caller needs a LibTorch header.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lookalike {

struct FloatMatrix {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<float> data; // rows x cols, row-major

    FloatMatrix() = default;
    FloatMatrix(std::int64_t r, std::int64_t c)
        : rows(r)
        , cols(c)
        , data(static_cast<std::size_t>(r * c))
    {
    }

    std::span<float> row(std::int64_t r) { return {data.data() + r * cols, static_cast<std::size_t>(cols)}; }
    std::span<const float> row(std::int64_t r) const
    {
        return {data.data() + r * cols, static_cast<std::size_t>(cols)};
    }
    float &at(std::int64_t r, std::int64_t c) { return data[static_cast<std::size_t>(r * cols + c)]; }
    float at(std::int64_t r, std::int64_t c) const { return data[static_cast<std::size_t>(r * cols + c)]; }
};

} // namespace lookalike
