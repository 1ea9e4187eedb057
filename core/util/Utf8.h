// UTF-8 text: well-formedness (Unicode's Table 3-7: no overlongs, no surrogates, nothing above
// U+10FFFF), shared by the tokenizer, the command line and the catalog reader; and user values
// quoted for one-line messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lookalike {

// True if `bytes` is well-formed UTF-8; otherwise `badOffset` gets the first bad byte.
bool isValidUtf8(std::string_view bytes, std::size_t *badOffset = nullptr);

// A user's value as it can be shown in a one-line message: in single quotes, control bytes (tab,
// newline, NUL...) as \xNN, and at most 80 bytes (cut on a UTF-8 boundary, then how long the
// value was), so that a 10 MB id never becomes a 10 MB message.
std::string quotedForMessage(std::string_view value);

} // namespace lookalike
