// libFuzzer target: the SigLIP tokenizer (tiny_a's spiece.model from tests/data) on arbitrary
// bytes, invalid UTF-8 included. Invalid text must be refused with Error(InvalidUtf8); valid
// text must give exactly maxLength() ids when padded, every one inside the vocabulary.
#include "core/Error.h"
#include "core/text/SiglipTokenizer.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#ifndef LOOKALIKE_FUZZ_TOKENIZER_DIR
#error "LOOKALIKE_FUZZ_TOKENIZER_DIR must name a checkpoint folder with spiece.model"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const auto tokenizer = lookalike::SiglipTokenizer::load(LOOKALIKE_FUZZ_TOKENIZER_DIR, 64);
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    try {
        (void)lookalike::SiglipTokenizer::canonicalText(text);
        (void)tokenizer.tokenize(text);
        const auto ids = tokenizer.encode(text);
        if (ids.size() != static_cast<std::size_t>(tokenizer.maxLength()))
            __builtin_trap();
        for (const std::int64_t id : ids)
            if (id < 0 || id >= tokenizer.vocabSize())
                __builtin_trap();
        const auto unpadded = tokenizer.encode(text, false);
        if (unpadded.empty() || unpadded.back() != tokenizer.eosId())
            __builtin_trap();
    } catch (const lookalike::Error &e) {
        if (e.code() != lookalike::ErrorCode::InvalidUtf8)
            throw; // only invalid UTF-8 may be refused
    }
    return 0;
}
