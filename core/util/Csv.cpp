// RFC 4180 fields and rows (see Csv.h).
#include "core/util/Csv.h"

#include <cctype>

namespace lookalike {

namespace {

// [+-]? digits [. digits] [e [+-] digits], or [+-]? . digits ...: what a spreadsheet reads as a number.
bool isPlainNumber(std::string_view s)
{
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t from = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        return i - from;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        ++i;
    std::size_t mantissa = digits();
    if (i < s.size() && s[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0)
        return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            ++i;
        if (digits() == 0)
            return false;
    }
    return i == s.size();
}

bool couldBeAFormula(std::string_view s)
{
    if (s.empty())
        return false;
    switch (s.front()) {
    case '=': case '@': case '\t': case '\r':
        return true;
    case '+': case '-':
        return !isPlainNumber(s);
    default:
        return false;
    }
}

} // namespace

std::string csvField(std::string_view text)
{
    std::string neutral;
    if (couldBeAFormula(text))
        neutral = "'" + std::string(text);
    const std::string_view s = neutral.empty() ? text : std::string_view(neutral);
    if (s.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

QString csvField(const QString &s)
{
    return QString::fromStdString(csvField(s.toStdString()));
}

std::string csvRow(const std::vector<std::string> &fields)
{
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i)
        out += (i ? "," : "") + csvField(fields[i]);
    return out + '\n';
}

QString csvRow(const QStringList &fields)
{
    QString out;
    for (qsizetype i = 0; i < fields.size(); ++i)
        out += (i ? QStringLiteral(",") : QString()) + csvField(fields[i]);
    return out + QLatin1Char('\n');
}

} // namespace lookalike
