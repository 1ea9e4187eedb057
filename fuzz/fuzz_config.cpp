// libFuzzer target: the checkpoint's JSON settings. Each input is parsed both as config.json
// (SiglipConfig, validated, written as config.json and read back) and as preprocessor_config.json
// (ImagePreprocessorConfig). Rejections must be lookalike::Error; anything else (a crash, an
// overflow UBSan sees, an allocation that fails) is a finding.
#include "core/Error.h"
#include "core/image/ImagePreprocessor.h"
#include "core/checkpoint/SiglipConfig.h"
#include "core/checkpoint/SiglipNames.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string json(reinterpret_cast<const char *>(data), size);
    try {
        const auto config = lookalike::SiglipConfig::fromJson(json, "config.json");
        config.validate("config.json");
        (void)config.embeddingSize();
        // Every tensor shape the config implies, in 64 bits (an image_size of 1e9 once overflowed).
        for (const auto &spec : lookalike::siglip::expectedTensors(config))
            (void)spec.shape;
        // The config.json we write for a checkpoint must read back as the same architecture.
        const auto again = lookalike::SiglipConfig::fromJson(config.toHuggingFaceJson(), "round-trip.json");
        if (again.toJson() != config.toJson())
            __builtin_trap();
    } catch (const lookalike::Error &) {
    }
    try {
        const auto pre = lookalike::ImagePreprocessorConfig::fromJson(json, "preprocessor_config.json");
        (void)lookalike::ImagePreprocessorConfig::fromJson(pre.toJson(), "round-trip.json");
    } catch (const lookalike::Error &) {
    }
    return 0;
}
