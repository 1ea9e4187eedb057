// GemmaTokenizer on either piece source, and loadTextTokenizer's choice of tokenizer.
#include "core/text/GemmaTokenizer.h"

#include "core/Error.h"
#include "core/text/HfBpeModel.h"
#include "core/text/SentencePiece.h"
#include "core/text/SiglipTokenizer.h"
#include "core/util/JsonFields.h"
#include "core/util/RegularFile.h"
#include "core/util/Utf8.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

std::optional<QJsonObject> readJson(const fs::path &path, const FileLimit &limit)
{
    return readOptionalJsonFile(path, limit);
}

// A token given as "text" or as {"content": "text", ...}.
std::string tokenText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toStdString();
    if (v.isObject())
        return v.toObject().value(QLatin1String("content")).toString().toStdString();
    return {};
}

} // namespace

struct GemmaTokenizer::Impl {
    struct Added {
        std::string text;
        std::int64_t id;
        bool lstrip = false;
        bool rstrip = false;
    };
    std::optional<SentencePiece> sp;
    std::optional<HfBpeModel> bpe;
    std::string source; // the file the pieces come from
    std::vector<Added> added;
    std::vector<std::int64_t> prefix, suffix; // the template's special tokens around the text
    std::int64_t pad = 0;
    int maxLength = 0;
    bool padLeft = false;
    bool truncateLeft = false;

    std::int64_t idOf(const std::string &piece) const
    {
        for (const Added &a : added)
            if (a.text == piece)
                return a.id;
        if (bpe)
            return bpe->idOf(piece);
        const int id = sp->pieceToId(piece);
        return sp->idToPiece(id) == piece ? id : -1;
    }

    void appendPieces(std::string_view chunk, std::vector<std::pair<std::string, std::int64_t>> &out) const
    {
        if (chunk.empty())
            return;
        if (bpe) {
            for (HfBpeModel::Piece &p : bpe->encode(chunk))
                out.emplace_back(std::move(p.text), p.id);
        } else {
            for (std::string &p : sp->encode(chunk)) {
                const std::int64_t id = sp->pieceToId(p);
                out.emplace_back(std::move(p), id);
            }
        }
    }

    // Added tokens split out first (leftmost, longest at a position), as tokenizers'
    // AddedVocabulary does; lstrip / rstrip take the neighbouring whitespace with the token.
    std::vector<std::pair<std::string, std::int64_t>> pieces(std::string_view text) const
    {
        std::size_t bad = 0;
        if (!isValidUtf8(text, &bad))
            throw Error(ErrorCode::InvalidUtf8, std::string(), "text", "invalid UTF-8 at byte " + std::to_string(bad));
        std::vector<std::pair<std::string, std::int64_t>> out;
        std::size_t start = 0;
        for (std::size_t i = 0; i < text.size();) {
            const Added *best = nullptr;
            for (const Added &a : added)
                if ((!best || a.text.size() > best->text.size()) && text.compare(i, a.text.size(), a.text) == 0)
                    best = &a;
            if (!best) {
                ++i;
                continue;
            }
            std::size_t end = i;
            if (best->lstrip)
                while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n'))
                    --end;
            appendPieces(text.substr(start, end - start), out);
            out.emplace_back(best->text, best->id);
            i += best->text.size();
            if (best->rstrip)
                while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
                    ++i;
            start = i;
        }
        appendPieces(text.substr(start), out);
        return out;
    }
};

