// Line-oriented text, as the TREC and JSON Lines readers walk it: '\n'-separated lines numbered
// from 1 (a CR before the LF stays on the line, where whitespace handling drops it), and
// whitespace-separated fields with C's isspace() in the "C" locale, as trec_eval splits them,
// and the numbers in such fields.
#pragma once

#include <charconv>
#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>

namespace lookalike {

inline bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Calls f(number, line) for every line of `text` (none for an empty text).
template <typename F> void forEachLine(std::string_view text, F &&f)
{
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        f(++number, text.substr(start, end - start));
        start = end + 1;
    }
}

inline std::vector<std::string_view> splitFields(std::string_view line)
{
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < line.size();) {
        while (i < line.size() && isAsciiSpace(line[i]))
            ++i;
        const std::size_t from = i;
        while (i < line.size() && !isAsciiSpace(line[i]))
            ++i;
        if (i > from)
            fields.push_back(line.substr(from, i - from));
    }
    return fields;
}

// A field that is one number and nothing else. A leading '+' is accepted, as trec_eval's
// atol / atof accept it (std::from_chars does not). `outOfRange`: it is a number, too large for T.
template <typename T> bool parseWholeNumber(std::string_view s, T &value, bool *outOfRange = nullptr)
{
    const char *first = s.data();
    const char *last = s.data() + s.size();
    if (first != last && *first == '+' && last - first > 1 && first[1] != '-' && first[1] != '+')
        ++first;
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (outOfRange)
        *outOfRange = ec == std::errc::result_out_of_range && ptr == last;
    return ec == std::errc() && ptr == last;
}

} // namespace lookalike
