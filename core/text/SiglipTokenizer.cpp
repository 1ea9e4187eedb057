// Hugging Face's slow SiglipTokenizer (transformers v4.45.2) on top of SentencePiece: loading of
// spiece.model (with add_dummy_prefix patched off at the protobuf wire level, as HF does through
// protobuf), the special-token configuration, and the tokenize/encode rules step by step.
#include "core/text/SiglipTokenizer.h"

#include "core/text/SentencePiece.h"

#include "core/Error.h"
#include "core/util/JsonFields.h"
#include "core/util/RegularFile.h"

#include <QByteArray>
#include <QChar>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <system_error>

namespace lookalike {

namespace {

constexpr char32_t kSpieceUnderline = U'\u2581';
constexpr const char *kSpieceUnderlineUtf8 = "\xE2\x96\x81";

// ---------------------------------------------------------------------------------------------
// UTF-8 <-> UTF-32. The tokenizer works on code points because Python does: str.lower(),
// str.strip(), the regexes and the special-token trie all index by code point.

std::u32string decodeUtf8(std::string_view bytes) // `bytes` must be valid UTF-8
{
    std::u32string out;
    out.reserve(bytes.size());
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    const std::size_t n = bytes.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            out.push_back(c);
            i += 1;
        } else if (c < 0xE0) {
            out.push_back((char32_t(c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            i += 2;
        } else if (c < 0xF0) {
            out.push_back((char32_t(c & 0x0F) << 12) | (char32_t(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F));
            i += 3;
        } else {
            out.push_back((char32_t(c & 0x07) << 18) | (char32_t(s[i + 1] & 0x3F) << 12)
                | (char32_t(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F));
            i += 4;
        }
    }
    return out;
}

void appendUtf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char32_t c : text)
        appendUtf8(out, c);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Python string semantics.

// str.isspace() (Python 3.11, Unicode 14); re's `\s` and str.strip() use the same set.
bool isPythonSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// string.punctuation: the 32 ASCII punctuation characters.
bool isAsciiPunctuation(char32_t c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// Python's str.lower() of a one-character string. HF lowercases character by character (a regex
// with `.+?`), so there is no final-sigma context. QChar has the simple mappings (checked equal to
// Python 3.11 for every code point); U+0130 is the only full mapping that differs.
void appendPythonLower(std::u32string &out, char32_t c)
{
    if (c == 0x130) {
        out += U"i\u0307";
        return;
    }
    out.push_back(QChar::toLower(c));
}

std::u32string lstripped(const std::u32string &s)
{
    std::size_t b = 0;
    while (b < s.size() && isPythonSpace(s[b]))
        ++b;
    return s.substr(b);
}

std::u32string rstripped(const std::u32string &s)
{
    std::size_t e = s.size();
    while (e > 0 && isPythonSpace(s[e - 1]))
        --e;
    return s.substr(0, e);
}

bool startsWithAt(const std::u32string &text, std::size_t pos, const std::u32string &what)
{
    return !what.empty() && text.compare(pos, what.size(), what) == 0;
}

// SiglipTokenizer.canonicalize_text: drop punctuation, then re.sub(r"\s+", " "), then strip().
std::u32string canonicalize(const std::u32string &chunk)
{
    std::u32string out;
    out.reserve(chunk.size());
    bool inSpace = false;
    for (const char32_t c : chunk) {
        if (isAsciiPunctuation(c))
            continue; // removed before the whitespace collapse, so "a - b" becomes "a b"
        if (isPythonSpace(c)) {
            if (!inSpace)
                out.push_back(U' ');
            inSpace = true;
            continue;
        }
        inSpace = false;
        out.push_back(c);
    }
    const std::size_t b = (!out.empty() && out.front() == U' ') ? 1 : 0;
    std::size_t e = out.size();
    if (e > b && out[e - 1] == U' ')
        --e;
    return out.substr(b, e - b);
}

// ---------------------------------------------------------------------------------------------
// spiece.model patching. HF's get_spm_processor parses the ModelProto, sets
// normalizer_spec.add_dummy_prefix = False and re-serializes. We do the same on the wire format
// so that no protobuf library is needed: ModelProto field 3 is the NormalizerSpec, its field 3
// the add_dummy_prefix varint. Everything else is copied byte for byte.

struct WireReader {
    std::string_view buf;
    std::size_t pos = 0;

    bool atEnd() const { return pos >= buf.size(); }

    bool varint(std::uint64_t &value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= buf.size())
                return false;
            const auto byte = static_cast<unsigned char>(buf[pos++]);
            value |= std::uint64_t(byte & 0x7F) << shift;
            if (!(byte & 0x80))
                return true;
        }
        return false; // more than 10 bytes
    }

    // Moves past the payload of a field whose tag has been read; false if malformed or truncated.
    bool skip(unsigned wireType, std::string_view *payload = nullptr)
    {
        std::uint64_t n = 0;
        switch (wireType) {
        case 0:
            return varint(n);
        case 1:
            n = 8;
            break;
        case 2:
            if (!varint(n))
                return false;
            break;
        case 5:
            n = 4;
            break;
        default:
            return false; // groups (3, 4) and 6, 7 never occur in a SentencePiece model
        }
        if (n > buf.size() - pos)
            return false;
        if (payload)
            *payload = buf.substr(pos, static_cast<std::size_t>(n));
        pos += static_cast<std::size_t>(n);
        return true;
    }
};

void appendVarint(std::string &out, std::uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

constexpr std::uint64_t kNormalizerSpecField = 3; // ModelProto.normalizer_spec
constexpr std::uint64_t kAddDummyPrefixField = 3; // NormalizerSpec.add_dummy_prefix

std::optional<std::string> withoutDummyPrefix(std::string_view spec)
{
    std::string out;
    WireReader r{spec};
    while (!r.atEnd()) {
        const std::size_t start = r.pos;
        std::uint64_t tag = 0;
        if (!r.varint(tag) || (tag >> 3) == 0 || !r.skip(static_cast<unsigned>(tag & 7)))
            return std::nullopt;
        if ((tag >> 3) != kAddDummyPrefixField)
            out.append(spec.substr(start, r.pos - start));
    }
    appendVarint(out, kAddDummyPrefixField << 3); // wire type 0
    appendVarint(out, 0);
    return out;
}

// The serialized model with add_dummy_prefix = false, or an empty optional if the bytes are not a
// well-formed protobuf message.
std::optional<std::string> patchModelProto(std::string_view model)
{
    std::string out;
    out.reserve(model.size() + 8);
    bool sawNormalizer = false;
    WireReader r{model};
    while (!r.atEnd()) {
        const std::size_t start = r.pos;
        std::uint64_t tag = 0;
        std::string_view payload;
        if (!r.varint(tag) || (tag >> 3) == 0 || !r.skip(static_cast<unsigned>(tag & 7), &payload))
            return std::nullopt;
        if ((tag >> 3) == kNormalizerSpecField && (tag & 7) == 2) {
            const std::optional<std::string> spec = withoutDummyPrefix(payload);
            if (!spec)
                return std::nullopt;
            sawNormalizer = true;
            appendVarint(out, tag);
            appendVarint(out, spec->size());
            out += *spec;
        } else {
            out.append(model.substr(start, r.pos - start));
        }
    }
    if (!sawNormalizer) { // protobuf's MergeFrom creates the sub-message
        appendVarint(out, (kNormalizerSpecField << 3) | 2);
        appendVarint(out, 2);
        appendVarint(out, kAddDummyPrefixField << 3);
        appendVarint(out, 0);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Configuration (tokenizer_config.json, special_tokens_map.json).

struct TokenSpec {
    std::u32string content;
    bool lstrip = false;
    bool rstrip = false;
    bool singleWord = false;
    bool normalized = false;
    bool special = true;
    bool fromString = true; // given as a plain string: the class defaults decide the flags
};

std::optional<QJsonObject> readJsonObject(const std::filesystem::path &path)
{
    return readOptionalJsonFile(path, kJsonSettingsLimit); // missing: HF's defaults apply
}

class JsonReader {
public:
    explicit JsonReader(std::string file)
        : m_file(std::move(file))
    {
    }

    [[noreturn]] void fail(const std::string &key, const std::string &problem) const
    {
        throw Error(ErrorCode::MalformedConfig, m_file, key, problem);
    }

    bool readBool(const QJsonObject &o, const char *key, bool fallback, const std::string &scope) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isBool())
            fail(scope + key, "must be true or false");
        return v.toBool();
    }

    // A token given as "text" or as {"content": "text", "lstrip": ..., ...} (HF's AddedToken).
    TokenSpec readToken(const QJsonValue &v, const std::string &key) const
    {
        TokenSpec t;
        if (v.isString()) {
            t.content = v.toString().toStdU32String();
        } else if (v.isObject()) {
            const QJsonObject o = v.toObject();
            const QJsonValue content = o.value(QLatin1String("content"));
            if (!content.isString())
                fail(key + ".content", "must be a string");
            t.content = content.toString().toStdU32String();
            t.lstrip = readBool(o, "lstrip", false, key + ".");
            t.rstrip = readBool(o, "rstrip", false, key + ".");
            t.singleWord = readBool(o, "single_word", false, key + ".");
            t.special = readBool(o, "special", false, key + ".");
            t.normalized = readBool(o, "normalized", !t.special, key + "."); // AddedToken's default
            t.fromString = false;
        } else {
            fail(key, "must be a string or a token object");
        }
        if (t.content.empty())
            fail(key, "must not be empty");
        return t;
    }

    std::string readSide(const QJsonObject &o, const char *key) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return "right";
        if (!v.isString() || (v.toString() != QLatin1String("left") && v.toString() != QLatin1String("right")))
            fail(key, "must be \"left\" or \"right\"");
        return v.toString().toStdString();
    }

private:
    std::string m_file;
};

// HF's SPECIAL_TOKENS_ATTRIBUTES order (without additional_special_tokens); it fixes the order of
// all_special_tokens, which matters for the lower-casing regex alternation.
constexpr const char *kSpecialAttributes[]
    = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

} // namespace

// ---------------------------------------------------------------------------------------------

struct SiglipTokenizer::Impl {
    struct AddedToken {
        std::u32string content;
        std::string utf8;
        std::int64_t id = 0;
        bool lstrip = false;
        bool rstrip = false;
        bool singleWord = false;
    };