GemmaTokenizer::GemmaTokenizer(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
GemmaTokenizer::~GemmaTokenizer() = default;

std::unique_ptr<GemmaTokenizer> GemmaTokenizer::load(const fs::path &folder, int fallbackMaxLength)
{
    auto d = std::make_unique<Impl>();
    const fs::path configPath = folder / "tokenizer_config.json";
    const std::optional<QJsonObject> config = readJson(configPath, kJsonSettingsLimit);
    const std::optional<QJsonObject> map = readJson(folder / "special_tokens_map.json", kJsonSettingsLimit);
    auto setting = [&](const char *key) {
        if (map && map->contains(QLatin1String(key)))
            return map->value(QLatin1String(key));
        return config ? config->value(QLatin1String(key)) : QJsonValue();
    };
    auto fail = [&](const std::string &key, const std::string &problem) -> void {
        throw Error(ErrorCode::MalformedConfig, configPath.string(), key, problem);
    };

    d->maxLength = fallbackMaxLength;
    if (config) {
        const QJsonValue v = config->value(QLatin1String("model_max_length"));
        if (!v.isUndefined() && !v.isNull()) {
            const double n = v.toDouble(std::numeric_limits<double>::quiet_NaN());
            if (!v.isDouble() || std::floor(n) != n || n < 2)
                fail("model_max_length", "must be an integer of at least 2");
            if (n <= std::numeric_limits<int>::max()) // int(1e30) means "no limit"
                d->maxLength = static_cast<int>(n);
        }
        for (const char *key : {"padding_side", "truncation_side"}) {
            const QJsonValue side = config->value(QLatin1String(key));
            if (!side.isUndefined() && !side.isNull() && side != QJsonValue(QStringLiteral("left"))
                && side != QJsonValue(QStringLiteral("right")))
                fail(key, "must be \"left\" or \"right\"");
        }
        d->padLeft = config->value(QLatin1String("padding_side")).toString() == QLatin1String("left");
        d->truncateLeft = config->value(QLatin1String("truncation_side")).toString() == QLatin1String("left");
    }
    if (d->maxLength < 2)
        fail("model_max_length", "no usable maximum length");

    const fs::path spmPath = folder / "tokenizer.model";
    const fs::path jsonPath = folder / "tokenizer.json";
    std::error_code ec;
    if (fs::exists(spmPath, ec)) {
        d->source = spmPath.string();
        requireRegularFile(spmPath, kTokenizerLimit);
        std::ifstream in(spmPath, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof())
            throw Error(ErrorCode::FileUnreadable, d->source, "read error");
        if (bytes.empty())
            throw Error(ErrorCode::TokenizerFailed, d->source, "empty SentencePiece model");
        d->sp.emplace(SentencePiece::load(bytes, d->source));
        // Special tokens: the named ones and added_tokens_decoder, at their vocabulary ids.
        std::vector<std::string> names;
        for (const char *key : {"bos_token", "eos_token", "unk_token", "pad_token", "mask_token"})
            if (std::string t = tokenText(setting(key)); !t.empty())
                names.push_back(t);
        for (const char *key : {"additional_special_tokens", "extra_special_tokens"})
            for (const QJsonValue v : setting(key).toArray())
                if (std::string t = tokenText(v); !t.empty())
                    names.push_back(t);
        if (config) {
            const QJsonObject dec = config->value(QLatin1String("added_tokens_decoder")).toObject();
            for (auto it = dec.begin(); it != dec.end(); ++it) {
                const QJsonObject o = it.value().toObject();
                d->added.push_back({tokenText(o), it.key().toLongLong(), o.value(QLatin1String("lstrip")).toBool(),
                                    o.value(QLatin1String("rstrip")).toBool()});
            }
        }
        for (const std::string &n : names) {
            const int id = d->sp->pieceToId(n);
            const bool known = std::any_of(d->added.begin(), d->added.end(), [&](const Impl::Added &a) { return a.text == n; });
            if (!known && d->sp->idToPiece(id) == n)
                d->added.push_back({n, id});
        }
        // GemmaTokenizer's defaults: <bos> added, <eos> not; SigLIP 2's folders set the reverse.
        const QJsonValue addBos = config ? config->value(QLatin1String("add_bos_token")) : QJsonValue();
        const QJsonValue addEos = config ? config->value(QLatin1String("add_eos_token")) : QJsonValue();
        if (addBos.isUndefined() || addBos.toBool()) {
            const std::string bos = setting("bos_token").isUndefined() ? "<bos>" : tokenText(setting("bos_token"));
            d->prefix.push_back(d->idOf(bos));
        }
        if (addEos.toBool()) {
            const std::string eos = setting("eos_token").isUndefined() ? "<eos>" : tokenText(setting("eos_token"));
            d->suffix.push_back(d->idOf(eos));
        }
    } else if (fs::exists(jsonPath, ec)) {
        d->source = jsonPath.string();
        const QJsonObject root = *readJson(jsonPath, kTokenizerLimit);
        d->bpe.emplace(HfBpeModel::fromJson(root, d->source));
        for (const QJsonValue v : root.value(QLatin1String("added_tokens")).toArray()) {
            const QJsonObject o = v.toObject();
            d->added.push_back({o.value(QLatin1String("content")).toString().toStdString(),
                                static_cast<std::int64_t>(o.value(QLatin1String("id")).toDouble()),
                                o.value(QLatin1String("lstrip")).toBool(), o.value(QLatin1String("rstrip")).toBool()});
        }
        // post_processor TemplateProcessing "single": special tokens around $A.
        const QJsonValue post = root.value(QLatin1String("post_processor"));
        if (!post.isNull() && !post.isUndefined()) {
            const QJsonObject p = post.toObject();
            if (p.value(QLatin1String("type")).toString() != QLatin1String("TemplateProcessing"))
                throw Error(ErrorCode::TokenizerFailed, d->source, "post_processor.type",
                            "'" + p.value(QLatin1String("type")).toString().toStdString()
                                + "' is not supported (only TemplateProcessing)");
            const QJsonObject specials = p.value(QLatin1String("special_tokens")).toObject();
            bool seenSequence = false;
            for (const QJsonValue item : p.value(QLatin1String("single")).toArray()) {
                const QJsonObject o = item.toObject();
                if (o.contains(QLatin1String("Sequence"))) {
                    seenSequence = true;
                    continue;
                }
                const QString name = o.value(QLatin1String("SpecialToken")).toObject().value(QLatin1String("id")).toString();
                for (const QJsonValue id : specials.value(name).toObject().value(QLatin1String("ids")).toArray())
                    (seenSequence ? d->suffix : d->prefix).push_back(static_cast<std::int64_t>(id.toDouble()));
            }
        }
    } else {
        throw Error(ErrorCode::FileNotFound, (folder / "tokenizer.json").string(),
                    "file not found; the text tower needs its tokenizer (tokenizer.model or tokenizer.json)");
    }

    const std::string padText = setting("pad_token").isUndefined() ? "<pad>" : tokenText(setting("pad_token"));
    d->pad = d->idOf(padText);
    if (d->pad < 0)
        throw Error(ErrorCode::MalformedConfig, configPath.string(), "pad_token",
                    "'" + padText + "' is not in the vocabulary of " + d->source);
    for (const std::int64_t id : d->prefix)
        if (id < 0)
            throw Error(ErrorCode::MalformedConfig, d->source, "the template's special token is not in the vocabulary");
    for (const std::int64_t id : d->suffix)
        if (id < 0)
            throw Error(ErrorCode::MalformedConfig, d->source, "the template's special token is not in the vocabulary");
    if (d->prefix.size() + d->suffix.size() >= static_cast<std::size_t>(d->maxLength))
        fail("model_max_length", "leaves no room for text next to the special tokens");
    return std::unique_ptr<GemmaTokenizer>(new GemmaTokenizer(std::move(d)));
}

std::vector<std::string> GemmaTokenizer::tokenize(std::string_view utf8) const
{
    std::vector<std::string> out;
    for (auto &p : d->pieces(utf8))
        out.push_back(std::move(p.first));
    return out;
}

std::vector<std::int64_t> GemmaTokenizer::encode(std::string_view utf8, bool pad) const
{
    std::vector<std::int64_t> ids;
    for (const auto &p : d->pieces(utf8))
        ids.push_back(p.second);
    const std::size_t room = static_cast<std::size_t>(d->maxLength) - d->prefix.size() - d->suffix.size();
    if (pad && ids.size() > room) {
        if (d->truncateLeft)
            ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(room));
        else
            ids.resize(room);
    }
    ids.insert(ids.begin(), d->prefix.begin(), d->prefix.end());
    ids.insert(ids.end(), d->suffix.begin(), d->suffix.end());
    if (pad && ids.size() < static_cast<std::size_t>(d->maxLength))
        ids.insert(d->padLeft ? ids.begin() : ids.end(), static_cast<std::size_t>(d->maxLength) - ids.size(), d->pad);
    return ids;
}

