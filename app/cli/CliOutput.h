// Output helpers shared by the CLI commands: one-line errors on stderr, text on stdout.
#pragma once

#include <QJsonValue>
#include <QString>

#include <QStringList>

#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

class QCommandLineParser;

namespace lookalike::cli {

void printOut(const QString &text);           // to stdout, as is
void printError(const QString &message);      // "lookalike: error: <message>\n" on stderr
// Parses a command's arguments (after adding --help). Returns an exit status when the command
// must stop here (help shown: 0; bad usage: 2, with the reason on stderr), nothing otherwise.
// `positional` names the required positional arguments, e.g. {"PROJECT"}; `optional` those
// that may follow them (e.g. {"[FOLDER]"}); with `repeatLast`, the last required one may be
// given any number of times (e.g. "SHARD..."). `descriptions` is shown in --help per name.
std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args,
                                    const QStringList &positional, const QStringList &optional = {},
                                    bool repeatLast = false, const QStringList &descriptions = {});

// Reads an integer option; prints a usage error naming the option and returns nothing if it is
// not an integer in [minimum, maximum] (a number too large for 64 bits is "out of range").
std::optional<long long> intOption(const QCommandLineParser &parser, const QString &name, long long minimum,
                                   long long maximum = std::numeric_limits<long long>::max());
// The same for a real number in [low, high]: NaN and infinities are refused too.
std::optional<double> realOption(const QCommandLineParser &parser, const QString &name, double low, double high);

// Threads a command may start (--threads, --workers): more than this is refused, not tried.
inline constexpr long long kMaxThreads = 256;

// "fingerprinting FILE ..." on stdout before a big checkpoint is hashed (nothing when quiet).
std::function<void(const std::filesystem::path &)> fingerprintNotice(bool quiet);

// A number with `decimals` digits after the point, or "n/a" when it is not finite (an empty mean).
QString fixed(double value, int decimals);
// A JSON number, or null when it is not finite (JSON has no NaN).
QJsonValue jsonNumber(double value);

// A plain-text table: columns padded to their widest cell, the first column left-aligned and
// the others right-aligned (numbers), two spaces between columns.
class TextTable {
public:
    explicit TextTable(QStringList header) { m_rows.push_back(std::move(header)); }
    void addRow(QStringList row) { m_rows.push_back(std::move(row)); }
    QString render(const QString &indent = QString()) const;

private:
    QList<QStringList> m_rows;
};

// One line for any exception: lookalike::Error as it is ("file: problem"); the standard
// library's own texts ("std::bad_alloc", "filesystem error: ...") said in words, with the file.
// With --verbose, a message that was cut (a LibTorch backtrace) follows whole on the next lines.
QString describeException(const std::exception &e);
void setVerbose(bool verbose);

// Runs `body`, turning any exception into a one-line error and exit status 1.
template<typename Body>
int guarded(Body &&body)
{
    try {
        return body();
    } catch (const std::exception &e) {
        printError(describeException(e));
        return 1;
    }
}

} // namespace lookalike::cli
