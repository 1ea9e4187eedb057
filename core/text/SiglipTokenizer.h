// Hugging Face's slow SiglipTokenizer (transformers v4.45), reproduced on SentencePiece:
// lower-casing outside special tokens, special tokens split out of the text (with their
// lstrip/rstrip), punctuation removal and whitespace collapsing per chunk, SentencePiece
// with add_dummy_prefix forced off and the "<unk>" prefix trick, eos appended,
// truncation to max_length - 1 plus eos, padding with the pad token to max_length.
// See tests/data/siglip_ref/README.md for each rule.
#pragma once

#include "core/text/TextTokenizer.h"
#include "core/util/Utf8.h" // isValidUtf8, which callers of the tokenizer use on their input

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

class SiglipTokenizer final : public TextTokenizer {
public:
    // Loads spiece.model, tokenizer_config.json and special_tokens_map.json from a
    // checkpoint folder (the JSON files are optional; HF's defaults apply).
    // `fallbackMaxLength` is used when tokenizer_config.json has no model_max_length
    // (the text tower's max_position_embeddings).
    static SiglipTokenizer load(const std::filesystem::path &folder, int fallbackMaxLength);

    SiglipTokenizer(SiglipTokenizer &&) noexcept;
    SiglipTokenizer &operator=(SiglipTokenizer &&) noexcept;
    ~SiglipTokenizer() override;

    // HF tokenizer.tokenize(text): pieces, untruncated, no eos. Throws InvalidUtf8.
    std::vector<std::string> tokenize(std::string_view utf8) const override;

    // HF tokenizer(text, padding="max_length", truncation=True).input_ids: exactly
    // maxLength() ids when `pad` is true. With `pad` false, HF tokenizer(text).input_ids:
    // no padding and no truncation (may exceed maxLength()), eos appended unless last.
    std::vector<std::int64_t> encode(std::string_view utf8, bool pad = true) const override;
    // The text as the tokenizer sees it before SentencePiece: lower-cased, ASCII punctuation
    // dropped, whitespace collapsed (for training a vocabulary on what will be encoded).
    // Throws InvalidUtf8.
    static std::string canonicalText(std::string_view utf8);

    int maxLength() const override;
    std::string description() const override;
    std::string family() const override { return "siglip"; }
    std::int64_t eosId() const;
    std::int64_t padId() const;
    std::int64_t unkId() const;
    int vocabSize() const override;

private:
    struct Impl;
    explicit SiglipTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
