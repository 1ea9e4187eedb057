// Command dispatch, --help and --version.
#include "cli/Cli.h"

#include "cli/CliOutput.h"
#include "core/Version.h"
#include "core/text/SiglipTokenizer.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <array>
#include <cstring>

namespace lookalike::cli {

namespace {

struct Command {
    const char *name;
    const char *summary;
    int (*run)(const QStringList &args);
};

constexpr std::array kCommands{
    Command{"demo", "Build the demo project (generated catalog, SigLIP before and after fine-tuning, silver grades) and open it", &demoCommand},
    Command{"init", "Create a project folder from a catalog manifest (CSV or JSON Lines)", &initCommand},
    Command{"import", "Re-import a catalog manifest into a project (idempotent)", &importCommand},
    Command{"index", "Embed the catalog with a model version, build its index, freeze result lists", &indexCommand},
    Command{"merge-shards", "Join the shard folders of `index --shard I/N` into a version's embeddings (checked)", &mergeShardsCommand},
    Command{"queries", "Add a seeded (stratified) sample or a list of items to the query set", &queriesCommand},
    Command{"neighbours", "Nearest catalog items to an item or a text under a model version", &neighboursCommand},
    Command{"models", "List the model versions of a project", &modelsCommand},
    Command{"finetune", "Fine-tune a SigLIP checkpoint on the catalog's image-title pairs (sigmoid loss)", &finetuneCommand},
    Command{"judge", "Grade a (query, candidate) pair as a rater; undo or redo", &judgeCommand},
    Command{"eval", "Metrics per model version (nDCG@5, P@1, ...) and their comparison, by category, per query", &evalCommand},
    Command{"plan", "Where a comparison of two versions stands, and the pairs to judge next (judging planner)", &planCommand},
    Command{"export", "Write TREC qrels and run files (checkable with trec_eval)", &exportCommand},
    Command{"report", "Write the evaluation report: one self-contained HTML page (prints to PDF)", &reportCommand},
    Command{"import-qrels", "Import TREC qrels from another tool as one rater's grades", &importQrelsCommand},
    Command{"import-run", "Register a version from another system's result lists (TREC run, CSV, JSON Lines)", &importRunCommand},
    Command{"agreement", "Agreement between raters: weighted kappa, Krippendorff's alpha, disagreements", &agreementCommand},
    Command{"autojudge", "Pre-grade the frozen lists from catalog attributes as a silver judge", &autojudgeCommand},
    Command{"settings", "Show or change the grade scale, relevance threshold, resolution rule and judgment database", &settingsCommand},
    Command{"assign", "Assign the queries to raters (each to one; a share to two, for agreement)", &assignCommand},
    Command{"progress", "Each rater's progress: assigned, done, in progress, the query they are on", &progressCommand},
    Command{"embed", "Embed images and texts with a SigLIP checkpoint; print embeddings and logits", &embedCommand},
};

QString usage()
{
    QString text = QStringLiteral(
        "Usage: lookalike [PROJECT]            open the reviewer GUI (on a project folder)\n"
        "       lookalike <command> [options]  run a command (lookalike <command> --help for its options)\n"
        "\nCommands:\n");
    for (const Command &c : kCommands)
        text += QStringLiteral("  %1  %2\n").arg(QString::fromLatin1(c.name).leftJustified(12), QString::fromLatin1(c.summary));
    text += QStringLiteral("\nOptions:\n  -h, --help     show this help\n  -v, --version  show the version\n"
                           "  --verbose      with any command: an error also prints the library's whole message\n"
                           "                 (a LibTorch backtrace, say) after its one line\n");
    return text;
}

const Command *findCommand(const char *name)
{
    for (const Command &c : kCommands)
        if (std::strcmp(c.name, name) == 0)
            return &c;
    return nullptr;
}

bool isHelpOrVersion(const char *arg)
{
    for (const char *flag : {"-h", "--help", "help", "-v", "--version", "version"})
        if (std::strcmp(arg, flag) == 0)
            return true;
    return false;
}

} // namespace

bool isCliInvocation(int argc, char **argv)
{
    if (argc < 2)
        return false;
    const char *first = argv[1];
    if (isHelpOrVersion(first) || findCommand(first))
        return true;
    // A word that is neither a command nor an existing path (a project folder, later) is a
    // mistyped command: answer on the terminal instead of opening a window.
    return first[0] != '-' && !QFileInfo::exists(QString::fromLocal8Bit(first));
}

int run(int argc, char **argv)
{
    // Qt would silently turn invalid bytes into U+FFFD; a product title must not change unseen.
    for (int i = 1; i < argc; ++i) {
        std::size_t bad = 0;
        if (!isValidUtf8(argv[i], &bad)) {
            printError(QStringLiteral("command-line argument %1 is not valid UTF-8 (bad byte at offset %2)").arg(i).arg(bad));
            return UsageError;
        }
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lookalike"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LOOKALIKE_VERSION));
    const QStringList args = QCoreApplication::arguments();
    const QString first = args.value(1);

    if (first == QLatin1String("-v") || first == QLatin1String("--version") || first == QLatin1String("version")) {
        printOut(QStringLiteral("lookalike %1\n").arg(QStringLiteral(LOOKALIKE_VERSION)));
        return Success;
    }
    if (first == QLatin1String("-h") || first == QLatin1String("--help") || first == QLatin1String("help")) {
        printOut(usage());
        return Success;
    }
    const Command *command = findCommand(argv[1]);
    if (!command) {
        printError(QStringLiteral("unknown command '%1' (see lookalike --help)").arg(first));
        return UsageError;
    }
    QStringList commandArgs = args.mid(2);
    // --verbose belongs to no command: taken out here, it applies to every one.
    if (commandArgs.removeAll(QStringLiteral("--verbose")) > 0)
        setVerbose(true);
    commandArgs.prepend(QStringLiteral("lookalike ") + first);
    return command->run(commandArgs);
}

} // namespace lookalike::cli
