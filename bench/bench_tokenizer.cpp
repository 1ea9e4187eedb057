// Gemma tokenizer at the real vocabulary's size: load time and titles/s on one core for a
// tokenizer.json with 256,000 pieces and ~250,000 merges (the size of google/siglip2-*'s),
// generated here from the tiny checkpoint's settings with merges that build longer and longer
// pieces of product-title text, so that nothing is downloaded.
//
//   bench_tokenizer [--vocab N] [--titles N]
#include "core/text/GemmaTokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace lookalike;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char *const kWords[] = {"red", "blue", "black", "white", "cotton", "leather", "wallet", "shirt", "dress",
    "phone", "case", "bottle", "steel", "wireless", "headphones", "kids", "set", "pieces", "vintage", "denim",
    "jacket", "sneakers", "running", "women", "men", "size", "large", "small", "new", "used", "with", "and", "for",
    "zip", "pro", "max", "mini", "watch", "bag", "lamp", "ceramic", "mug", "wool", "silk", "gold", "silver"};

std::string title(std::mt19937 &rng)
{
    std::string t;
    const int n = 4 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
        if (i)
            t += ' ';
        t += kWords[rng() % std::size(kWords)];
        if (rng() % 5 == 0)
            t += std::to_string(rng() % 1000);
    }
    return t;
}

} // namespace

int main(int argc, char **argv)
{
    int vocabSize = 256000;
    int titleCount = 20000;
    for (int a = 1; a + 1 < argc; a += 2) {
        if (!std::strcmp(argv[a], "--vocab"))
            vocabSize = std::atoi(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--titles"))
            titleCount = std::atoi(argv[a + 1]);
    }
    const fs::path source = LOOKALIKE_GEMMA_FOLDER;
    const fs::path dir = fs::temp_directory_path() / "lookalike-bench-tokenizer";
    fs::create_directories(dir);
    fs::copy_file(source / "tokenizer_config.json", dir / "tokenizer_config.json", fs::copy_options::overwrite_existing);

    // Start from the tiny vocabulary (specials, bytes, characters), then add merges of two
    // existing pieces, preferring pieces seen in titles so that encoding does real merging.
    QFile in(QString::fromStdString((source / "tokenizer.json").string()));
    if (!in.open(QIODevice::ReadOnly))
        return 1;
    QJsonObject root = QJsonDocument::fromJson(in.readAll()).object();
    QJsonObject model = root.value(QStringLiteral("model")).toObject();
    QJsonObject vocab = model.value(QStringLiteral("vocab")).toObject();
    QJsonArray merges = model.value(QStringLiteral("merges")).toArray();
    std::vector<std::string> pieces;
    std::set<std::string> known;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        pieces.push_back(it.key().toStdString());
        known.insert(pieces.back());
    }
    std::mt19937 rng(7);
    std::vector<std::string> useful = pieces; // the original pieces are all reachable
    int next = static_cast<int>(vocab.size());
    while (next < vocabSize) {
        const std::string &a = useful[rng() % useful.size()];
        const std::string &b = useful[rng() % useful.size()];
        if (a.size() + b.size() > 24 || a.front() == '<' || b.front() == '<')
            continue;
        std::string m = a + b;
        if (!known.insert(m).second)
            continue;
        vocab.insert(QString::fromStdString(m), next++);
        merges.append(QJsonArray{QString::fromStdString(a), QString::fromStdString(b)});
        useful.push_back(std::move(m));
    }
    model.insert(QStringLiteral("vocab"), vocab);
    model.insert(QStringLiteral("merges"), merges);
    root.insert(QStringLiteral("model"), model);
    QFile out(QString::fromStdString((dir / "tokenizer.json").string()));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return 1;
    out.write(QJsonDocument(root).toJson(QJsonDocument::Compact));
    out.close();
    std::printf("tokenizer.json  %d pieces, %lld merges, %.1f MB\n", next, static_cast<long long>(merges.size()),
                fs::file_size(dir / "tokenizer.json") / 1e6);

    const auto t0 = Clock::now();
    const std::unique_ptr<GemmaTokenizer> tok = GemmaTokenizer::load(dir, 64);
    const double load = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("load            %.3f s (%s)\n", load, tok->description().c_str());

    std::vector<std::string> titles;
    for (int i = 0; i < titleCount; ++i)
        titles.push_back(title(rng));
    std::size_t ids = 0;
    const auto t1 = Clock::now();
    for (const std::string &t : titles)
        ids += tok->encode(t).size();
    const double secs = std::chrono::duration<double>(Clock::now() - t1).count();
    std::printf("encode          %.0f titles/s on one thread (%d titles, %zu ids, padded to 64)\n", titleCount / secs,
                titleCount, ids);
    fs::remove_all(dir);
    return 0;
}
