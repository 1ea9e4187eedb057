// Catalog manifest import: an RFC 4180 CSV reader and a JSON Lines reader feed one row
// validator (UTF-8, required fields, unique ids, image files). Both readers are small and our
// own: the CSV one must keep physical line numbers for records spanning lines, and the JSON one
// keeps keys in the order they are written (QJsonObject sorts them) and numbers as written.
#include "core/catalog/CatalogManifest.h"

#include "core/Error.h"
#include "core/image/ImageDecoder.h"
#include "core/util/Csv.h"
#include "core/util/CsvReader.h"
#include "core/util/Utf8.h"
#include "core/util/RegularFile.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <system_error>
#include <unordered_map>

namespace lookalike {

namespace {

// ---------------------------------------------------------------------------------------------
// Small text helpers

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isBlank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isBlank(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string asciiLower(std::string_view s)
{
    std::string out(s);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Why `id` cannot be a catalog id (empty: it can): whitespace, control characters and #.
std::string idProblem(std::string_view id)
{
    for (const char ch : id) {
        const auto c = static_cast<unsigned char>(ch);
        const char *what = c == ' ' ? "a space"
            : c == '\t'            ? "a tab"
            : c == '\n' || c == '\r' ? "a line break"
            : c == 0               ? "a NUL byte"
            : c < 0x20 || c == 0x7f ? "a control character"
            : c == '#'             ? "'#'"
                                   : nullptr;
        if (what)
            return std::string("id holds ") + what
                + " (ids are written to TREC files, which split on whitespace and read # as a comment; use - or _)";
    }
    return {};
}

// At most `limit` bytes of `s`, cut on a UTF-8 boundary, with what was cut said: a 10 MB cell
// must not become a 10 MB message or report line.
std::string cut(std::string_view s, std::size_t limit)
{
    if (s.size() <= limit)
        return std::string(s);
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return std::string(s.substr(0, n)) + "... (" + std::to_string(s.size()) + " bytes)";
}

// User text quoted inside a one-line reason: control characters (a multi-line cell) become
// spaces, and a long value is cut.
std::string inQuotes(std::string_view s)
{
    std::string out = "'";
    for (char c : cut(s, 80))
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    return out + "'";
}

// "a", "a and b", "a, b and c"
std::string joinAnd(const std::vector<std::string> &items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += i + 1 == items.size() ? " and " : ", ";
        out += items[i];
    }
    return out;
}

std::string joinComma(const std::vector<std::string> &items)
{
    std::string out;
    for (const std::string &s : items)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Fields

enum class Field { Id, Image, Title, Category, Url, Attribute };
constexpr std::array<const char *, 5> kKnownNames = {"id", "image", "title", "category", "url"};

// Known fields are matched trimmed and case-insensitively ("ID", " Title ").
Field fieldOf(std::string_view lowerTrimmedName)
{
    for (std::size_t i = 0; i < kKnownNames.size(); ++i)
        if (lowerTrimmedName == kKnownNames[i])
            return static_cast<Field>(i);
    return Field::Attribute;
}

// One value of a record on its way to the validator. `name` points into storage that outlives it.
struct Cell {
    std::string_view name;
    Field field = Field::Attribute;
    std::string value;
    bool structured = false; // a JSON object or array, kept as compact JSON text
};

// ---------------------------------------------------------------------------------------------
// Image files

std::string describeErrno(int err)
{
    if (err == EACCES || err == EPERM)
        return "permission denied";
    return std::generic_category().message(err);
}

// Cheap checks only (one stat, one open, 16 bytes): catalogs have 100k images, and the full
// decode happens at indexing time anyway. Returns the reason, or an empty string when fine.
std::string checkImage(const std::filesystem::path &path)
{
    const std::string shown = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found)
        return "image not found: " + shown;
    if (ec)
        return "image unreadable: " + shown + " (" + describeErrno(ec.value()) + ")";
    if (!std::filesystem::is_regular_file(status))
        return "image is " + nonRegularKind(path) + ", not a regular file: " + shown;
    if (std::filesystem::file_size(path, ec) > kImageLimit.maxBytes)
        return "image is larger than " + std::to_string(kImageLimit.maxBytes >> 20) + " MiB: " + shown;

    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return "image unreadable: " + shown + " (" + describeErrno(errno ? errno : EIO) + ")";
    char head[16];
    in.read(head, sizeof head);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0)
        return in.eof() ? "image is empty: " + shown : "image unreadable: " + shown + " (read error)";

    const char *unsupported = nullptr;
    switch (imageSignature(std::as_bytes(std::span<const char>(head, got)), &unsupported)) {
    case ImageSignature::Supported:
        return {};
    case ImageSignature::Unsupported:
        return std::string(unsupported) + " images are not supported: " + shown;
    case ImageSignature::Unknown:
        break;
    }
    return "not an image (unknown format): " + shown;
}

// ---------------------------------------------------------------------------------------------
// The validator both readers feed

class RowValidator {
public:
    RowValidator(const std::filesystem::path &manifest, const ManifestOptions &options, ManifestReadResult &result)
        : m_file(manifest.string())
        , m_dir(std::filesystem::absolute(manifest).parent_path())
        , m_options(options)
        , m_result(result)
    {
    }

