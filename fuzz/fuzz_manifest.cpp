// libFuzzer target: a catalog manifest of arbitrary bytes, read with the format detected from
// the content (the file has no extension), leniently and strictly. Image checks are off: the
// fuzzer must not make the parser open arbitrary paths on the machine. Rejections must be
// lookalike::Error; anything else is a finding.
#include "fuzz/FuzzSupport.h"

#include "core/Error.h"
#include "core/catalog/CatalogManifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static lookalike::fuzz::ScratchFile file("manifest");
    const auto &path = file.write(data, size);
    for (const bool strict : {false, true}) {
        lookalike::ManifestOptions options;
        options.strict = strict;
        options.checkImages = false;
        try {
            const auto result = lookalike::readCatalogManifest(path, options);
            for (const auto &row : result.rows)
                if (row.line < 1 || row.id.empty())
                    __builtin_trap(); // accepted rows always have a line and an id
            for (const auto &row : result.rejected)
                if (row.line < 1 || row.reason.empty())
                    __builtin_trap();
        } catch (const lookalike::Error &) {
        }
    }
    return 0;
}
