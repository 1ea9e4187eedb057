// Running the CLI from tests.
#include "support/CliRunner.h"

#include <QCoreApplication>
#include <QProcess>
#include <QProcessEnvironment>

namespace testsupport {

QString lookalikeExecutable()
{
    const QString fromEnv = QProcessEnvironment::systemEnvironment().value(QStringLiteral("LOOKALIKE_EXECUTABLE"));
    return fromEnv.isEmpty() ? QCoreApplication::applicationDirPath() + QStringLiteral("/lookalike") : fromEnv;
}

CliResult runLookalike(const QStringList &args, int timeoutMs)
{
    return runLookalike(args, QProcessEnvironment::systemEnvironment(), timeoutMs);
}

CliResult runLookalike(const QStringList &args, const QProcessEnvironment &environment, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(environment);
    p.start(lookalikeExecutable(), args);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace testsupport
