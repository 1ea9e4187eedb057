// Output helpers shared by the CLI commands: one-line errors on stderr, text on stdout.
#pragma once

#include <QString>

#include <exception>
#include <optional>

class QCommandLineParser;
#include <QStringList>

namespace lookalike::cli {

void printOut(const QString &text);           // to stdout, as is
void printError(const QString &message);      // "lookalike: error: <message>\n" on stderr
// Parses a command's arguments (after adding --help). Returns an exit status when the command
// must stop here (help shown: 0; bad usage: 2, with the reason on stderr), nothing otherwise.
// `positional` names the required positional arguments, e.g. {"PROJECT"}.
std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args,
                                    const QStringList &positional);

// Reads an integer option; prints a usage error and returns nothing if it is not one >= minimum.
std::optional<long long> intOption(const QCommandLineParser &parser, const QString &name, long long minimum);

// Runs `body`, turning any exception into a one-line error and exit status 1.
template<typename Body>
int guarded(Body &&body)
{
    try {
        return body();
    } catch (const std::exception &e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

} // namespace lookalike::cli