    std::optional<SentencePiece> sp;
    std::string modelFile;
    std::vector<AddedToken> added; // HF's added_tokens_encoder: always split out of the text whole
    std::vector<std::u32string> allSpecial; // all_special_tokens, in HF's order
    std::vector<std::u32string> keepCase; // the lower-casing regex's literal alternatives, in order
    std::string unkUtf8;
    std::size_t unkPieceCount = 0; // HF's unk_token_length
    bool lowerCase = true;
    bool truncateLeft = false;
    bool padLeft = false;
    int maxLength = 0;
    std::int64_t eos = 0;
    std::int64_t pad = 0;
    std::int64_t unk = 0;

    const AddedToken *findAdded(const std::u32string &s) const
    {
        for (const AddedToken &t : added)
            if (t.content == s)
                return &t;
        return nullptr;
    }

    const AddedToken *findAddedUtf8(const std::string &s) const
    {
        for (const AddedToken &t : added)
            if (t.utf8 == s)
                return &t;
        return nullptr;
    }

    // The do_lower_case regex: at each position the first literal alternative that matches is
    // kept as is; otherwise one character is lowercased.
    std::u32string lowerOutsideSpecials(const std::u32string &text) const
    {
        std::u32string out;
        out.reserve(text.size());
        std::size_t i = 0;
        while (i < text.size()) {
            const auto hit = std::find_if(
                keepCase.begin(), keepCase.end(), [&](const std::u32string &s) { return startsWithAt(text, i, s); });
            if (hit != keepCase.end()) {
                out += *hit;
                i += hit->size();
            } else {
                appendPythonLower(out, text[i]);
                ++i;
            }
        }
        return out;
    }