    // `noun` is how the reason names a value's place: "column" (CSV) or "key" (JSON Lines).
    void add(int line, std::vector<Cell> &cells, const char *noun)
    {
        const Cell *known[5] = {};
        for (const Cell &c : cells)
            if (c.field != Field::Attribute)
                known[static_cast<int>(c.field)] = &c;
        const std::string id = idForReport(known[0]);

        for (const Cell &c : cells) {
            std::size_t bad = 0;
            if (!isValidUtf8(c.value, &bad))
                return reject(line, id,
                    "invalid UTF-8 in " + std::string(noun) + " " + inQuotes(c.name) + " at byte "
                        + std::to_string(bad));
        }
        for (const Cell *c : known)
            if (c && c->structured)
                return reject(line, id,
                    std::string(noun) + " " + inQuotes(c->name) + " must be text, not "
                        + (c->value.front() == '[' ? "an array" : "an object"));

        std::string_view values[5];
        std::vector<std::string> missing;
        for (int f = 0; f < 5; ++f) {
            if (known[f])
                values[f] = trim(known[f]->value);
            if (f <= static_cast<int>(Field::Title) && values[f].empty())
                missing.push_back(kKnownNames[f]);
        }
        if (!missing.empty())
            return reject(line, id, "missing " + joinAnd(missing));

        // TREC files (export, import-qrels) split on whitespace and treat # as a comment, so an
        // id holding either could be imported and never exported: refused here, with the line.
        if (const std::string problem = idProblem(values[0]); !problem.empty())
            return reject(line, id, problem);

        // The id is claimed by its first row even when that row fails a later check (its image):
        // uniqueness is a property of the manifest, and fixing the image must not make a duplicate.
        const auto [first, inserted] = m_firstLine.try_emplace(id, line);
        if (!inserted)
            return reject(
                line, id, "duplicate id " + inQuotes(id) + " (first on line " + std::to_string(first->second) + ")");

        std::filesystem::path image(values[1]);
        if (image.is_relative())
            image = m_dir / image;
        image = image.lexically_normal();
        if (m_options.checkImages) {
            std::string problem = checkImage(image);
            if (!problem.empty())
                return reject(line, id, std::move(problem));
        }

        CatalogRow row;
        row.line = line;
        row.id = id;
        row.image = std::move(image);
        row.title = values[2];
        row.category = values[3];
        row.url = values[4];
        for (const Cell &c : cells) {
            const std::string_view v = trim(c.value);
            // Blank attributes are left out: raters need not see empty fields (a CSV row has
            // every column, a JSON line only the keys it uses; this treats both alike).
            if (c.field == Field::Attribute && !v.empty())
                row.attributes.emplace_back(std::string(c.name), std::string(v));
        }
        m_result.rows.push_back(std::move(row));
    }

    void reject(int line, std::string id, std::string reason)
    {
        if (m_options.strict)
            throw Error(ErrorCode::BadManifest, m_file, "line " + std::to_string(line), reason);
        m_result.rejected.push_back({line, std::move(id), std::move(reason)});
    }

    // The id to name in a rejection: trimmed, and only if it is printable text.
    static std::string idForReport(const Cell *idCell)
    {
        if (!idCell || idCell->structured)
            return {};
        const std::string_view id = trim(idCell->value);
        return isValidUtf8(id) ? cut(id, 200) : std::string();
    }

