// Loading the SentencePiece module and calling it through its C API.
#include "core/text/SentencePiece.h"

#include "core/Error.h"

#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define LOOKALIKE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOOKALIKE_SANITIZED 1
#endif
#endif
#ifndef LOOKALIKE_SANITIZED
#define LOOKALIKE_SANITIZED 0
#endif

#ifndef LOOKALIKE_SPM_MODULE_RELATIVE
#define LOOKALIKE_SPM_MODULE_RELATIVE "../lib/lookalike/liblookalike_spm.so"
#endif

namespace lookalike {

namespace {

struct ModuleApi {
    void *(*load)(const char *, std::size_t, char *, std::size_t) = nullptr;
    void (*free)(void *) = nullptr;
    int (*encode)(
        void *, const char *, std::size_t, void (*)(void *, const char *, std::size_t), void *, char *, std::size_t)
        = nullptr;
    int (*pieceToId)(void *, const char *, std::size_t) = nullptr;
    const char *(*idToPiece)(void *, int, std::size_t *) = nullptr;
    int (*pieceSize)(void *) = nullptr;
    int (*train)(const char *, const char *, int, char *, std::size_t) = nullptr;
    std::string error; // why the module could not be loaded
};

// The module sits at a fixed place relative to the executable, in the build tree
// (build/bin -> build/lib/lookalike) and once installed (bin -> lib/lookalike).
std::filesystem::path modulePath()
{
    if (const char *env = std::getenv("LOOKALIKE_SPM_MODULE"))
        return env;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return (ec ? std::filesystem::current_path() : exe.parent_path()) / LOOKALIKE_SPM_MODULE_RELATIVE;
}

const ModuleApi &moduleApi()
{
    static ModuleApi api;
    static std::once_flag once;
    std::call_once(once, [] {
        const std::string path = modulePath().lexically_normal().string();
#if LOOKALIKE_SANITIZED
        // AddressSanitizer refuses RTLD_DEEPBIND (a deep-bound library would bypass its malloc).
        // Without it, libsentencepiece's bundled protobuf-lite 3.14 is interposed by LibTorch's
        // libprotobuf.so.32 (3.21) and aborts on its version check. A new link namespace isolates
        // it fully instead: the module, libsentencepiece and their own libstdc++/libc live there,
        // unseen by (and not instrumented like) the rest. Nothing allocated on one side is freed
        // on the other: the C API copies every string across. The module is built without
        // sanitizers for this (core/CMakeLists.txt).
        void *lib = ::dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
#else
        void *lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
        if (!lib) {
            api.error = "cannot load the SentencePiece module " + path + ": " + ::dlerror();
            return;
        }
        auto sym = [&](auto &fn, const char *name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
            if (!fn && api.error.empty())
                api.error = "the SentencePiece module " + path + " has no symbol " + name;
        };
        sym(api.load, "lookalike_spm_load");
        sym(api.free, "lookalike_spm_free");
        sym(api.encode, "lookalike_spm_encode");
        sym(api.pieceToId, "lookalike_spm_piece_to_id");
        sym(api.idToPiece, "lookalike_spm_id_to_piece");
        sym(api.pieceSize, "lookalike_spm_piece_size");
        sym(api.train, "lookalike_spm_train");
    });
    return api;
}

} // namespace

struct SentencePiece::Impl {
    const ModuleApi *api = nullptr;
    void *handle = nullptr;
    std::string file;
    ~Impl()
    {
        if (handle)
            api->free(handle);
    }
};

SentencePiece::SentencePiece(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
SentencePiece::SentencePiece(SentencePiece &&) noexcept = default;
SentencePiece &SentencePiece::operator=(SentencePiece &&) noexcept = default;
SentencePiece::~SentencePiece() = default;

SentencePiece SentencePiece::load(const std::string &serializedModel, const std::string &fileForErrors)
{
    const ModuleApi &api = moduleApi();
    if (!api.error.empty())
        throw Error(ErrorCode::TokenizerFailed, fileForErrors, api.error);
    char error[512] = {};
    void *handle = api.load(serializedModel.data(), serializedModel.size(), error, sizeof error);
    if (!handle)
        throw Error(
            ErrorCode::TokenizerFailed, fileForErrors, std::string("cannot load SentencePiece model: ") + error);
    auto impl = std::make_unique<Impl>();
    impl->api = &api;
    impl->handle = handle;
    impl->file = fileForErrors;
    return SentencePiece(std::move(impl));
}

std::vector<std::string> SentencePiece::encode(std::string_view utf8) const
{
    std::vector<std::string> pieces;
    char error[512] = {};
    auto emit = [](void *ctx, const char *piece, std::size_t n) {
        static_cast<std::vector<std::string> *>(ctx)->emplace_back(piece, n);
    };
    if (d->api->encode(d->handle, utf8.data(), utf8.size(), emit, &pieces, error, sizeof error) != 0)
        throw Error(ErrorCode::TokenizerFailed, d->file, std::string("SentencePiece failed: ") + error);
    return pieces;
}

int SentencePiece::pieceToId(std::string_view piece) const
{
    return d->api->pieceToId(d->handle, piece.data(), piece.size());
}

std::string SentencePiece::idToPiece(int id) const
{
    if (id < 0 || id >= pieceCount())
        return {}; // SentencePiece does not check the range itself
    std::size_t n = 0;
    const char *p = d->api->idToPiece(d->handle, id, &n);
    return std::string(p, n);
}

int SentencePiece::pieceCount() const
{
    return d->api->pieceSize(d->handle);
}

} // namespace lookalike

namespace lookalike {

void SentencePiece::train(
    const std::vector<std::string> &sentences, int vocabSize, const std::filesystem::path &modelFile)
{
    const ModuleApi &api = moduleApi();
    if (!api.error.empty())
        throw Error(ErrorCode::TokenizerFailed, modelFile.string(), api.error);
    const std::filesystem::path input = modelFile.string() + ".sentences.txt";
    {
        std::ofstream out(input, std::ios::trunc);
        for (const std::string &s : sentences)
            if (!s.empty())
                out << s << '\n';
        if (!out)
            throw Error(ErrorCode::FileUnreadable, input.string(), "cannot write the training sentences");
    }
    std::string prefix = modelFile.string();
    if (prefix.size() > 6 && prefix.compare(prefix.size() - 6, 6, ".model") == 0)
        prefix.resize(prefix.size() - 6);
    char error[512] = {};
    const int status = api.train(input.c_str(), prefix.c_str(), vocabSize, error, sizeof error);
    std::filesystem::remove(input);
    std::filesystem::remove(prefix + ".vocab");
    if (status != 0)
        throw Error(ErrorCode::TokenizerFailed, modelFile.string(),
            std::string("cannot train a SentencePiece model: ") + error);
    if (prefix + ".model" != modelFile.string())
        std::filesystem::rename(prefix + ".model", modelFile);
}

} // namespace lookalike
