// A loaded SentencePiece model, used through the isolated module of
// core/model/spm/SentencePieceShim.cpp (see there why SentencePiece cannot be linked directly
// into a process that also runs LibTorch).
#pragma once

#include <cstdint>
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
    int pieceToId(std::string_view piece) const;                  // unk id for unknown pieces
    std::string idToPiece(int id) const;
    int pieceCount() const;

private:
    struct Impl;
    explicit SentencePiece(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace lookalike