int GemmaTokenizer::maxLength() const
{
    return d->maxLength;
}

int GemmaTokenizer::vocabSize() const
{
    int n = d->bpe ? d->bpe->vocabSize() : d->sp->pieceCount();
    for (const Impl::Added &a : d->added)
        n = std::max<int>(n, static_cast<int>(a.id) + 1);
    return n;
}

std::string GemmaTokenizer::description() const
{
    return std::string("Gemma (") + fs::path(d->source).filename().string() + ", "
        + (d->bpe ? "tokenizers BPE" : "SentencePiece") + ", " + std::to_string(vocabSize()) + " pieces)";
}

// ---------------------------------------------------------------------------------------------

bool hasTokenizerFiles(const fs::path &folder)
{
    std::error_code ec;
    return fs::exists(folder / "spiece.model", ec) || fs::exists(folder / "tokenizer.model", ec)
        || fs::exists(folder / "tokenizer.json", ec);
}

std::unique_ptr<TextTokenizer> loadTextTokenizer(const fs::path &folder, int fallbackMaxLength)
{
    std::error_code ec;
    if (fs::exists(folder / "spiece.model", ec))
        return std::make_unique<SiglipTokenizer>(SiglipTokenizer::load(folder, fallbackMaxLength));
    if (fs::exists(folder / "tokenizer.model", ec) || fs::exists(folder / "tokenizer.json", ec))
        return GemmaTokenizer::load(folder, fallbackMaxLength);
    throw Error(ErrorCode::FileNotFound, (folder / "spiece.model").string(),
                "file not found; the text tower needs its tokenizer (spiece.model, tokenizer.model or tokenizer.json)");
}

} // namespace lookalike
