// UTF-8 well-formedness (Unicode's Table 3-7: no overlongs, no surrogates, nothing above
// U+10FFFF), shared by the tokenizer, the command line and the catalog reader.
#pragma once

#include <cstddef>
#include <string_view>

namespace lookalike {

// True if `bytes` is well-formed UTF-8; otherwise `badOffset` gets the first bad byte.
bool isValidUtf8(std::string_view bytes, std::size_t *badOffset = nullptr);

} // namespace lookalike
