// The only code that links Debian's libsentencepiece. Built as a loadable module with a C API
// and opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by core/text/SentencePiece.cpp.
//
// Why: libsentencepiece.so.0 carries its own copy of protobuf-lite and exports it. In a process
// that also loads LibTorch (which needs the system libprotobuf.so.32), the two copies interpose
// each other and the process crashes in protobuf's static initialisers. Deep binding makes
// SentencePiece use its own copy while nothing else can see it.
// (Precisely: libsentencepiece bundles protobuf-lite 3.14, LibTorch needs libprotobuf 3.21; without
// isolation sentencepiece_model.pb.cc binds to 3.21 and aborts in VerifyVersion. AddressSanitizer
// refuses RTLD_DEEPBIND, so sanitizer builds use dlmopen into a new link namespace instead, and
// build this module without sanitizers; see SentencePiece.cpp.)
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace {

void setError(char *error, std::size_t size, const std::string &message)
{
    if (!error || size == 0)
        return;
    const std::size_t n = std::min(size - 1, message.size());
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) void *lookalike_spm_load(
    const char *data, std::size_t size, char *error, std::size_t errorSize)
{
    try {
        auto *sp = new sentencepiece::SentencePieceProcessor();
        const auto status = sp->LoadFromSerializedProto(std::string(data, size));
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            delete sp;
            return nullptr;
        }
        return sp;
    } catch (const std::exception &e) {
        setError(error, errorSize, e.what());
        return nullptr;
    }
}

__attribute__((visibility("default"))) void lookalike_spm_free(void *handle)
{
    delete static_cast<sentencepiece::SentencePieceProcessor *>(handle);
}

// Calls emit(ctx, piece, length) for each piece of `text`. Returns 0 on success.
__attribute__((visibility("default"))) int lookalike_spm_encode(void *handle, const char *text, std::size_t length,
    void (*emit)(void *, const char *, std::size_t), void *ctx, char *error, std::size_t errorSize)
{
    try {
        std::vector<std::string> pieces;
        const auto status
            = static_cast<sentencepiece::SentencePieceProcessor *>(handle)->Encode(std::string(text, length), &pieces);
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return 1;
        }
        for (const std::string &p : pieces)
            emit(ctx, p.data(), p.size());
        return 0;
    } catch (const std::exception &e) {
        setError(error, errorSize, e.what());
        return 1;
    }
}

__attribute__((visibility("default"))) int lookalike_spm_piece_to_id(
    void *handle, const char *piece, std::size_t length)
{
    return static_cast<sentencepiece::SentencePieceProcessor *>(handle)->PieceToId(std::string(piece, length));
}

// The piece's bytes stay valid as long as the model is loaded.
__attribute__((visibility("default"))) const char *lookalike_spm_id_to_piece(void *handle, int id, std::size_t *length)
{
    const std::string &p = static_cast<sentencepiece::SentencePieceProcessor *>(handle)->IdToPiece(id);
    *length = p.size();
    return p.data();
}

__attribute__((visibility("default"))) int lookalike_spm_piece_size(void *handle)
{
    return static_cast<sentencepiece::SentencePieceProcessor *>(handle)->GetPieceSize();
}

// Trains a unigram model on `input` (one sentence per line) into <prefix>.model, with the ids
// SigLIP's tokenizer expects: 0 <pad>, 1 </s>, 2 <unk>, no <s>. Returns 0 on success.
__attribute__((visibility("default"))) int lookalike_spm_train(
    const char *input, const char *prefix, int vocabSize, char *error, std::size_t errorSize)
{
    try {
        const std::string args = std::string("--input=") + input + " --model_prefix=" + prefix
            + " --vocab_size=" + std::to_string(vocabSize)
            + " --model_type=unigram --character_coverage=1.0 --hard_vocab_limit=false"
              " --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --pad_piece=<pad> --eos_piece=</s> --unk_piece=<unk>"
              " --minloglevel=2 --num_threads=1"; // one thread: the same vocabulary every time
        const auto status = sentencepiece::SentencePieceTrainer::Train(args);
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return 1;
        }
        return 0;
    } catch (const std::exception &e) {
        setError(error, errorSize, e.what());
        return 1;
    }
}

} // extern "C"