    // tokens_trie.split: leftmost-longest matches of the added tokens; empty pieces are dropped.
    std::vector<std::u32string> splitOnAdded(const std::u32string &text) const
    {
        std::vector<std::u32string> chunks;
        std::size_t start = 0;
        std::size_t i = 0;
        while (i < text.size()) {
            std::size_t best = 0;
            for (const AddedToken &t : added)
                if (t.content.size() > best && startsWithAt(text, i, t.content))
                    best = t.content.size();
            if (best == 0) {
                ++i;
                continue;
            }
            if (i > start)
                chunks.push_back(text.substr(start, i - start));
            chunks.push_back(text.substr(i, best));
            i += best;
            start = i;
        }
        if (start < text.size())
            chunks.push_back(text.substr(start));
        return chunks;
    }

    // PreTrainedTokenizer.tokenize's loop over the split: an added token's lstrip/rstrip eat the
    // whitespace of its neighbours, single_word glues it to a neighbour that is not space-separated.
    // The neighbours are taken before this token's own edits, as in HF.
    void applyTokenFlags(std::vector<std::u32string> &chunks) const
    {
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            const AddedToken *t = findAdded(chunks[i]);
            if (!t)
                continue;
            const std::u32string left = i > 0 ? chunks[i - 1] : std::u32string();
            const std::u32string right = i + 1 < chunks.size() ? chunks[i + 1] : std::u32string();
            if (t->rstrip && !right.empty())
                chunks[i + 1] = lstripped(right);
            if (t->lstrip && !left.empty())
                chunks[i - 1] = rstripped(left);
            if (t->singleWord && !left.empty() && left.back() != U' ') {
                chunks[i - 1] += chunks[i];
                chunks[i].clear();
            } else if (t->singleWord && !right.empty() && right.front() != U' ') {
                chunks[i] += chunks[i + 1];
                chunks[i + 1].clear();
            }
        }
    }

