// Random SigLIP checkpoints at any shape, written exactly as a Hugging Face folder.
#include "core/model/RandomCheckpoint.h"

#include "core/Error.h"
#include "core/image/ImagePreprocessor.h"
#include "core/checkpoint/SiglipNames.h"

#include <cmath>
#include <fstream>
#include <random>

namespace lookalike {

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
        throw Error(ErrorCode::FileUnreadable, path.string(), "cannot write file");
}

bool endsWith(const std::string &s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isNormWeight(const std::string &name)
{
    return endsWith(name, "norm1.weight") || endsWith(name, "norm2.weight") || endsWith(name, "layernorm.weight")
        || endsWith(name, "final_layer_norm.weight");
}

// Like Hugging Face's tokenizer files for SigLIP: </s> (1) and <unk> (2) as added special
// tokens that strip adjacent whitespace, pad == eos.
std::string tokenizerConfigJson(int maxLength)
{
    return R"({
  "added_tokens_decoder": {
    "1": {"content": "</s>", "lstrip": true, "normalized": false, "rstrip": true, "single_word": false, "special": true},
    "2": {"content": "<unk>", "lstrip": true, "normalized": false, "rstrip": true, "single_word": false, "special": true}
  },
  "additional_special_tokens": [],
  "do_lower_case": true,
  "eos_token": "</s>",
  "model_input_names": ["input_ids"],
  "model_max_length": )" + std::to_string(maxLength)
        + R"(,
  "pad_token": "</s>",
  "tokenizer_class": "SiglipTokenizer",
  "unk_token": "<unk>"
}
)";
}

constexpr const char *kSpecialTokensMap = R"({
  "eos_token": {"content": "</s>", "lstrip": true, "normalized": false, "rstrip": true, "single_word": false},
  "pad_token": {"content": "</s>", "lstrip": true, "normalized": false, "rstrip": true, "single_word": false},
  "unk_token": {"content": "<unk>", "lstrip": true, "normalized": false, "rstrip": true, "single_word": false}
}
)";

} // namespace

void writeRandomCheckpoint(const fs::path &folder, const SiglipConfig &config, const RandomCheckpointOptions &options)
{
    config.validate("(random checkpoint)");
    fs::create_directories(folder);
    writeText(folder / siglip::kConfigFile, config.toHuggingFaceJson());

    std::mt19937_64 rng(options.seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    std::vector<float> values;
    for (const siglip::TensorSpec &spec : siglip::expectedTensors(config)) {
        std::size_t n = 1;
        for (auto s : spec.shape)
            n *= static_cast<std::size_t>(s);
        values.resize(n);
        if (spec.name == siglip::kLogitScale) {
            values[0] = std::log(10.0f);
        } else if (spec.name == siglip::kLogitBias) {
            values[0] = -10.0f;
        } else if (isNormWeight(spec.name)) {
            for (float &v : values)
                v = 1.0f + 0.1f * normal(rng);
        } else {
            for (float &v : values)
                v = 0.02f * normal(rng);
        }
        writer.add(spec.name, spec.shape, values, options.dtype);
    }
    writer.write(folder / siglip::kWeightsFile);

    if (config.vision) {
        ImagePreprocessorConfig pre;
        pre.width = pre.height = config.vision->imageSize;
        if (config.vision->isNaflex()) { // Siglip2ImageProcessor with the hub's patch budget
            pre.processorType = "Siglip2ImageProcessor";
            pre.resample = 2;
            pre.patchSize = config.vision->patchSize;
            pre.maxNumPatches = config.vision->naflexPatches;
        }
        writeText(folder / siglip::kPreprocessorFile, pre.toJson());
    }
    if (config.text) {
        if (options.sentencePieceModel.empty() || !fs::exists(options.sentencePieceModel))
            throw Error(ErrorCode::FileNotFound, options.sentencePieceModel.string(),
                        "a text tower needs a SentencePiece model to copy");
        fs::copy_file(options.sentencePieceModel, folder / siglip::kSentencePieceFile,
                      fs::copy_options::overwrite_existing);
        writeText(folder / siglip::kTokenizerConfigFile, tokenizerConfigJson(config.text->maxPositionEmbeddings));
        writeText(folder / siglip::kSpecialTokensFile, kSpecialTokensMap);
    }
}

} // namespace lookalike
