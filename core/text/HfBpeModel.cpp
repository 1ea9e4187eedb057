// tokenizer.json's normalizer, pre-tokenizer and BPE model (Hugging Face tokenizers,
// models/bpe/word.rs: merge_all with a priority queue of (rank, position)).
#include "core/text/HfBpeModel.h"

#include "core/Error.h"

#include <QJsonArray>
#include <QString>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <queue>
#include <unordered_map>

namespace lookalike {

namespace {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using Step = std::function<std::string(std::string)>;

std::string replaceAll(std::string text, const std::string &from, const std::string &to)
{
    if (from.empty())
        return text;
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size())
        out.append(text, pos, hit - pos).append(to);
    out.append(text, pos, std::string::npos);
    return out;
}

enum class SplitBehaviour { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

std::vector<std::string> splitOn(const std::string &text, const std::string &delimiter, SplitBehaviour how)
{
    std::vector<std::string> out;
    if (delimiter.empty()) {
        out.push_back(text);
        return out;
    }
    std::string pending; // text waiting for what follows (MergedWithNext)
    std::size_t pos = 0;
    bool lastWasDelimiter = false;
    for (std::size_t hit; (hit = text.find(delimiter, pos)) != std::string::npos; pos = hit + delimiter.size()) {
        std::string before = text.substr(pos, hit - pos);
        switch (how) {
        case SplitBehaviour::Removed:
            if (!before.empty())
                out.push_back(std::move(before));
            break;
        case SplitBehaviour::Isolated:
            if (!before.empty())
                out.push_back(std::move(before));
            out.push_back(delimiter);
            break;
        case SplitBehaviour::Contiguous:
            if (!before.empty())
                out.push_back(std::move(before));
            if (lastWasDelimiter && before.empty())
                out.back() += delimiter;
            else
                out.push_back(delimiter);
            break;
        case SplitBehaviour::MergedWithPrevious:
            out.push_back(before + delimiter);
            break;
        case SplitBehaviour::MergedWithNext:
            if (!(pending + before).empty())
                out.push_back(pending + before);
            pending = delimiter;
            break;
        }
        lastWasDelimiter = true;
    }
    std::string rest = pending + text.substr(pos);
    if (!rest.empty())
        out.push_back(std::move(rest));
    return out;
}

class Reader {
public:
    explicit Reader(std::string file)
        : m_file(std::move(file))
    {
    }
    [[noreturn]] void fail(const std::string &key, const std::string &problem) const
    {
        throw Error(ErrorCode::TokenizerFailed, m_file, key, problem);
    }
    std::string string(const QJsonObject &o, const char *key, const std::string &scope) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isString())
            fail(scope + key, "must be a string");
        return v.toString().toStdString();
    }
    bool flag(const QJsonObject &o, const char *key, bool fallback, const std::string &scope) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isBool())
            fail(scope + key, "must be true or false");
        return v.toBool();
    }
    // {"String": "..."}; a Regex pattern is refused.
    std::string pattern(const QJsonObject &o, const std::string &scope) const
    {
        const QJsonObject p = o.value(QLatin1String("pattern")).toObject();
        if (!p.value(QLatin1String("String")).isString())
            fail(scope + "pattern", "only string patterns are supported (not regular expressions)");
        return p.value(QLatin1String("String")).toString().toStdString();
    }

private:
    std::string m_file;
};

} // namespace

struct HfBpeModel::Impl {
    std::vector<Step> normalizers;
    // Each pre-tokenizer maps every piece so far to its pieces.
    std::vector<std::function<std::vector<std::string>(const std::string &)>> preTokenizers;
    std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>> vocab;
    std::vector<std::string> pieces; // by id (empty where the vocabulary has a gap)
    std::unordered_map<std::uint64_t, std::pair<std::int32_t, std::int32_t>> merges; // (a, b) -> (rank, merged)
    std::int32_t unk = -1;
    bool byteFallback = false;
    bool fuseUnk = false;
    bool ignoreMerges = false;
    std::int32_t byteIds[256]{};