    // SiglipTokenizer._tokenize: canonicalize, then encode "<unk>" + text and drop the pieces
    // of "<unk>". The prefix keeps SentencePiece from treating the chunk as a sentence start.
    void appendPieces(const std::u32string &chunk, std::vector<std::string> &out) const
    {
        const std::string input = unkUtf8 + encodeUtf8(canonicalize(chunk));
        std::vector<std::string> pieces = sp->encode(input);
        const std::size_t drop = pieces.size() >= unkPieceCount ? unkPieceCount : 0;
        out.insert(out.end(), std::make_move_iterator(pieces.begin() + static_cast<std::ptrdiff_t>(drop)),
            std::make_move_iterator(pieces.end()));
    }

    bool isSpecialUtf8(const std::string &token) const
    {
        const std::u32string t = decodeUtf8(token);
        return std::find(allSpecial.begin(), allSpecial.end(), t) != allSpecial.end();
    }

    std::vector<std::string> tokenize(std::string_view utf8) const
    {
        std::size_t bad = 0;
        if (!isValidUtf8(utf8, &bad))
            throw Error(ErrorCode::InvalidUtf8, std::string(), "text", "invalid UTF-8 at byte " + std::to_string(bad));

        // SiglipTokenizer.tokenize: "▁" + text.replace("▁", " ").
        std::u32string text(1, kSpieceUnderline);
        for (const char32_t c : decodeUtf8(utf8))
            text.push_back(c == kSpieceUnderline ? U' ' : c);
        if (lowerCase)
            text = lowerOutsideSpecials(text);

        std::vector<std::u32string> chunks = splitOnAdded(text);
        applyTokenFlags(chunks);

        std::vector<std::string> tokens;
        for (const std::u32string &chunk : chunks) {
            if (chunk.empty())
                continue;
            if (const AddedToken *t = findAdded(chunk))
                tokens.push_back(t->utf8);
            else
                appendPieces(chunk, tokens);
        }
        // The prepended "▁" survives alone when the text starts with a special token.
        if (tokens.size() > 1 && tokens[0] == kSpieceUnderlineUtf8 && isSpecialUtf8(tokens[1]))
            tokens.erase(tokens.begin());
        return tokens;
    }

