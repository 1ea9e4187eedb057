// Formatting of engine errors.
#include "core/Error.h"

#include <cctype>
#include <cstring>
#include <filesystem>
#include <new>

namespace lookalike {

const char *errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::FileNotFound: return "FileNotFound";
    case ErrorCode::FileUnreadable: return "FileUnreadable";
    case ErrorCode::TruncatedFile: return "TruncatedFile";
    case ErrorCode::HeaderOutOfBounds: return "HeaderOutOfBounds";
    case ErrorCode::MalformedHeader: return "MalformedHeader";
    case ErrorCode::UnknownDtype: return "UnknownDtype";
    case ErrorCode::UnsupportedDtype: return "UnsupportedDtype";
    case ErrorCode::OffsetOutOfRange: return "OffsetOutOfRange";
    case ErrorCode::OverlappingTensors: return "OverlappingTensors";
    case ErrorCode::SizeMismatch: return "SizeMismatch";
    case ErrorCode::MissingTensor: return "MissingTensor";
    case ErrorCode::WrongShape: return "WrongShape";
    case ErrorCode::MissingConfig: return "MissingConfig";
    case ErrorCode::MalformedConfig: return "MalformedConfig";
    case ErrorCode::InvalidConfig: return "InvalidConfig";
    case ErrorCode::BadManifest: return "BadManifest";
    case ErrorCode::BadTrecFile: return "BadTrecFile";
    case ErrorCode::ImageDecodeFailed: return "ImageDecodeFailed";
    case ErrorCode::UnsupportedImage: return "UnsupportedImage";
    case ErrorCode::InvalidUtf8: return "InvalidUtf8";
    case ErrorCode::TokenizerFailed: return "TokenizerFailed";
    case ErrorCode::DatabaseError: return "DatabaseError";
    case ErrorCode::DatabaseLocked: return "DatabaseLocked";
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Unsupported: return "Unsupported";
    case ErrorCode::Internal: return "Internal";
    }
    return "Unknown";
}

static std::string formatError(const std::string &file, const std::string &subject, const std::string &problem)
{
    std::string out;
    if (!file.empty())
        out += file + ": ";
    if (!subject.empty())
        out += subject + ": ";
    out += problem;
    // One line, always: a newline inside a message would split a log record.
    for (char &c : out)
        if (c == '\n' || c == '\r')
            c = ' ';
    return out;
}

Error::Error(ErrorCode code, std::string file, std::string subject, std::string problem)
    : std::runtime_error(formatError(file, subject, problem))
    , m_code(code)
    , m_file(std::move(file))
    , m_subject(std::move(subject))
    , m_problem(std::move(problem))
{
}

void throwInternalError(const char *function, const char *file, int line, const std::string &what)
{
    throw Error(ErrorCode::Internal, std::string(),
                std::string("internal error in ") + function + " (" + file + ":" + std::to_string(line) + "): " + what);
}

std::string oneLineMessage(const std::exception &e)
{
    if (dynamic_cast<const std::bad_alloc *>(&e))
        return "out of memory: the input is too large for this machine's memory (nothing more was saved)";
    if (const auto *fe = dynamic_cast<const std::filesystem::filesystem_error *>(&e)) {
        // libstdc++: "filesystem error: cannot copy: No space left on device [a] [b]"
        std::string what = fe->what();
        if (what.rfind("filesystem error: ", 0) == 0)
            what.erase(0, std::strlen("filesystem error: "));
        if (const auto bracket = what.find(" ["); bracket != std::string::npos)
            what.erase(bracket);
        std::string reason = fe->code().message();
        if (const auto at = what.find(reason); at != std::string::npos && !reason.empty()) {
            reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
            what.replace(at, reason.size(), reason);
        }
        const std::string path = fe->path1().string();
        return path.empty() ? what : path + ": " + what;
    }
    std::string text = e.what();
    if (const auto line = text.find('\n'); line != std::string::npos)
        text.erase(line);
    return text;
}

} // namespace lookalike
