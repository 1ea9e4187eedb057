// libFuzzer target: another system's result lists (RunFile.h) of arbitrary bytes, read in each of
// the three forms (TREC run, CSV, JSON Lines) and ordered. Rejections must be lookalike::Error;
// every kept row must be usable (ids, a rank >= 1, a finite score where there is one) and every
// problem must name a line of the input in one line of text; anything else is a finding.
#include "core/Error.h"
#include "core/metrics/RunFile.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n') + std::count(text.begin(), text.end(), '\r'));
    for (const auto format : {lookalike::RunFileFormat::Trec, lookalike::RunFileFormat::Csv, lookalike::RunFileFormat::JsonLines}) {
        try {
            lookalike::RunFileContents c = lookalike::parseRunRows(text, format, "run");
            std::map<std::string, std::vector<lookalike::RunFileRow>> byQuery;
            for (lookalike::RunFileRow &row : c.rows) {
                if (row.line < 1 || row.line > lines || row.query.empty() || row.candidate.empty() || row.rank < 1)
                    __builtin_trap();
                if (format == lookalike::RunFileFormat::Trec && !row.score)
                    __builtin_trap(); // a TREC row always has its score: the order needs it
                if (row.score && !std::isfinite(*row.score))
                    __builtin_trap();
                byQuery[row.query].push_back(row);
            }
            for (const auto &p : c.problems)
                if (p.line < 1 || p.line > lines || p.reason.empty() || p.reason.find('\n') != std::string::npos)
                    __builtin_trap();
            for (auto &[query, rows] : byQuery)
                lookalike::orderRunRows(rows, format);
        } catch (const lookalike::Error &) {
        }
    }
    return 0;
}