    std::int64_t tokenToId(const std::string &token) const
    {
        if (const AddedToken *t = findAddedUtf8(token))
            return t->id;
        return sp->pieceToId(token); // unknown pieces give the model's unk id, as in HF
    }
};

// ---------------------------------------------------------------------------------------------

SiglipTokenizer::SiglipTokenizer(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

SiglipTokenizer::SiglipTokenizer(SiglipTokenizer &&) noexcept = default;
SiglipTokenizer &SiglipTokenizer::operator=(SiglipTokenizer &&) noexcept = default;
SiglipTokenizer::~SiglipTokenizer() = default;

std::string SiglipTokenizer::canonicalText(std::string_view utf8)
{
    // decodeUtf8 trusts its input: a truncated sequence at the end would be read past (found by fuzzing).
    std::size_t bad = 0;
    if (!isValidUtf8(utf8, &bad))
        throw Error(ErrorCode::InvalidUtf8, std::string(), "text", "invalid UTF-8 at byte " + std::to_string(bad));
    std::u32string lower;
    for (char32_t c : decodeUtf8(utf8))
        appendPythonLower(lower, c);
    return encodeUtf8(canonicalize(lower));
}

SiglipTokenizer SiglipTokenizer::load(const std::filesystem::path &folder, int fallbackMaxLength)
{
    auto d = std::make_unique<Impl>();

    // spiece.model, patched like HF's get_spm_processor.
    const std::filesystem::path modelPath = folder / "spiece.model";
    d->modelFile = modelPath.string();
    std::error_code ec;
    if (!std::filesystem::exists(modelPath, ec))
        throw Error(ErrorCode::FileNotFound, d->modelFile, "SentencePiece model not found");
    requireRegularFile(modelPath, kTokenizerLimit);
    std::string bytes;
    {
        std::ifstream in(modelPath, std::ios::binary);
        if (!in)
            throw Error(ErrorCode::FileUnreadable, d->modelFile, "cannot open");
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (in.bad())
            throw Error(ErrorCode::FileUnreadable, d->modelFile, "read error");
    }
    if (bytes.empty())
        throw Error(ErrorCode::TokenizerFailed, d->modelFile, "empty SentencePiece model");
    const std::optional<std::string> patched = patchModelProto(bytes);
    if (!patched)
        throw Error(ErrorCode::TokenizerFailed, d->modelFile, "not a SentencePiece model (malformed protobuf)");
    d->sp.emplace(SentencePiece::load(*patched, d->modelFile));
    if (d->sp->pieceCount() <= 0)
        throw Error(ErrorCode::TokenizerFailed, d->modelFile, "SentencePiece model has no pieces");

    // Class defaults of SiglipTokenizer.__init__, then tokenizer_config.json, then
    // special_tokens_map.json (which wins, as in from_pretrained).
    std::map<std::string, std::optional<TokenSpec>> specials;
    for (const char *name : kSpecialAttributes)
        specials[name] = std::nullopt;
    specials["eos_token"] = TokenSpec{U"</s>"};
    specials["unk_token"] = TokenSpec{U"<unk>"};
    specials["pad_token"] = TokenSpec{U"</s>"};
    std::vector<TokenSpec> additional;
    std::map<std::int64_t, TokenSpec> decoder; // added_tokens_decoder, by id
    d->maxLength = fallbackMaxLength;

    const std::filesystem::path configPath = folder / "tokenizer_config.json";
    const std::filesystem::path mapPath = folder / "special_tokens_map.json";
    auto readSpecials = [&](const QJsonObject &o, const JsonReader &r) {
        for (const char *name : kSpecialAttributes) {
            const QJsonValue v = o.value(QLatin1String(name));
            if (v.isUndefined())
                continue;
            specials[name] = v.isNull() ? std::nullopt : std::optional<TokenSpec>(r.readToken(v, name));
        }
        const QJsonValue extra = o.value(QLatin1String("additional_special_tokens"));
        if (extra.isUndefined() || extra.isNull())
            return;
        if (!extra.isArray())
            r.fail("additional_special_tokens", "must be a list");
        const QJsonArray list = extra.toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            TokenSpec t = r.readToken(list.at(i), "additional_special_tokens[" + std::to_string(i) + "]");
            const bool known = std::any_of(
                additional.begin(), additional.end(), [&](const TokenSpec &a) { return a.content == t.content; });
            if (!known)
                additional.push_back(std::move(t));
        }
    };

    if (const std::optional<QJsonObject> config = readJsonObject(configPath)) {
        const JsonReader r(configPath.string());
        d->lowerCase = r.readBool(*config, "do_lower_case", true, std::string());
        d->truncateLeft = r.readSide(*config, "truncation_side") == "left";
        d->padLeft = r.readSide(*config, "padding_side") == "left";
        const QJsonValue maxLen = config->value(QLatin1String("model_max_length"));
        if (!maxLen.isUndefined() && !maxLen.isNull()) {
            const double v = maxLen.toDouble(std::numeric_limits<double>::quiet_NaN());
            if (!maxLen.isDouble() || std::floor(v) != v || v < 2)
                r.fail("model_max_length", "must be an integer of at least 2");
            // HF writes int(1e30) for "no limit"; the text tower's length is the real limit then.
            if (v <= std::numeric_limits<int>::max())
                d->maxLength = static_cast<int>(v);
        }
        readSpecials(*config, r);
        const QJsonValue dec = config->value(QLatin1String("added_tokens_decoder"));
        if (!dec.isUndefined() && !dec.isNull()) {
            if (!dec.isObject())
                r.fail("added_tokens_decoder", "must be a JSON object");
            const QJsonObject o = dec.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                const std::string key = "added_tokens_decoder." + it.key().toStdString();
                bool ok = false;
                const qlonglong id = it.key().toLongLong(&ok);
                if (!ok || id < 0)
                    r.fail(key, "the key must be a non-negative token id");
                if (!it.value().isObject())
                    r.fail(key, "must be a token object");
                decoder[id] = r.readToken(it.value(), key);
            }
        }
    }
    if (const std::optional<QJsonObject> map = readJsonObject(mapPath))
        readSpecials(*map, JsonReader(mapPath.string()));

