// Entry point of `lookalike`: a subcommand (or --help/--version) runs the CLI, anything
// else opens the GUI (on the project folder given, if any):
//
//   lookalike [PROJECT] [--rater NAME] [--compare] [--blind] [--tab review|inspect|search|map]
#include "cli/Cli.h"
#include "ui/MainWindow.h"
#include "ui/TestDriver.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <exception>

int main(int argc, char **argv)
{
    if (lookalike::cli::isCliInvocation(argc, argv))
        return lookalike::cli::run(argc, argv);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Lookalike"));
    QApplication::setOrganizationName(QStringLiteral("Lookalike"));
    QCommandLineParser parser;
    const QCommandLineOption raterOpt(QStringLiteral("rater"),
        QStringLiteral("Who is grading (default: the remembered name, asked on first use)."), QStringLiteral("NAME"));
    const QCommandLineOption compareOpt(QStringLiteral("compare"), QStringLiteral("Start in compare mode."));
    const QCommandLineOption blindOpt(QStringLiteral("blind"), QStringLiteral("Start in blind compare mode."));
    const QCommandLineOption tabOpt(QStringLiteral("tab"),
        QStringLiteral("Start on a tab: review, inspect, search or map."), QStringLiteral("TAB"));
    parser.addOptions({raterOpt, compareOpt, blindOpt, tabOpt});
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("A project folder to open."));
    if (!parser.parse(QApplication::arguments())) {
        std::fprintf(stderr, "lookalike: error: %s (see lookalike --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    try {
        lookalike::ui::MainWindow window;
        window.show();
        if (lookalike::ui::TestDriver::enabled()) // tests only: keys from stdin (see ui/TestDriver.h)
            new lookalike::ui::TestDriver(&app);
        const QStringList positional = parser.positionalArguments();
        if (!positional.isEmpty() && window.openProject(positional.first(), parser.value(raterOpt)))
            window.applyStartOptions(
                parser.isSet(compareOpt) || parser.isSet(blindOpt), parser.isSet(blindOpt), parser.value(tabOpt));
        return QApplication::exec();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lookalike: error: %s\n", e.what());
        return 1;
    }
}
