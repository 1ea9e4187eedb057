// What the text tower needs from a tokenizer, whichever rules it follows: SigLIP 1's
// (SiglipTokenizer, spiece.model) or SigLIP 2's Gemma tokenizer (GemmaTokenizer,
// tokenizer.model or tokenizer.json). loadTextTokenizer picks by the files a folder has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

class TextTokenizer {
public:
    virtual ~TextTokenizer() = default;

    // Pieces of the text, untruncated, without the template's special tokens. Throws InvalidUtf8.
    virtual std::vector<std::string> tokenize(std::string_view utf8) const = 0;
    // tokenizer(text, padding="max_length", truncation=True).input_ids: exactly maxLength() ids
    // when `pad` is true; with `pad` false tokenizer(text).input_ids (no padding, no truncation).
    virtual std::vector<std::int64_t> encode(std::string_view utf8, bool pad = true) const = 0;
    virtual int maxLength() const = 0;
    virtual int vocabSize() const = 0;
    // For users: which rules and which file, e.g. "Gemma (tokenizer.json, BPE, 600 pieces)".
    virtual std::string description() const = 0;
    // The rules family: "siglip" (SigLIP 1) or "gemma" (SigLIP 2).
    virtual std::string family() const = 0;
};

// The tokenizer of a checkpoint folder: spiece.model -> SigLIP 1's rules; tokenizer.model ->
// Gemma's on SentencePiece; tokenizer.json alone -> Gemma's on its BPE. Throws Error naming the
// folder when it has none of them. `fallbackMaxLength` applies when tokenizer_config.json has
// no model_max_length (the text tower's max_position_embeddings).
std::unique_ptr<TextTokenizer> loadTextTokenizer(const std::filesystem::path &folder, int fallbackMaxLength);

// Whether the folder has a tokenizer file loadTextTokenizer knows.
bool hasTokenizerFiles(const std::filesystem::path &folder);

} // namespace lookalike