    if (d->maxLength < 2)
        throw Error(ErrorCode::InvalidArgument, configPath.string(), "model_max_length",
            "no usable maximum length (fallback " + std::to_string(fallbackMaxLength) + ")");
    for (const char *name : {"eos_token", "unk_token", "pad_token"})
        if (!specials[name])
            throw Error(ErrorCode::MalformedConfig, configPath.string(), name, "SigLIP needs this token");

    // Added tokens: the decoder's entries first, with their ids and flags.
    for (const auto &[id, t] : decoder)
        d->added.push_back({t.content, encodeUtf8(t.content), id, t.lstrip, t.rstrip, t.singleWord});

    // all_special_tokens: the attributes in order, then the additional ones, deduplicated. A token
    // the decoder knows takes the decoder's flags (from_pretrained's added_tokens_map).
    std::vector<TokenSpec> specialList;
    for (const char *name : kSpecialAttributes) {
        if (!specials[name])
            continue;
        TokenSpec t = *specials[name];
        // SiglipTokenizer.__init__ wraps plain-string eos/unk/pad with lstrip = rstrip = True.
        if (t.fromString) {
            const bool sig = std::string_view(name) == "eos_token" || std::string_view(name) == "unk_token"
                || std::string_view(name) == "pad_token";
            t.lstrip = t.rstrip = sig;
        }
        specialList.push_back(std::move(t));
    }
    specialList.insert(specialList.end(), additional.begin(), additional.end());
    for (const TokenSpec &t : specialList) {
        if (std::find(d->allSpecial.begin(), d->allSpecial.end(), t.content) != d->allSpecial.end())
            continue;
        d->allSpecial.push_back(t.content);
        if (d->findAdded(t.content))
            continue;
        // PreTrainedTokenizer._add_tokens: the piece's id if the vocab has it, else a new id past it.
        const std::string utf8 = encodeUtf8(t.content);
        std::int64_t id = d->sp->pieceToId(utf8);
        const bool inVocab = d->sp->idToPiece(static_cast<int>(id)) == utf8
            && std::none_of(decoder.begin(), decoder.end(), [&](const auto &e) { return e.first == id; });
        if (!inVocab) {
            std::int64_t next = d->sp->pieceCount();
            for (const Impl::AddedToken &a : d->added)
                next = std::max(next, a.id + 1);
            id = next;
        }
        d->added.push_back({t.content, utf8, id, t.lstrip, t.rstrip, t.singleWord});
    }

