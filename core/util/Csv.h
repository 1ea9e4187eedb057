// The one CSV writer of every CSV file Lookalike writes (eval --csv, the metrics panel's
// export, rejected-rows.csv, the demo catalog): RFC 4180 quoting, so that a name or a reason
// holding a comma, a quote or a line break stays one field; and OWASP's rule against formula
// injection, since these files are opened in spreadsheets: a cell that starts with =, +, -, @,
// a tab or a CR gets a leading ' so that it is shown as text, never run. Plain numbers
// (-0.125, +3, -1e-05) are left as they are: a delta column stays numeric.
#pragma once

#include <QString>
#include <QStringList>

#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

// The field as is (neutralised if it could be read as a formula), quoted (quotes doubled)
// when it holds a comma, a quote, CR or LF.
std::string csvField(std::string_view s);
QString csvField(const QString &s);
// The fields, each through csvField, joined by commas, ending in a newline.
std::string csvRow(const std::vector<std::string> &fields);
QString csvRow(const QStringList &fields);

} // namespace lookalike
