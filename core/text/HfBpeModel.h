// The BPE part of a Hugging Face tokenizer.json (tokenizers 0.1x-0.2x): normalizer,
// pre-tokenizer and the BPE model with byte fallback, applied to text that holds no added
// tokens (the caller splits those out). What tokenizers' Tokenizer::encode does between the
// added-token split and the post-processor, for the components SigLIP 2's Gemma tokenizer and
// similar SentencePiece conversions use:
//   normalizer:    Replace (string pattern), Prepend, Lowercase, NFC, NFKC, Sequence, null
//   pre_tokenizer: Split (string pattern, any behaviour), Metaspace, Sequence, null
//   model:         BPE (merges by rank, leftmost first on ties; byte_fallback, fuse_unk,
//                  ignore_merges)
// Anything else is refused at load with the key named.
#pragma once

#include <QJsonObject>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

class HfBpeModel {
public:
    // `root` is the parsed tokenizer.json; `file` names it in errors.
    static HfBpeModel fromJson(const QJsonObject &root, const std::string &file);

    HfBpeModel(HfBpeModel &&) noexcept;
    HfBpeModel &operator=(HfBpeModel &&) noexcept;
    ~HfBpeModel();

    struct Piece {
        std::string text;
        std::int64_t id;
    };
    // Pieces of one chunk of valid UTF-8 text.
    std::vector<Piece> encode(std::string_view utf8) const;
    // The id of a vocabulary entry, or -1.
    std::int64_t idOf(std::string_view piece) const;
    int vocabSize() const;

private:
    struct Impl;
    explicit HfBpeModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
