// libFuzzer target: a .safetensors file of arbitrary bytes (header length, JSON header, data).
// Whatever open() accepts must then be readable through the whole API without leaving the
// mapping; whatever it rejects must be rejected with lookalike::Error (anything else escaping
// is a finding).
#include "fuzz/FuzzSupport.h"

#include "core/Error.h"
#include "core/checkpoint/SafetensorsFile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static lookalike::fuzz::ScratchFile file("model.safetensors");
    const auto &path = file.write(data, size);
    try {
        const auto st = lookalike::SafetensorsFile::open(path);
        for (const auto &[key, value] : st.metadata())
            (void)(key.size() + value.size());
        for (const std::string &name : st.tensorNames()) {
            const auto &info = st.info(name);
            volatile std::byte sink{};
            for (const std::byte b : st.bytes(name))
                sink = b; // every byte of every tensor is inside the mapping
            (void)sink;
            (void)info.elementCount();
            try {
                (void)st.readFloat32(name);
            } catch (const lookalike::Error &) { // integer dtypes
            }
            try {
                st.requireShape(name, {1, 2});
            } catch (const lookalike::Error &) {
            }
        }
    } catch (const lookalike::Error &) {
    }
    return 0;
}
