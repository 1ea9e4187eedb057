// Shared by the libFuzzer targets: the bytes of one input as a regular file, for parsers
// whose API takes a path. The file lives in a private temporary folder that is removed at exit,
// and is rewritten (not re-created) for every input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace lookalike::fuzz {

class ScratchFile {
public:
    explicit ScratchFile(const std::string &name)
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "lookalike-fuzz-XXXXXX").string();
        if (!::mkdtemp(tmpl.data()))
            std::abort();
        m_dir = tmpl;
        m_path = m_dir / name;
    }
    ~ScratchFile()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
    ScratchFile(const ScratchFile &) = delete;
    ScratchFile &operator=(const ScratchFile &) = delete;

    const std::filesystem::path &write(const std::uint8_t *data, std::size_t size)
    {
        std::ofstream out(m_path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
        if (!out)
            std::abort(); // a full /tmp, not a finding
        return m_path;
    }

private:
    std::filesystem::path m_dir;
    std::filesystem::path m_path;
};

} // namespace lookalike::fuzz
