// libFuzzer target: a tokenizer.json as a hostile folder could hold it (HfBpeModel, the part of
// GemmaTokenizer that reads Hugging Face tokenizers files). Each input is parsed; if it loads,
// a few texts are encoded and every piece must come with an id inside the vocabulary.
// Rejections must be lookalike::Error; a crash, a hang or a huge allocation is a finding.
#include "core/Error.h"
#include "core/text/HfBpeModel.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size)));
    if (!doc.isObject())
        return 0;
    try {
        const lookalike::HfBpeModel model = lookalike::HfBpeModel::fromJson(doc.object(), "tokenizer.json");
        for (const char *text : {"red cotton t-shirt", "  Zürich 12 \xF0\x9F\x98\x80", "", "\xE2\x96\x81\xE2\x96\x81"}) {
            for (const auto &piece : model.encode(text))
                if (piece.id < 0 || piece.id >= model.vocabSize())
                    __builtin_trap();
        }
    } catch (const lookalike::Error &) {
    }
    return 0;
}
