// CsvReader (see CsvReader.h).
#include "core/util/CsvReader.h"

#include <algorithm>
#include <utility>

namespace lookalike {

bool CsvReader::next(CsvRecord &rec)
{
    while (m_pos < m_s.size() && (m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
        skipLineBreak();
    if (m_pos >= m_s.size())
        return false;
    rec.line = m_line;
    rec.cells.clear();
    rec.problem.clear();
    for (;;) {
        std::string cell;
        if (m_s[m_pos] == '"') {
            if (!readQuoted(cell, rec)) {
                rec.cells.push_back(std::move(cell));
                return true; // unterminated: the quote swallowed the rest of the file
            }
        } else {
            const std::size_t end = std::min(m_s.find_first_of(",\r\n", m_pos), m_s.size());
            cell.assign(m_s.substr(m_pos, end - m_pos));
            m_pos = end;
        }
        rec.cells.push_back(std::move(cell));
        if (m_pos >= m_s.size())
            return true;
        if (m_s[m_pos] == ',') {
            ++m_pos;
            if (m_pos >= m_s.size()) { // "a,b," at the very end: a last, empty cell
                rec.cells.emplace_back();
                return true;
            }
            continue;
        }
        skipLineBreak();
        return true;
    }
}

void CsvReader::skipLineBreak()
{
    if (m_s[m_pos] == '\r' && m_pos + 1 < m_s.size() && m_s[m_pos + 1] == '\n')
        ++m_pos;
    ++m_pos;
    ++m_line;
}

bool CsvReader::readQuoted(std::string &cell, CsvRecord &rec)
{
    const int openLine = m_line;
    ++m_pos;
    for (;;) {
        const std::size_t stop = m_s.find_first_of("\"\r\n", m_pos);
        if (stop == std::string_view::npos) {
            cell.append(m_s.substr(m_pos));
            m_pos = m_s.size();
            rec.problem = "unterminated quoted field: the quote opened on line " + std::to_string(openLine)
                + " is never closed (the rest of the file is part of this record)";
            return false;
        }
        cell.append(m_s.substr(m_pos, stop - m_pos));
        m_pos = stop;
        const char c = m_s[m_pos];
        if (c == '"') {
            if (m_pos + 1 < m_s.size() && m_s[m_pos + 1] == '"') {
                cell += '"';
                m_pos += 2;
                continue;
            }
            ++m_pos;
            break;
        }
        // A line break inside the quotes is part of the value, and still a physical line.
        const std::size_t from = m_pos;
        skipLineBreak();
        cell.append(m_s.substr(from, m_pos - from));
    }
    // RFC 4180 wants the delimiter right after the closing quote. Keep whatever follows as
    // text (as Python's csv does) but reject the record: the cell is probably not what was meant.
    if (m_pos < m_s.size() && m_s[m_pos] != ',' && m_s[m_pos] != '\r' && m_s[m_pos] != '\n') {
        const std::size_t end = std::min(m_s.find_first_of(",\r\n", m_pos), m_s.size());
        cell.append(m_s.substr(m_pos, end - m_pos));
        m_pos = end;
        if (rec.problem.empty())
            rec.problem = "text after the closing quote in cell " + std::to_string(rec.cells.size() + 1);
    }
    return true;
}

} // namespace lookalike
