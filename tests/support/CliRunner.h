// Runs the `lookalike` executable built next to the tests and captures its output.
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
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
// The same in a given environment (another BLAS kernel, say).
CliResult runLookalike(const QStringList &args, const QProcessEnvironment &environment, int timeoutMs = 120000);

} // namespace testsupport

// Fails the test with the command's stderr unless it exited 0. Evaluates `result` once: Qt 6.4's
// QVERIFY2 evaluates its message even when the check passes, so a bare
// QVERIFY2(run().exitCode == 0, run().err) would run the command twice.
#define CHECK_OK(result)                                                                           \
    do {                                                                                           \
        const testsupport::CliResult checkOkResult_ = (result);                                    \
        QVERIFY2(checkOkResult_.exitCode == 0, checkOkResult_.err.constData());                    \
    } while (false)
