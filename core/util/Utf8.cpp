// UTF-8 validation: one pass, no allocation.
#include "core/util/Utf8.h"

namespace lookalike {

bool isValidUtf8(std::string_view bytes, std::size_t *badOffset)
{
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    auto bad = [&] {
        if (badOffset)
            *badOffset = i;
        return false;
    };
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        // Lead byte -> length and the allowed range of the second byte, which is what rules out
        // overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
        std::size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return bad(); // stray continuation byte, C0/C1 overlong lead, or F5..FF
        }
        if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi)
            return bad();
        for (std::size_t k = 2; k < len; ++k)
            if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
                return bad();
        i += len;
    }
    return true;
}

std::string quotedForMessage(std::string_view whole)
{
    static const char hex[] = "0123456789ABCDEF";
    // A 10 MB id must not become a 10 MB message: at most 80 bytes, then how long it was.
    std::string_view s = whole.substr(0, 80);
    while (s.size() < whole.size() && !s.empty() && (static_cast<unsigned char>(whole[s.size()]) & 0xC0) == 0x80)
        s.remove_suffix(1); // not inside a UTF-8 sequence
    std::string out = "'";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        } else {
            out += c;
        }
    }
    if (s.size() < whole.size())
        out += "... (" + std::to_string(whole.size()) + " bytes)";
    return out + "'";
}

} // namespace lookalike
