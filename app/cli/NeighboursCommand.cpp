// `lookalike neighbours`: the nearest catalog items to an item (or, with a SigLIP version, to a
// text) under one model version, live from its index.
#include "cli/Cli.h"
#include "cli/CliOutput.h"

#include "core/Error.h"
#include "core/project/CatalogSearch.h"
#include "core/project/ModelIndex.h"
#include "core/project/Project.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lookalike::cli {

namespace {

QJsonObject itemJson(const Item &item)
{
    return {{QStringLiteral("id"), QString::fromStdString(item.key)},
            {QStringLiteral("title"), QString::fromStdString(item.title)},
            {QStringLiteral("category"), QString::fromStdString(item.category)},
            {QStringLiteral("image"), QString::fromStdString(item.image.string())}};
}

} // namespace

int neighboursCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Show the nearest catalog items to a catalog item (--query) or to a text (--text, SigLIP versions only), "
        "searched live in the version's index. The query item itself never appears in its list."));
    const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("Model version name."), QStringLiteral("NAME"));
    const QCommandLineOption queryOpt(QStringLiteral("query"), QStringLiteral("Catalog id of the query item."), QStringLiteral("ID"));
    const QCommandLineOption textOpt(QStringLiteral("text"), QStringLiteral("Text to search for (SigLIP text tower)."), QStringLiteral("STRING"));
    const QCommandLineOption kOpt({QStringLiteral("k"), QStringLiteral("count")}, QStringLiteral("How many neighbours (default 10)."), QStringLiteral("K"), QStringLiteral("10"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption dupOpt(QStringLiteral("exclude-duplicates"), QStringLiteral("Leave out items with the same embedding as the query (within 1e-4: the same photo)."));
    parser.addOptions({modelOpt, queryOpt, textOpt, kOpt, jsonOpt, dupOpt});
    if (auto status = parseCommandLine(parser, args, {QStringLiteral("PROJECT")}))
        return *status;
    if (!parser.isSet(modelOpt) || parser.isSet(queryOpt) == parser.isSet(textOpt)) {
        printError(QStringLiteral("neighbours needs --model NAME and one of --query ID or --text STRING"));
        return UsageError;
    }
    const auto k = intOption(parser, QStringLiteral("k"), 1);
    if (!k)
        return UsageError;

    return guarded([&] {
        Project project = Project::open(parser.positionalArguments().at(0).toStdString());
        const ModelVersion version = requireModelVersion(project, parser.value(modelOpt).toStdString());
        const ModelIndex index = ModelIndex::load(project, version);
        std::vector<Hit> hits;
        QJsonObject queryJson;
        QString heading;
        if (parser.isSet(queryOpt)) {
            const std::string key = parser.value(queryOpt).toStdString();
            const Item item = project.requireItem(key);
            const auto found = index.neighboursOfItems({item.id}, static_cast<int>(*k), parser.isSet(dupOpt));
            if (found.empty())
                throw Error(ErrorCode::NotFound, item.image.string(),
                            "item '" + key + "' has no embedding under '" + version.name + "' (its image failed?)");
            hits = found.begin()->second;
            queryJson = itemJson(item);
            heading = QStringLiteral("Neighbours of %1 \"%2\" under %3\n")
                          .arg(QString::fromStdString(key), QString::fromStdString(item.title), QString::fromStdString(version.name));
        } else {
            const std::string text = parser.value(textOpt).toStdString();
            hits = CatalogSearch(project.folder(), version.name).byText(text, static_cast<int>(*k));
            queryJson = {{QStringLiteral("text"), QString::fromStdString(text)}};
            heading = QStringLiteral("Items nearest to the text \"%1\" under %2\n")
                          .arg(QString::fromStdString(text), QString::fromStdString(version.name));
        }
        std::vector<std::int64_t> ids;
        for (const Hit &h : hits)
            ids.push_back(h.itemId);
        const std::vector<Item> items = project.items(ids);

        if (parser.isSet(jsonOpt)) {
            QJsonArray list;
            for (std::size_t i = 0; i < hits.size(); ++i) {
                QJsonObject o = itemJson(items[i]);
                o.insert(QStringLiteral("rank"), static_cast<int>(i + 1));
                o.insert(QStringLiteral("score"), static_cast<double>(hits[i].score));
                list.append(o);
            }
            const QJsonObject doc{{QStringLiteral("model"), QString::fromStdString(version.name)},
                                  {QStringLiteral("index"), QString::fromLatin1(indexKindName(index.kind()))},
                                  {QStringLiteral("query"), queryJson},
                                  {QStringLiteral("neighbours"), list}};
            printOut(QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
            return int(Success);
        }
        QString out = heading + QStringLiteral("rank   score  %1  %2  title\n")
                                    .arg(QStringLiteral("id").leftJustified(16), QStringLiteral("category").leftJustified(16));
        for (std::size_t i = 0; i < hits.size(); ++i)
            out += QStringLiteral("%1  %2  %3  %4  %5\n")
                       .arg(i + 1, 4)
                       .arg(hits[i].score, 7, 'f', 4)
                       .arg(QString::fromStdString(items[i].key).leftJustified(16),
                            QString::fromStdString(items[i].category).leftJustified(16),
                            QString::fromStdString(items[i].title));
        printOut(out);
        return int(Success);
    });
}

} // namespace lookalike::cli