    static std::uint64_t key(std::int32_t a, std::int32_t b)
    {
        return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b);
    }

    void readNormalizer(const QJsonValue &v, const Reader &r, const std::string &scope)
    {
        if (v.isNull() || v.isUndefined())
            return;
        const QJsonObject o = v.toObject();
        const QString type = o.value(QLatin1String("type")).toString();
        if (type == QLatin1String("Sequence")) {
            const QJsonArray list = o.value(QLatin1String("normalizers")).toArray();
            for (qsizetype i = 0; i < list.size(); ++i)
                readNormalizer(list.at(i), r, scope + "normalizers[" + std::to_string(i) + "].");
        } else if (type == QLatin1String("Replace")) {
            const std::string from = r.pattern(o, scope), to = r.string(o, "content", scope);
            normalizers.push_back([from, to](std::string s) { return replaceAll(std::move(s), from, to); });
        } else if (type == QLatin1String("Prepend")) {
            const std::string prefix = r.string(o, "prepend", scope);
            normalizers.push_back([prefix](std::string s) { return s.empty() ? s : prefix + s; });
        } else if (type == QLatin1String("Lowercase")) {
            normalizers.push_back([](std::string s) { return QString::fromStdString(s).toLower().toStdString(); });
        } else if (type == QLatin1String("NFC") || type == QLatin1String("NFKC")) {
            const auto form = type == QLatin1String("NFC") ? QString::NormalizationForm_C : QString::NormalizationForm_KC;
            normalizers.push_back(
                [form](std::string s) { return QString::fromStdString(s).normalized(form).toStdString(); });
        } else {
            r.fail(scope + "type", "normalizer '" + type.toStdString() + "' is not supported");
        }
    }

    void readPreTokenizer(const QJsonValue &v, const Reader &r, const std::string &scope)
    {
        if (v.isNull() || v.isUndefined())
            return;
        const QJsonObject o = v.toObject();
        const QString type = o.value(QLatin1String("type")).toString();
        if (type == QLatin1String("Sequence")) {
            const QJsonArray list = o.value(QLatin1String("pretokenizers")).toArray();
            for (qsizetype i = 0; i < list.size(); ++i)
                readPreTokenizer(list.at(i), r, scope + "pretokenizers[" + std::to_string(i) + "].");
        } else if (type == QLatin1String("Split")) {
            const std::string delimiter = r.pattern(o, scope);
            if (r.flag(o, "invert", false, scope))
                r.fail(scope + "invert", "inverted splits are not supported");
            const std::string b = r.string(o, "behavior", scope);
            SplitBehaviour how = SplitBehaviour::Removed;
            if (b == "Removed")
                how = SplitBehaviour::Removed;
            else if (b == "Isolated")
                how = SplitBehaviour::Isolated;
            else if (b == "MergedWithPrevious")
                how = SplitBehaviour::MergedWithPrevious;
            else if (b == "MergedWithNext")
                how = SplitBehaviour::MergedWithNext;
            else if (b == "Contiguous")
                how = SplitBehaviour::Contiguous;
            else
                r.fail(scope + "behavior", "unknown split behaviour '" + b + "'");
            preTokenizers.push_back([delimiter, how](const std::string &s) { return splitOn(s, delimiter, how); });
        } else if (type == QLatin1String("Metaspace")) {
            const std::string replacement = r.string(o, "replacement", scope);
            const QJsonValue scheme = o.value(QLatin1String("prepend_scheme"));
            const bool prepend = scheme.isString() ? scheme.toString() != QLatin1String("never")
                                                   : r.flag(o, "add_prefix_space", true, scope);
            const bool split = r.flag(o, "split", true, scope);
            preTokenizers.push_back([replacement, prepend, split](const std::string &s) {
                std::string t = replaceAll(s, " ", replacement);
                if (prepend && t.compare(0, replacement.size(), replacement) != 0)
                    t = replacement + t;
                return split ? splitOn(t, replacement, SplitBehaviour::MergedWithNext) : std::vector<std::string>{t};
            });
        } else {
            r.fail(scope + "type", "pre-tokenizer '" + type.toStdString() + "' is not supported");
        }
    }

    // models/bpe/model.rs merge_word: characters (byte fallback or unk for unknown ones), then
    // merge_all.
    void encodeWord(std::string_view w, std::vector<Piece> &out) const
    {
        if (ignoreMerges) {
            if (const auto it = vocab.find(w); it != vocab.end()) {
                out.push_back({std::string(w), it->second});
                return;
            }
        }
        struct Symbol {
            std::int32_t id;
            std::int32_t prev, next;
            bool alive;
        };
        std::vector<Symbol> symbols;
        symbols.reserve(w.size());
        auto add = [&](std::int32_t id) {
            const auto n = static_cast<std::int32_t>(symbols.size());
            symbols.push_back({id, n - 1, n + 1, true});
        };
        std::int32_t pendingUnk = -1; // fuse_unk: one unk for a run of unknown characters
        for (std::size_t i = 0; i < w.size();) {
            const auto lead = static_cast<unsigned char>(w[i]);
            const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            const std::string_view ch = w.substr(i, len);
            i += len;
            if (const auto it = vocab.find(ch); it != vocab.end()) {
                if (pendingUnk >= 0) {
                    add(pendingUnk);
                    pendingUnk = -1;
                }
                add(it->second);
                continue;
            }
            if (byteFallback) {
                bool all = true;
                for (const char b : ch)
                    all = all && byteIds[static_cast<unsigned char>(b)] >= 0;
                if (all) { // as tokenizers does, a pending unk is not flushed here
                    for (const char b : ch)
                        add(byteIds[static_cast<unsigned char>(b)]);
                    continue;
                }
            }
            if (unk < 0)
                throw Error(ErrorCode::TokenizerFailed, std::string(),
                            "a character is not in the vocabulary and the tokenizer has no unk_token");
            if (pendingUnk >= 0 && !fuseUnk)
                add(pendingUnk);
            pendingUnk = unk;
        }
        if (pendingUnk >= 0)
            add(pendingUnk);
        if (!symbols.empty())
            symbols.back().next = -1;

        struct Merge {
            std::int32_t rank, pos, merged;
            bool operator<(const Merge &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
        };
        std::priority_queue<Merge> queue;
        auto push = [&](std::int32_t pos) {
            const std::int32_t next = symbols[static_cast<std::size_t>(pos)].next;
            if (next < 0)
                return;
            const auto it = merges.find(key(symbols[static_cast<std::size_t>(pos)].id, symbols[static_cast<std::size_t>(next)].id));
            if (it != merges.end())
                queue.push({it->second.first, pos, it->second.second});
        };
        for (std::int32_t p = 0; p + 1 < static_cast<std::int32_t>(symbols.size()); ++p)
            push(p);
        while (!queue.empty()) {
            const Merge top = queue.top();
            queue.pop();
            Symbol &left = symbols[static_cast<std::size_t>(top.pos)];
            if (!left.alive || left.next < 0)
                continue;
            Symbol &right = symbols[static_cast<std::size_t>(left.next)];
            const auto it = merges.find(key(left.id, right.id));
            if (it == merges.end() || it->second.second != top.merged)
                continue; // expired: a neighbour changed since this entry was queued
            left.id = top.merged;
            right.alive = false;
            left.next = right.next;
            if (right.next >= 0)
                symbols[static_cast<std::size_t>(right.next)].prev = top.pos;
            if (left.prev >= 0)
                push(left.prev);
            push(top.pos);
        }
        for (const Symbol &s : symbols)
            if (s.alive)
                out.push_back({pieces[static_cast<std::size_t>(s.id)], s.id});
    }
};

