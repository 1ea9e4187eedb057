// A loaded SentencePiece model, used through the isolated module of
// core/text/spm/SentencePieceShim.cpp (see there why SentencePiece cannot be linked directly
// into a process that also runs LibTorch).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

class SentencePiece {
public:
    // `serializedModel` is a ModelProto; `fileForErrors` names it in messages.
    // Throws Error(TokenizerFailed) if the module or the model cannot be loaded.
    static SentencePiece load(const std::string &serializedModel, const std::string &fileForErrors);

    SentencePiece(SentencePiece &&) noexcept;
    SentencePiece &operator=(SentencePiece &&) noexcept;
    ~SentencePiece();

    std::vector<std::string> encode(std::string_view utf8) const; // pieces
    int pieceToId(std::string_view piece) const; // unk id for unknown pieces
    std::string idToPiece(int id) const;
    int pieceCount() const;

    // Trains a unigram model on `sentences` (UTF-8, one per element) into `modelFile`, with the
    // special ids SigLIP's tokenizer uses (0 <pad>, 1 </s>, 2 <unk>). At most `vocabSize` pieces
    // (fewer when the text is too small for more). Throws Error(TokenizerFailed).
    static void train(const std::vector<std::string> &sentences, int vocabSize, const std::filesystem::path &modelFile);

private:
    struct Impl;
    explicit SentencePiece(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