    // The lower-casing regex protects all_special_tokens, then non-special normalized added tokens.
    d->keepCase = d->allSpecial;
    for (const auto &[id, t] : decoder)
        if (!t.special && t.normalized)
            d->keepCase.push_back(t.content);

    auto idOf = [&](const char *name) { return d->findAdded(specials[name]->content)->id; };
    d->eos = idOf("eos_token");
    d->pad = idOf("pad_token");
    d->unk = idOf("unk_token");
    d->unkUtf8 = encodeUtf8(specials["unk_token"]->content);

    d->unkPieceCount = d->sp->encode(d->unkUtf8).size();

    return SiglipTokenizer(std::move(d));
}

std::vector<std::string> SiglipTokenizer::tokenize(std::string_view utf8) const
{
    return d->tokenize(utf8);
}

std::vector<std::int64_t> SiglipTokenizer::encode(std::string_view utf8, bool pad) const
{
    std::vector<std::int64_t> ids;
    for (const std::string &token : d->tokenize(utf8))
        ids.push_back(d->tokenToId(token));

    const auto maxLen = static_cast<std::size_t>(d->maxLength);
    if (pad && ids.size() + 1 > maxLen) {
        // prepare_for_model counts one special token (eos) to add, whether or not the ids
        // already end with it, and truncates before adding it. maxLength >= 2 keeps HF's
        // "cannot remove that many" branch unreachable.
        const std::size_t remove = ids.size() + 1 - maxLen;
        if (d->truncateLeft)
            ids.erase(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(remove));
        else
            ids.resize(ids.size() - remove);
    }
    if (ids.empty() || ids.back() != d->eos)
        ids.push_back(d->eos);
    if (pad && ids.size() < maxLen)
        ids.insert(d->padLeft ? ids.begin() : ids.end(), maxLen - ids.size(), d->pad);
    return ids;
}

int SiglipTokenizer::maxLength() const
{
    return d->maxLength;
}

std::int64_t SiglipTokenizer::eosId() const
{
    return d->eos;
}

std::int64_t SiglipTokenizer::padId() const
{
    return d->pad;
}

std::int64_t SiglipTokenizer::unkId() const
{
    return d->unk;
}

std::string SiglipTokenizer::description() const
{
    return "SigLIP (spiece.model, SentencePiece, lower-cased, " + std::to_string(vocabSize()) + " pieces)";
}

int SiglipTokenizer::vocabSize() const
{
    return d->sp->pieceCount();
}

} // namespace lookalike
