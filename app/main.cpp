// Entry point of `lookalike`: a subcommand (or --help/--version) runs the CLI, anything
// else opens the GUI (on the project folder given, if any).
#include "cli/Cli.h"
#include "ui/MainWindow.h"

#include <QApplication>

#include <exception>
#include <cstdio>

int main(int argc, char **argv)
{
    if (lookalike::cli::isCliInvocation(argc, argv))
        return lookalike::cli::run(argc, argv);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Lookalike"));
    QApplication::setOrganizationName(QStringLiteral("Lookalike"));
    try {
        lookalike::ui::MainWindow window;
        window.show();
        // `lookalike PROJECT` opens the project (a path that exists is never taken for a command).
        // `--rater NAME` sets who is grading (otherwise the remembered name, asked on first use).
        const QStringList args = QApplication::arguments();
        const qsizetype raterAt = args.indexOf(QStringLiteral("--rater"));
        const QString rater = raterAt > 0 ? args.value(raterAt + 1) : QString();
        if (args.size() > 1 && args.at(1) != QLatin1String("--rater"))
            window.openProject(args.at(1), rater);
        return QApplication::exec();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lookalike: error: %s\n", e.what());
        return 1;
    }
}
