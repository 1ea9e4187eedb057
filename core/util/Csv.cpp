// RFC 4180 fields and rows (see Csv.h).
#include "core/util/Csv.h"

namespace lookalike {

std::string csvField(std::string_view s)
{
    if (s.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

QString csvField(const QString &s)
{
    return QString::fromStdString(csvField(s.toStdString()));
}

std::string csvRow(const std::vector<std::string> &fields)
{
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i)
        out += (i ? "," : "") + csvField(fields[i]);
    return out + '\n';
}

QString csvRow(const QStringList &fields)
{
    QString out;
    for (qsizetype i = 0; i < fields.size(); ++i)
        out += (i ? QStringLiteral(",") : QString()) + csvField(fields[i]);
    return out + QLatin1Char('\n');
}

} // namespace lookalike
