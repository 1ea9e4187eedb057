// SigLIP 2's tokenizer (transformers' GemmaTokenizer / GemmaTokenizerFast as SigLIP 2 folders
// configure it): special tokens written in the text are split out whole (leftmost-longest),
// the rest goes through SentencePiece BPE with byte fallback, no lower-casing, no Unicode
// normalisation; the template adds <eos> (tokenizer.json's post_processor, or
// add_bos_token / add_eos_token next to tokenizer.model); truncation keeps the template's
// tokens; right padding with <pad>. The pieces come from tokenizer.model (SentencePiece) when
// the folder has it, else from tokenizer.json (HfBpeModel). See
// tests/data/siglip2_ref/README.md for each rule.
#pragma once

#include "core/text/TextTokenizer.h"

namespace lookalike {

class GemmaTokenizer final : public TextTokenizer {
public:
    // Throws Error naming the file and the problem.
    static std::unique_ptr<GemmaTokenizer> load(const std::filesystem::path &folder, int fallbackMaxLength);
    ~GemmaTokenizer() override;

    std::vector<std::string> tokenize(std::string_view utf8) const override;
    std::vector<std::int64_t> encode(std::string_view utf8, bool pad = true) const override;
    int maxLength() const override;
    int vocabSize() const override;
    std::string description() const override;
    std::string family() const override { return "gemma"; }

private:
    struct Impl;
    explicit GemmaTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