    const std::string &file() const { return m_file; }

private:
    std::string m_file;
    std::filesystem::path m_dir;
    const ManifestOptions &m_options;
    ManifestReadResult &m_result;
    std::unordered_map<std::string, int> m_firstLine;
};

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

bool allBlank(const CsvRecord &rec)
{
    for (const std::string &c : rec.cells)
        if (!trim(c).empty())
            return false;
    return rec.problem.empty();
}

void readCsv(std::string_view text, RowValidator &validator, ManifestReadResult &result)
{
    const std::string &file = validator.file();
    CsvReader reader(text);
    CsvRecord rec;
    // The header is the first record with anything in it.
    bool haveHeader = false;
    while (reader.next(rec))
        if (!allBlank(rec)) {
            haveHeader = true;
            break;
        }
    if (!haveHeader)
        throw Error(ErrorCode::BadManifest, file, "the manifest is empty (a CSV header row is needed)");
    const std::string headerSubject = "line " + std::to_string(rec.line) + " (header)";
    if (!rec.problem.empty())
        throw Error(ErrorCode::BadManifest, file, headerSubject, rec.problem);

    std::vector<std::string> names;
    std::vector<Field> fields;
    std::unordered_map<std::string, std::size_t> seen; // lower-cased name -> column index
    for (std::size_t i = 0; i < rec.cells.size(); ++i) {
        std::size_t bad = 0;
        if (!isValidUtf8(rec.cells[i], &bad))
            throw Error(ErrorCode::BadManifest, file, headerSubject,
                "invalid UTF-8 in the name of column " + std::to_string(i + 1) + " at byte " + std::to_string(bad));
        std::string name(trim(rec.cells[i]));
        // An unnamed column (an Excel export's trailing comma) is kept under a made-up name;
        // its cells are usually empty and then never shown.
        if (name.empty())
            name = "column " + std::to_string(i + 1);
        const std::string lower = asciiLower(name);
        const Field field = fieldOf(lower);
        if (field != Field::Attribute)
            name = kKnownNames[static_cast<int>(field)];
        const auto [it, inserted] = seen.try_emplace(lower, i);
        if (!inserted)
            throw Error(ErrorCode::BadManifest, file, headerSubject,
                "duplicate column " + inQuotes(name) + " (columns " + std::to_string(it->second + 1) + " and "
                    + std::to_string(i + 1) + ")");
        names.push_back(std::move(name));
        fields.push_back(field);
    }
    std::vector<std::string> missing;
    for (int f = 0; f <= static_cast<int>(Field::Title); ++f)
        if (std::find(fields.begin(), fields.end(), static_cast<Field>(f)) == fields.end())
            missing.push_back(kKnownNames[f]);
    if (!missing.empty()) {
        std::string problem = "the header has no " + joinAnd(missing) + (missing.size() > 1 ? " columns" : " column")
            + " (columns: " + joinComma(names) + ")";
        // The usual cause: a spreadsheet saved with ';' or tabs between the cells.
        if (names.size() == 1 && names[0].find_first_of(";\t") != std::string::npos)
            problem += "; the cells must be separated by commas";
        throw Error(ErrorCode::BadManifest, file, headerSubject, problem);
    }
    result.columns = names;
    const auto idColumn = static_cast<std::size_t>(std::find(fields.begin(), fields.end(), Field::Id) - fields.begin());

    std::vector<Cell> cells;
    while (reader.next(rec)) {
        if (allBlank(rec))
            continue; // ",,,," lines carry nothing
        if (!rec.problem.empty() || rec.cells.size() != names.size()) {
            Cell idCell;
            if (idColumn < rec.cells.size())
                idCell.value = rec.cells[idColumn];
            std::string reason = !rec.problem.empty()
                ? rec.problem
                : std::to_string(rec.cells.size()) + (rec.cells.size() == 1 ? " cell" : " cells")
                    + ", but the header has " + std::to_string(names.size()) + " columns";
            validator.reject(rec.line, RowValidator::idForReport(&idCell), std::move(reason));
            continue;
        }
        cells.clear();
        for (std::size_t i = 0; i < names.size(); ++i)
            cells.push_back({names[i], fields[i], std::move(rec.cells[i]), false});
        validator.add(rec.line, cells, "column");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

struct JsonMember {
    std::string key;
    std::string value;
    bool structured = false;
    bool null = false;
};

struct JsonSyntaxError {
    std::string message;
    std::size_t offset;
};

// Numbers in their shortest text form. Integers are kept digit for digit (64-bit ids do not
// survive a double); others go through a double, printed in full up to 1e21 when integral
// ("1.0" and "1e3" are the ids "1" and "1000"), else the shortest round-trip form.
std::string numberText(std::string_view raw)
{
    if (raw.find_first_of(".eE") == std::string_view::npos)
        return std::string(raw);
    double d = 0;
    const auto parsed = std::from_chars(raw.data(), raw.data() + raw.size(), d);
    if (parsed.ec != std::errc() || !std::isfinite(d))
        return std::string(raw); // out of double range: as written
    char buf[64];
    const bool integral = std::floor(d) == d && std::fabs(d) < 1e21;
    const auto printed = integral ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                                  : std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, printed.ptr);
}

// A strict RFC 8259 parser for one line holding one object. Strings may hold any bytes; their
// UTF-8 is checked afterwards per value, so that the reason names the key.
class JsonLineParser {
public:
    explicit JsonLineParser(std::string_view line)
        : m_s(line)
    {
    }

    std::vector<JsonMember> parseObjectLine()
    {
        skipSpace();
        if (peek() != '{')
            fail(peek() == '[' ? "not a JSON object (the line holds an array)" : "not a JSON object");
        ++m_pos;
        std::vector<JsonMember> members;
        skipSpace();
        if (peek() == '}') {
            ++m_pos;
        } else {
            for (;;) {
                skipSpace();
                if (peek() != '"')
                    fail("expected a key in double quotes");
                JsonMember m;
                parseString(m.key);
                skipSpace();
                expect(':', "expected ':' after the key");
                skipSpace();
                parseMemberValue(m);
                members.push_back(std::move(m));
                skipSpace();
                if (peek() == ',') {
                    ++m_pos;
                    continue;
                }
                expect('}', "expected ',' or '}'");
                break;
            }
        }
        skipSpace();
        if (m_pos < m_s.size())
            fail("unexpected text after the object");
        return members;
    }

private:
    static constexpr int kMaxDepth = 64; // deeper nesting is no catalog; and the stack is finite

    [[noreturn]] void fail(std::string message) const { throw JsonSyntaxError{std::move(message), m_pos}; }

    int peek() const { return m_pos < m_s.size() ? static_cast<unsigned char>(m_s[m_pos]) : -1; }

    void expect(char c, const char *message)
    {
        if (peek() != c)
            fail(message);
        ++m_pos;
    }

    void skipSpace()
    {
        while (
            m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\r' || m_s[m_pos] == '\n'))
            ++m_pos;
    }

    void parseMemberValue(JsonMember &m)
    {
        switch (peek()) {
        case '"':
            parseString(m.value);
            return;
        case '{':
        case '[':
            m.structured = true;
            compactValue(m.value, 1);
            return;
        case 't':
        case 'f':
        case 'n': {
            const std::string_view word = literal();
            m.null = word == "null";
            if (!m.null)
                m.value = word;
            return;
        }
        default:
            m.value = numberText(number());
        }
    }

    std::string_view literal()
    {
        for (std::string_view word : {"true", "false", "null"})
            if (m_s.substr(m_pos, word.size()) == word) {
                m_pos += word.size();
                return word;
            }
        fail("invalid literal");
    }

    std::string_view number()
    {
        const std::size_t start = m_pos;
        auto digits = [&] {
            const std::size_t from = m_pos;
            while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9')
                ++m_pos;
            return m_pos - from;
        };
        if (peek() == '-')
            ++m_pos;
        if (peek() == '0')
            ++m_pos;
        else if (digits() == 0)
            fail("expected a value");
        if (peek() == '.') {
            ++m_pos;
            if (digits() == 0)
                fail("expected a digit after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (digits() == 0)
                fail("expected a digit in the exponent");
        }
        return m_s.substr(start, m_pos - start);
    }

    unsigned hex4()
    {
        unsigned v = 0;
        for (int i = 0; i < 4; ++i, ++m_pos) {
            const int c = peek();
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                fail("expected four hex digits after \\u");
        }
        return v;
    }

    static void appendUtf8(std::string &out, char32_t c)
    {
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }

    // At the opening quote; appends the decoded bytes.
    void parseString(std::string &out)
    {
        ++m_pos;
        for (;;) {
            const std::size_t start = m_pos;
            while (m_pos < m_s.size() && m_s[m_pos] != '"' && m_s[m_pos] != '\\'
                && static_cast<unsigned char>(m_s[m_pos]) >= 0x20)
                ++m_pos;
            out.append(m_s.substr(start, m_pos - start));
            const int c = peek();
            if (c == '"') {
                ++m_pos;
                return;
            }
            if (c < 0)
                fail("unterminated string");
            if (c != '\\')
                fail("control character in a string (must be escaped)");
            ++m_pos;
            const int e = peek();
            ++m_pos;
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                char32_t cp = hex4();
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    fail("unpaired surrogate in a \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (m_s.substr(m_pos, 2) != "\\u")
                        fail("unpaired surrogate in a \\u escape");
                    m_pos += 2;
                    const char32_t low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF)
                        fail("unpaired surrogate in a \\u escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                appendUtf8(out, cp);
                break;
            }
            default:
                --m_pos;
                fail("invalid escape in a string");
            }
        }
    }

    // Any value, appended as compact JSON: strings as written (with their escapes), no
    // insignificant whitespace.
    void compactValue(std::string &out, int depth)
    {
        if (depth > kMaxDepth)
            fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
        const int c = peek();
        if (c == '"') {
            const std::size_t start = m_pos;
            std::string ignored;
            parseString(ignored);
            out.append(m_s.substr(start, m_pos - start));
        } else if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            out += static_cast<char>(c);
            ++m_pos;
            skipSpace();
            if (peek() == close) {
                ++m_pos;
                out += close;
                return;
            }
            for (;;) {
                skipSpace();
                if (c == '{') {
                    if (peek() != '"')
                        fail("expected a key in double quotes");
                    compactValue(out, depth);
                    skipSpace();
                    expect(':', "expected ':' after the key");
                    out += ':';
                    skipSpace();
                }
                compactValue(out, depth + 1);
                skipSpace();
                if (peek() == ',') {
                    ++m_pos;
                    out += ',';
                    continue;
                }
                expect(close, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
                out += close;
                return;
            }
        } else if (c == 't' || c == 'f' || c == 'n') {
            out += literal();
        } else {
            out += number();
        }
    }

    std::string_view m_s;
    std::size_t m_pos = 0;
};

struct JsonRecord {
    int line = 0;
    std::vector<JsonMember> members;
    std::string error; // the line is not a JSON object
};

void readJsonLines(std::string_view text, RowValidator &validator, ManifestReadResult &result)
{
    const std::string &file = validator.file();
    std::vector<JsonRecord> records;
    bool anyObject = false;
    int lineNo = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t eol = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        ++lineNo;
        if (trim(line).empty())
            continue;
        JsonRecord rec;
        rec.line = lineNo;
        try {
            rec.members = JsonLineParser(line).parseObjectLine();
            anyObject = true;
        } catch (const JsonSyntaxError &e) {
            rec.error = "invalid JSON: " + e.message + " at column " + std::to_string(e.offset + 1);
        }
        records.push_back(std::move(rec));
    }
    if (records.empty())
        throw Error(ErrorCode::BadManifest, file, "the manifest is empty (no JSON lines)");
    if (!anyObject)
        throw Error(ErrorCode::BadManifest, file, "line " + std::to_string(records.front().line),
            "not JSON Lines (one JSON object per line): " + records.front().error);

    // Columns: every key in first-seen order, known ones by their canonical name. A required key
    // that no row has at all is a mapping problem of the whole file, not of each row.
    std::unordered_map<std::string, std::size_t> columnIndex; // lower-cased -> index in result.columns
    bool present[3] = {};
    for (const JsonRecord &rec : records)
        for (const JsonMember &m : rec.members) {
            const std::string lower = asciiLower(trim(m.key));
            const Field field = fieldOf(lower);
            if (field <= Field::Title && !m.null)
                present[static_cast<int>(field)] = true;
            if (columnIndex.try_emplace(lower, result.columns.size()).second)
                result.columns.push_back(
                    field == Field::Attribute ? std::string(trim(m.key)) : kKnownNames[static_cast<int>(field)]);
        }
    std::vector<std::string> missing;
    for (int f = 0; f < 3; ++f)
        if (!present[f])
            missing.push_back(inQuotes(kKnownNames[f]));
    if (!missing.empty())
        throw Error(ErrorCode::BadManifest, file,
            "no row has the " + std::string(missing.size() > 1 ? "keys " : "key ") + joinAnd(missing)
                + " (keys: " + joinComma(result.columns) + ")");

    std::vector<Cell> cells;
    std::vector<std::string> seen;
    for (JsonRecord &rec : records) {
        if (!rec.error.empty()) {
            validator.reject(rec.line, {}, std::move(rec.error));
            continue;
        }
        cells.clear();
        seen.clear();
        std::string problem;
        std::string idValue; // a copy: the values move into `cells`
        for (JsonMember &m : rec.members) {
            std::size_t bad = 0;
            if (problem.empty() && !isValidUtf8(m.key, &bad))
                problem = "invalid UTF-8 in a key at byte " + std::to_string(bad);
            const std::string_view key = trim(m.key);
            std::string lower = asciiLower(key);
            if (problem.empty() && std::find(seen.begin(), seen.end(), lower) != seen.end())
                problem = "duplicate key " + inQuotes(key);
            const Field field = fieldOf(lower);
            seen.push_back(std::move(lower));
            if (field == Field::Id && !m.null && !m.structured)
                idValue = m.value;
            if (!m.null)
                cells.push_back({field == Field::Attribute ? key : kKnownNames[static_cast<int>(field)], field,
                    std::move(m.value), m.structured});
        }
        if (!problem.empty()) {
            Cell idCell;
            idCell.value = idValue;
            validator.reject(rec.line, RowValidator::idForReport(&idCell), std::move(problem));
            continue;
        }
        validator.add(rec.line, cells, "key");
    }
}

// ---------------------------------------------------------------------------------------------

std::string readWholeFile(const std::filesystem::path &manifest)
{
    const std::string file = manifest.string();
    std::error_code ec;
    const auto status = std::filesystem::status(manifest, ec);
    if (status.type() == std::filesystem::file_type::not_found)
        throw Error(ErrorCode::FileNotFound, file, "file not found");
    if (std::filesystem::is_directory(status))
        throw Error(ErrorCode::FileUnreadable, file, "is a directory, not a manifest file");
    requireRegularFile(manifest, kManifestLimit);
    errno = 0;
    std::ifstream in(manifest, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::FileUnreadable, file, "cannot open (" + describeErrno(errno ? errno : EIO) + ")");
    std::string data;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
        data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (in.bad())
        throw Error(ErrorCode::FileUnreadable, file, "read error");
    return data;
}

ManifestFormat detectFormat(const std::filesystem::path &manifest, std::string_view text)
{
    const std::string ext = asciiLower(manifest.extension().string());
    if (ext == ".csv")
        return ManifestFormat::Csv;
    if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json")
        return ManifestFormat::JsonLines;
    const std::string_view content = trim(text);
    return !content.empty() && content.front() == '{' ? ManifestFormat::JsonLines : ManifestFormat::Csv;
}

} // namespace

ManifestReadResult readCatalogManifest(const std::filesystem::path &manifest, const ManifestOptions &options)
{
    const std::string data = readWholeFile(manifest);
    std::string_view text = data;
    if (text.starts_with("\xEF\xBB\xBF")) // UTF-8 BOM, as Excel writes it
        text.remove_prefix(3);

    ManifestReadResult result;
    result.format = options.format == ManifestFormat::Auto ? detectFormat(manifest, text) : options.format;
    RowValidator validator(manifest, options, result);
    if (result.format == ManifestFormat::JsonLines)
        readJsonLines(text, validator, result);
    else
        readCsv(text, validator, result);
    return result;
}

bool writeRejectedRowsReport(const std::filesystem::path &report, const std::vector<RejectedRow> &rejected)
{
    std::ofstream out(report, std::ios::binary | std::ios::trunc);
    if (!out)
        return false;
    out << "line,id,reason\n";
    for (const RejectedRow &r : rejected)
        out << csvRow({std::to_string(r.line), r.id, r.reason});
    out.close();
    return !out.fail();
}

} // namespace lookalike
