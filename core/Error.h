// The one exception type of the engine: a typed, one-line error that names the file
// (and, where there is one, the tensor, key or row) and the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace lookalike {

enum class ErrorCode {
    // files and input
    FileNotFound,
    FileUnreadable,
    // safetensors
    TruncatedFile,
    HeaderOutOfBounds,
    MalformedHeader,
    UnknownDtype,
    UnsupportedDtype,
    OffsetOutOfRange,
    OverlappingTensors,
    SizeMismatch,
    MissingTensor,
    WrongShape,
    // configuration
    MissingConfig,
    MalformedConfig,
    InvalidConfig,
    // catalog manifests: a file that cannot be imported (or, in strict mode, a bad row)
    BadManifest,
    // TREC qrels / run files (relevance judgments and result lists exchanged with trec_eval)
    BadTrecFile,
    // images and text
    ImageDecodeFailed,
    UnsupportedImage,
    InvalidUtf8,
    TokenizerFailed,
    // projects
    DatabaseError,
    DatabaseLocked,
    NotFound,
    // usage of the engine
    InvalidArgument,
    Unsupported,
    Internal,
};

const char *errorCodeName(ErrorCode code);

class Error : public std::runtime_error {
public:
    // `file` is the user's file the problem is about (may be empty), `subject` a tensor,
    // key or row inside it (may be empty). what() is "file: subject: problem".
    Error(ErrorCode code, std::string file, std::string subject, std::string problem);
    Error(ErrorCode code, std::string file, std::string problem)
        : Error(code, std::move(file), std::string(), std::move(problem))
    {
    }

    ErrorCode code() const noexcept { return m_code; }
    const std::string &file() const noexcept { return m_file; }
    const std::string &subject() const noexcept { return m_subject; }
    const std::string &problem() const noexcept { return m_problem; }

private:
    ErrorCode m_code;
    std::string m_file;
    std::string m_subject;
    std::string m_problem;
};

// One line for the user from any exception: an Error as it is ("file: problem"); the standard
// library's texts said in words ("std::bad_alloc" becomes "out of memory: ...", a
// filesystem_error "PATH: cannot ...: no space left on device"); anything else (a LibTorch
// error with its backtrace) cut to its first line. Every front end (CLI, GUI) prints this.
std::string oneLineMessage(const std::exception &e);

// For broken invariants (bugs, not bad input): the message carries function, file and line.
[[noreturn]] void throwInternalError(const char *function, const char *file, int line, const std::string &what);

} // namespace lookalike

#define LOOKALIKE_CHECK(cond, what)                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ::lookalike::throwInternalError(__func__, __FILE__, __LINE__, (what));                 \
    } while (false)
