// Output helpers shared by the CLI commands: one-line errors on stderr, text on stdout.
#pragma once

#include <QString>

#include <exception>

namespace lookalike::cli {

void printOut(const QString &text);           // to stdout, as is
void printError(const QString &message);      // "lookalike: error: <message>\n" on stderr
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
