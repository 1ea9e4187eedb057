// Runs the `lookalike` executable built next to the tests and captures its output.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace testsupport {

struct CliResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// LOOKALIKE_EXECUTABLE (set by CTest) or the `lookalike` next to the test executable.
QString lookalikeExecutable();
CliResult runLookalike(const QStringList &args, int timeoutMs = 120000);

} // namespace testsupport
