// `lookalike demo`: the whole loop on a built-in catalog with nothing of the user's: generate the
// product photos, make a project, sample queries, index three model versions (the shipped tiny
// SigLIP before and after fine-tuning on this catalog, and a hand-crafted colour/shape
// baseline), pre-grade them with the silver judge - through the same core functions as
// `init`, `queries`, `index` and `autojudge` - then print the comparison (`eval`'s output) and
// open the app comparing the first two.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/demo/DemoCatalog.h"
#include "core/index/NpyFile.h"
#include "core/project/AddQueries.h"
#include "core/project/AutoJudge.h"
#include "core/project/IndexVersion.h"
#include "core/project/Project.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <fstream>

namespace lookalike::cli {

namespace {

constexpr const char *kDemoRule = "category+colour=3,category=2,colour=1";
constexpr const char *kCompleteKey = "demo_complete";

// The models the project ships: installed under share/lookalike/models, or in the source tree
// when running from a build folder.
QString shippedModel(const QString &name)
{
    const QStringList roots{QCoreApplication::applicationDirPath() + QStringLiteral("/../share/lookalike/models"),
        QStringLiteral(LOOKALIKE_SOURCE_MODELS_DIR)};
    for (const QString &root : roots)
        if (QFileInfo::exists(root + QLatin1Char('/') + name + QStringLiteral("/config.json")))
            return QDir(root + QLatin1Char('/') + name).absolutePath();
    throw Error(ErrorCode::FileNotFound, (roots.first() + QLatin1Char('/') + name).toStdString(),
        "the shipped model is missing (is Lookalike installed completely?)");
}

int runStep(int (*command)(const QStringList &), const QString &name, QStringList args)
{
    args.prepend(QStringLiteral("lookalike ") + name);
    const int status = command(args);
    if (status != 0)
        throw Error(
            ErrorCode::Internal, {}, "lookalike demo", "the step '" + name.toStdString() + "' failed (see above)");
    return status;
}

} // namespace

int demoCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Build the demo project (generated product photos, two model versions, a query set pre-graded by the silver "
        "judge) and open it in the app, comparing the versions. The first run takes a few seconds; later runs open the "
        "same project (with --rebuild, it is made again)."));
    const QCommandLineOption itemsOpt(QStringLiteral("items"), QStringLiteral("Catalog size (default 2400)."),
        QStringLiteral("N"), QStringLiteral("2400"));
    const QCommandLineOption queriesOpt(QStringLiteral("queries"), QStringLiteral("Query set size (default 240)."),
        QStringLiteral("N"), QStringLiteral("240"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"),
        QStringLiteral("Seed of the catalog and the query sample (default 1)."), QStringLiteral("S"),
        QStringLiteral("1"));
    const QCommandLineOption rebuildOpt(
        QStringLiteral("rebuild"), QStringLiteral("Make the project again even if it exists."));
    const QCommandLineOption noOpenOpt(QStringLiteral("no-open"), QStringLiteral("Build it but do not open the app."));
    parser.addOptions({itemsOpt, queriesOpt, seedOpt, rebuildOpt, noOpenOpt});
    if (auto status = parseCommandLine(parser, args, {}, {QStringLiteral("FOLDER")}, false,
                                       {QStringLiteral("Where to put it (default: the user's data folder, lookalike/demo).")}))
        return *status;
    const auto items = intOption(parser, QStringLiteral("items"), 50);
    const auto queries = intOption(parser, QStringLiteral("queries"), 1);
    const auto seed = intOption(parser, QStringLiteral("seed"), 0);
    if (!items || !queries || !seed)
        return UsageError;
    const QString folder = QDir(
        parser.positionalArguments().value(0,
            QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/lookalike/demo")))
                               .absolutePath();
    const QString project = folder + QStringLiteral("/project");
    const QString fingerprint = QStringLiteral("items=%1 queries=%2 seed=%3").arg(*items).arg(*queries).arg(*seed);

    const int status = guarded([&] {
        bool ready = false;
        if (Project::exists(project.toStdString()) && !parser.isSet(rebuildOpt)) {
            Project p = Project::open(project.toStdString());
            ready = p.setting(kCompleteKey).value_or("") == fingerprint.toStdString();
        }
        if (ready) {
            printOut(QStringLiteral("the demo project is ready: %1\n").arg(project));
            return int(Success);
        }
        // A half-made or different demo: start again (it is all generated).
        QDir(folder).removeRecursively();
        const QString catalog = folder + QStringLiteral("/catalog");
        printOut(QStringLiteral("drawing %1 product photos in %2 ...\n").arg(*items).arg(catalog));
        DemoCatalogOptions options;
        options.items = static_cast<int>(*items);
        options.seed = static_cast<std::uint64_t>(*seed);
        const std::vector<DemoItem> demo = writeDemoCatalog(catalog.toStdString(), options);

        // The same core functions as `init`, `queries`, `index` and `autojudge`.
        Project p = Project::create(project.toStdString());
        const CatalogImportReport imported = p.importCatalog((catalog + QStringLiteral("/catalog.csv")).toStdString(), {});
        printOut(QStringLiteral("created project %1: %2 items\n").arg(project).arg(imported.added));
        const QuerySample sample = sampleNewQueries(p, *queries, static_cast<std::uint64_t>(*seed), true);
        const AddQueriesReport added = addQueriesAndFreeze(p, sample.items, sample.source);
        printOut(QStringLiteral("added %1 queries\n").arg(added.added));
        auto index = [&](IndexVersionRequest request) {
            const IndexVersionReport r = indexVersion(p, request);
            if (!r.complete || r.indexFailure)
                throw Error(ErrorCode::Internal, project.toStdString(),
                            "indexing '" + request.name + "' failed: " + r.indexFailure.value_or("not every image was embedded"));
            printOut(QStringLiteral("indexed %1: %2 lists frozen\n")
                         .arg(QString::fromStdString(r.version.name))
                         .arg(r.indexed->frozen.frozen));
        };

        // The baseline first (the app compares the first two versions): the shipped tiny SigLIP
        // before fine-tuning, then the same model fine-tuned on this catalog, then a classic
        // hand-crafted baseline.
        for (const char *model : {"siglip-tiny-random", "siglip-tiny-demo-finetuned"}) {
            IndexVersionRequest request;
            request.name = model;
            request.kind = ModelKind::Siglip;
            request.source = shippedModel(QString::fromLatin1(model)).toStdString();
            index(request);
        }
        printOut(QStringLiteral("computing the hand-crafted embeddings ...\n"));
        std::vector<std::filesystem::path> images;
        QString ids;
        for (const DemoItem &item : demo) {
            images.push_back(std::filesystem::path(catalog.toStdString()) / item.image);
            ids += QString::fromStdString(item.id) + QLatin1Char('\n');
        }
        const QString npy = folder + QStringLiteral("/handcrafted.npy"),
                      idsFile = folder + QStringLiteral("/handcrafted-ids.txt");
        writeNpyMatrix(npy.toStdString(), handcraftedEmbeddings(images));
        {
            std::ofstream out(idsFile.toStdString(), std::ios::trunc);
            out << ids.toStdString();
        }
        IndexVersionRequest handcrafted;
        handcrafted.name = "handcrafted-colour-shape";
        handcrafted.kind = ModelKind::Precomputed;
        handcrafted.source = npy.toStdString();
        handcrafted.ids = idsFile.toStdString();
        index(handcrafted);
        const AutoJudgeReport judged = autoJudge(p, parseAutoJudgeRule(kDemoRule), "silver");
        printOut(QStringLiteral("%1 pairs judged as silver: %2 grades recorded, %3 unchanged\n")
                     .arg(judged.pairs)
                     .arg(judged.changed)
                     .arg(judged.unchanged));
        p.setSetting(kCompleteKey, fingerprint.toStdString());
        printOut(QStringLiteral("\n"));
        runStep(&evalCommand, QStringLiteral("eval"), {project, QStringLiteral("--resamples"), QStringLiteral("2000")});
        printOut(QStringLiteral("\nthe demo project is ready: %1\n").arg(project));
        return int(Success);
    });
    if (status != Success || parser.isSet(noOpenOpt))
        return status;
    // The CLI runs without a GUI application object: open the app as its own process.
    const QString exe = QCoreApplication::applicationFilePath();
    if (!QProcess::startDetached(exe, {project, QStringLiteral("--compare")})) {
        printError(QStringLiteral("%1: cannot start the app; open %2 yourself").arg(exe, project));
        return Failure;
    }
    printOut(QStringLiteral("opening it in the app, comparing the two versions ...\n"));
    return Success;
}

} // namespace lookalike::cli
