// Typed reads of JSON config values whose errors name the file and the key ("expected X,
// got Y"), shared by the config.json, preprocessor_config.json and TorchScript JSON parsers.
// Qt-only: TorchScriptEncoder.cpp (LibTorch) must not include this.
#pragma once

#include "core/util/RegularFile.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>

#include <array>
#include <filesystem>
#include <optional>
#include <string>

namespace lookalike {

// "null", "a boolean", "a number", ... for "got ..." in messages.
const char *jsonTypeName(const QJsonValue &v);

// Number formatting that round-trips, for messages.
std::string numberText(double v);

// The top-level object of a JSON file; MalformedConfig naming the file otherwise.
QJsonObject parseJsonObject(const QByteArray &json, const std::string &file);

// An optional settings file (tokenizer_config.json, special_tokens_map.json, tokenizer.json):
// nothing if it does not exist, else a regular file of at most `limit`, parsed as an object.
// Errors name the file.
std::optional<QJsonObject> readOptionalJsonFile(const std::filesystem::path &path, const FileLimit &limit);

// Readers take the value and its key; errors are lookalike::Error about `file` with the
// subject `prefix + key` (a prefix such as "vision_config." places a nested object).
// A bad type or a non-integer is MalformedConfig, a well-typed but unusable value InvalidConfig.
class JsonFields {
public:
    explicit JsonFields(std::string file, std::string prefix = {});

    // Whether a number stands for all three channels, as NumPy broadcasts a scalar or a
    // one-element list (Hugging Face's image_mean / image_std).
    enum class Broadcast { No, Yes };

    bool boolean(const QJsonValue &v, const std::string &key) const;
    // A whole number within +-1e9 (room for any size, and safe to multiply): else malformed.
    int integer(const QJsonValue &v, const std::string &key) const;
    // A whole number in [min, max]: a non-integer is malformed, one out of range invalid.
    int integer(const QJsonValue &v, const std::string &key, int min, int max) const;
    // 1 or more, and anything else malformed (config.json's sizes and counts).
    int positiveInteger(const QJsonValue &v, const std::string &key) const;
    // Finite: not-a-number and infinities are invalid.
    double number(const QJsonValue &v, const std::string &key) const;
    std::string string(const QJsonValue &v, const std::string &key) const;
    // One number per RGB channel; element errors name "key[i]".
    std::array<double, 3> channels(
        const QJsonValue &v, const std::string &key, Broadcast broadcast = Broadcast::No) const;

    [[noreturn]] void malformed(const std::string &key, const std::string &expected, const QJsonValue &got) const;
    [[noreturn]] void invalid(const std::string &key, const std::string &problem) const;

private:
    // A number without a fraction in [low, high]; anything else is malformed, "expected `what`".
    double wholeNumber(const QJsonValue &v, const std::string &key, const char *what, double low, double high) const;

    std::string m_file;
    std::string m_prefix;
};

} // namespace lookalike
