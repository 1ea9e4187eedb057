// Reading CSV (RFC 4180) one record at a time, for every CSV file Lookalike reads (catalog
// manifests, run files). The writer is Csv.h. Line breaks are LF, CRLF or a lone CR, outside
// and inside quotes alike, so that line numbers count what an editor shows; empty lines are
// skipped. A quoting error does not stop the reader: the record carries it in `problem`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

struct CsvRecord {
    int line = 0; // physical line where the record starts
    std::vector<std::string> cells;
    std::string problem; // a quoting error: the record is rejected with this reason
};

class CsvReader {
public:
    explicit CsvReader(std::string_view text)
        : m_s(text)
    {
    }
    // The next non-empty record; false at the end of the text.
    bool next(CsvRecord &rec);

private:
    void skipLineBreak();
    // At an opening quote. False if the file ends before the closing quote.
    bool readQuoted(std::string &cell, CsvRecord &rec);

    std::string_view m_s;
    std::size_t m_pos = 0;
    int m_line = 1;
};

} // namespace lookalike
