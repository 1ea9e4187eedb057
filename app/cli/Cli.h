// The command-line interface: `lookalike <command> [options]`.
#pragma once

#include <QStringList>

namespace lookalike::cli {

// Exit statuses shared by every command.
enum ExitStatus { Success = 0, Failure = 1, UsageError = 2 };

// True when argv asks for the CLI (a known command, --help or --version, or an unknown word).
bool isCliInvocation(int argc, char **argv);
int run(int argc, char **argv);

// Commands: each parses its own options from `args` (args[0] is "lookalike <command>").
int embedCommand(const QStringList &args);
int initCommand(const QStringList &args);
int importCommand(const QStringList &args);
int indexCommand(const QStringList &args);
int mergeShardsCommand(const QStringList &args);
int queriesCommand(const QStringList &args);
int neighboursCommand(const QStringList &args);
int modelsCommand(const QStringList &args);
int judgeCommand(const QStringList &args);
int evalCommand(const QStringList &args);
int exportCommand(const QStringList &args);
int planCommand(const QStringList &args);
int reportCommand(const QStringList &args);
int importQrelsCommand(const QStringList &args);
int importRunCommand(const QStringList &args);
int agreementCommand(const QStringList &args);
int settingsCommand(const QStringList &args);
int autojudgeCommand(const QStringList &args);
int demoCommand(const QStringList &args);
int finetuneCommand(const QStringList &args);
int assignCommand(const QStringList &args);
int progressCommand(const QStringList &args);

} // namespace lookalike::cli