HfBpeModel::HfBpeModel(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}
HfBpeModel::HfBpeModel(HfBpeModel &&) noexcept = default;
HfBpeModel &HfBpeModel::operator=(HfBpeModel &&) noexcept = default;
HfBpeModel::~HfBpeModel() = default;

HfBpeModel HfBpeModel::fromJson(const QJsonObject &root, const std::string &file)
{
    const Reader r(file);
    auto d = std::make_unique<Impl>();
    d->readNormalizer(root.value(QLatin1String("normalizer")), r, "normalizer.");
    d->readPreTokenizer(root.value(QLatin1String("pre_tokenizer")), r, "pre_tokenizer.");

    const QJsonObject model = root.value(QLatin1String("model")).toObject();
    const QString type = model.value(QLatin1String("type")).toString();
    if (type != QLatin1String("BPE"))
        r.fail("model.type", "'" + type.toStdString() + "' models are not supported (only BPE)");
    for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        const QJsonValue v = model.value(QLatin1String(key));
        if (!v.isNull() && !v.isUndefined() && !v.toString().isEmpty())
            r.fail(std::string("model.") + key, "subword prefixes and suffixes are not supported");
    }
    const QJsonValue dropout = model.value(QLatin1String("dropout"));
    if (!dropout.isNull() && !dropout.isUndefined() && dropout.toDouble() != 0.0)
        r.fail("model.dropout", "BPE dropout is random; an embedding must not be");
    d->byteFallback = r.flag(model, "byte_fallback", false, "model.");
    d->fuseUnk = r.flag(model, "fuse_unk", false, "model.");
    d->ignoreMerges = r.flag(model, "ignore_merges", false, "model.");

    const QJsonObject vocab = model.value(QLatin1String("vocab")).toObject();
    if (vocab.isEmpty())
        r.fail("model.vocab", "missing or empty");
    d->vocab.reserve(static_cast<std::size_t>(vocab.size()));
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const double id = it.value().toDouble(-1);
        // Ids index a table: bounded by the vocabulary's size (with room for gaps), so that one
        // huge id cannot make it gigabytes.
        const double limit = std::max<double>(1 << 20, 4.0 * static_cast<double>(vocab.size()));
        if (!it.value().isDouble() || id < 0 || id >= limit || id != static_cast<std::int32_t>(id))
            r.fail("model.vocab." + it.key().toStdString(),
                   "the id must be a non-negative integer below " + std::to_string(static_cast<long long>(limit)));
        const auto n = static_cast<std::int32_t>(id);
        std::string piece = it.key().toStdString();
        if (static_cast<std::size_t>(n) >= d->pieces.size())
            d->pieces.resize(static_cast<std::size_t>(n) + 1);
        d->pieces[static_cast<std::size_t>(n)] = piece;
        d->vocab.emplace(std::move(piece), n);
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const auto it = d->vocab.find(std::string_view(name));
        d->byteIds[b] = it == d->vocab.end() ? -1 : it->second;
    }
    if (const QJsonValue unk = model.value(QLatin1String("unk_token")); unk.isString()) {
        const auto it = d->vocab.find(unk.toString().toStdString());
        if (it == d->vocab.end())
            r.fail("model.unk_token", "'" + unk.toString().toStdString() + "' is not in the vocabulary");
        d->unk = it->second;
    }

    const QJsonArray merges = model.value(QLatin1String("merges")).toArray();
    d->merges.reserve(static_cast<std::size_t>(merges.size()));
    for (qsizetype i = 0; i < merges.size(); ++i) {
        // ["a", "b"] (tokenizers >= 0.20) or "a b" (older files).
        std::string a, b;
        const QJsonValue m = merges.at(i);
        if (m.isArray() && m.toArray().size() == 2) {
            a = m.toArray().at(0).toString().toStdString();
            b = m.toArray().at(1).toString().toStdString();
        } else if (m.isString()) {
            const std::string s = m.toString().toStdString();
            const std::size_t space = s.find(' ');
            if (space == std::string::npos)
                r.fail("model.merges[" + std::to_string(i) + "]", "expected two pieces");
            a = s.substr(0, space);
            b = s.substr(space + 1);
        } else {
            r.fail("model.merges[" + std::to_string(i) + "]", "expected a pair of pieces");
        }
        const auto ia = d->vocab.find(a), ib = d->vocab.find(b), im = d->vocab.find(a + b);
        if (ia == d->vocab.end() || ib == d->vocab.end() || im == d->vocab.end())
            r.fail("model.merges[" + std::to_string(i) + "]", "'" + a + "' + '" + b + "' is not in the vocabulary");
        d->merges.emplace(Impl::key(ia->second, ib->second), std::pair{static_cast<std::int32_t>(i), im->second});
    }
    return HfBpeModel(std::move(d));
}

std::vector<HfBpeModel::Piece> HfBpeModel::encode(std::string_view utf8) const
{
    std::string text(utf8);
    for (const Step &n : d->normalizers)
        text = n(std::move(text));
    std::vector<std::string> words{std::move(text)};
    for (const auto &pre : d->preTokenizers) {
        std::vector<std::string> next;
        for (const std::string &w : words)
            for (std::string &part : pre(w))
                next.push_back(std::move(part));
        words = std::move(next);
    }
    std::vector<Piece> out;
    for (const std::string &w : words)
        if (!w.empty())
            d->encodeWord(w, out);
    return out;
}

std::int64_t HfBpeModel::idOf(std::string_view piece) const
{
    const auto it = d->vocab.find(piece);
    return it == d->vocab.end() ? -1 : it->second;
}

int HfBpeModel::vocabSize() const
{
    return static_cast<int>(d->pieces.size());
}

} // namespace lookalike
