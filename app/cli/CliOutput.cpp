// Output helpers for the CLI.
#include "cli/CliOutput.h"

#include "core/Error.h"

#include <QCommandLineParser>
#include <QRegularExpression>

#include <algorithm>
#include <filesystem>
#include <new>
#include <cmath>
#include <cstdio>

namespace lookalike::cli {

void printOut(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    std::fwrite(utf8.constData(), 1, static_cast<std::size_t>(utf8.size()), stdout);
    std::fflush(stdout);
}

void printError(const QString &message)
{
    QString line = message;
    line.replace(QLatin1Char('\n'), QLatin1Char(' '));
    const QByteArray utf8 = (QStringLiteral("lookalike: error: ") + line + QLatin1Char('\n')).toUtf8();
    std::fwrite(utf8.constData(), 1, static_cast<std::size_t>(utf8.size()), stderr);
    std::fflush(stderr);
}

std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args, const QStringList &positional,
                                    const QStringList &optional, bool repeatLast, const QStringList &descriptions)
{
    parser.addHelpOption();
    const QStringList names = positional + optional;
    for (qsizetype i = 0; i < names.size(); ++i)
        parser.addPositionalArgument(names[i], descriptions.value(i));
    if (!parser.parse(args)) {
        printError(parser.errorText());
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        printOut(parser.helpText());
        return 0;
    }
    const QStringList given = parser.positionalArguments();
    if (given.size() < positional.size()) {
        printError(QStringLiteral("missing %1 (see --help)").arg(positional.mid(given.size()).join(QLatin1Char(' '))));
        return 2;
    }
    if (given.size() > names.size() && !repeatLast) {
        printError(QStringLiteral("unexpected argument '%1' (see --help)").arg(given.at(names.size())));
        return 2;
    }
    return std::nullopt;
}

namespace {

// The option's value as the user gave it, cut for the message (a 10 MB argument is not echoed).
QString shown(const QCommandLineParser &parser, const QString &name)
{
    const QString v = parser.value(name);
    return v.size() <= 40 ? v : v.left(40) + QStringLiteral("...");
}

} // namespace

std::optional<long long> intOption(const QCommandLineParser &parser, const QString &name, long long minimum,
                                   long long maximum)
{
    const QString text = parser.value(name).trimmed();
    bool ok = false;
    const long long value = text.toLongLong(&ok);
    const QString range = maximum == std::numeric_limits<long long>::max()
        ? QStringLiteral(">= %1").arg(minimum)
        : QStringLiteral("in [%1, %2]").arg(minimum).arg(maximum);
    if (!ok) {
        static const QRegularExpression digits(QStringLiteral("^[+-]?[0-9]+$"));
        const bool tooBig = digits.match(text).hasMatch(); // an integer, beyond 64 bits
        printError(QStringLiteral("--%1 must be an integer %2, got '%3'%4")
                       .arg(name, range, shown(parser, name), tooBig ? QStringLiteral(" (out of range)") : QString()));
        return std::nullopt;
    }
    if (value < minimum || value > maximum) {
        printError(QStringLiteral("--%1 must be an integer %2, got %3 (out of range)").arg(name, range).arg(value));
        return std::nullopt;
    }
    return value;
}

std::optional<double> realOption(const QCommandLineParser &parser, const QString &name, double low, double high)
{
    bool ok = false;
    const double value = parser.value(name).trimmed().toDouble(&ok);
    // !(low <= v && v <= high) is also true for NaN, which every ordered comparison fails.
    if (!ok || !std::isfinite(value) || !(low <= value && value <= high)) {
        printError(QStringLiteral("--%1 must be a finite number in [%2, %3], got '%4'")
                       .arg(name)
                       .arg(low)
                       .arg(high)
                       .arg(shown(parser, name)));
        return std::nullopt;
    }
    return value;
}

std::function<void(const std::filesystem::path &)> fingerprintNotice(bool quiet)
{
    if (quiet)
        return {};
    return [](const std::filesystem::path &file) {
        printOut(QStringLiteral("fingerprinting %1 ...\n").arg(QString::fromStdString(file.string())));
    };
}

namespace {
bool g_verbose = false;
}

void setVerbose(bool verbose)
{
    g_verbose = verbose;
}

QString describeException(const std::exception &e)
{
    QString line = QString::fromStdString(oneLineMessage(e));
    const QString whole = QString::fromUtf8(e.what()).trimmed();
    if (g_verbose && whole != line && !dynamic_cast<const Error *>(&e))
        line += QStringLiteral("\n  details (--verbose):\n") + whole;
    return line;
}

QString fixed(double value, int decimals)
{
    return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("n/a");
}

QJsonValue jsonNumber(double value)
{
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

QString TextTable::render(const QString &indent) const
{
    QList<qsizetype> widths;
    for (const QStringList &row : m_rows)
        for (qsizetype c = 0; c < row.size(); ++c) {
            if (widths.size() <= c)
                widths.append(0);
            widths[c] = std::max(widths[c], row[c].size());
        }
    QString out;
    for (const QStringList &row : m_rows) {
        QString line = indent;
        for (qsizetype c = 0; c < row.size(); ++c) {
            if (c > 0)
                line += QStringLiteral("  ");
            line += c == 0 ? row[c].leftJustified(widths[c]) : row[c].rightJustified(widths[c]);
        }
        while (line.endsWith(QLatin1Char(' ')))
            line.chop(1);
        out += line + QLatin1Char('\n');
    }
    return out;
}

} // namespace lookalike::cli
