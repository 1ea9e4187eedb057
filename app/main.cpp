// Entry point of `lookalike`: a subcommand (or --help/--version) runs the CLI, anything
// else opens the GUI.
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
        return QApplication::exec();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lookalike: error: %s\n", e.what());
        return 1;
    }
}
