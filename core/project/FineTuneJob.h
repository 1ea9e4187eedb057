// Fine-tuning a SigLIP checkpoint on a project's catalog: each item's image and title are a
// matching pair, as in the paper the team follows. A seeded held-out split measures the
// validation loss and image-to-text recall@1 after every epoch; batches are shuffled with the
// seed, so a run is reproducible. The result is a Hugging Face folder (config.json,
// model.safetensors, the preprocessing and tokenizer files) that `lookalike index` and
// transformers' SiglipModel.from_pretrained load. It is written to a temporary folder and
// renamed into place when complete, so an interrupted run never leaves a half-written model.
//
// Resumable: after every epoch the whole training state (weights, AdamW moments, steps, the
// report so far) is saved in <out>.partial/. Running the same command again after an
// interruption (Ctrl-C, kill, a crash, or stopAfterEpochs) continues from the last completed
// epoch and gives the same model as an uninterrupted run. A state from other settings or
// another base model is discarded.
//
// A run that fails (a bad checkpoint, no readable images, a full disk) or is cancelled leaves no
// output folder and nothing half-written: <out>.partial/ then holds the last completed epoch's
// state (state.safetensors and state.json) or does not exist. A saved state that cannot be read
// (damaged from outside) is removed with the error, so the next run starts over. The project
// is only read.
#pragma once

#include "core/model/SiglipTrainer.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace lookalike {

class Project;

struct FineTuneOptions {
    int epochs = 3;
    int batchSize = 32;
    double validationFraction = 0.1;
    double warmupFraction = 0.1; // of all steps
    std::uint64_t seed = 1;
    int threads = 0; // LibTorch intra-op threads; 0 = one per core
    int stopAfterEpochs = 0; // > 0: stop after this many epochs in this run (the state is kept to continue)
    const std::atomic<bool> *cancel = nullptr; // set (Ctrl-C) to stop before the next step
    SiglipTrainingOptions training; // totalSteps and warmupSteps are set from the above
};

struct FineTuneProgress {
    int epoch = 0; // 1-based
    int epochs = 0;
    int step = 0; // within the epoch, 1-based
    int stepsPerEpoch = 0;
    double loss = 0;
    double learningRate = 0;
    double pairsPerSecond = 0;
};

struct EpochReport {
    int epoch = 0;
    double trainLoss = 0; // mean over the epoch's batches
    double validationLoss = 0; // mean over validation batches
    double recallAt1 = 0; // image -> text among the validation pairs
};

struct FineTuneReport {
    bool finished = true; // false: stopped early (stopAfterEpochs or cancel); run again to continue
    bool cancelled = false; // stopped by options.cancel (epochs holds the completed ones)
    int resumedAfterEpoch = 0; // > 0: this run continued a stopped or interrupted one
    int trainPairs = 0;
    int validationPairs = 0;
    double initialValidationLoss = 0;
    double initialRecallAt1 = 0;
    std::vector<EpochReport> epochs;
};

// Writes a checkpoint to train from scratch into `folder`: `config` (both towers) with seeded
// random weights, and a SentencePiece vocabulary of at most config.text.vocabSize pieces trained
// on the catalog's titles (as the tokenizer will see them: lower-cased, punctuation dropped).
void writeScratchCheckpoint(
    Project &project, const SiglipConfig &config, const std::filesystem::path &folder, std::uint64_t seed);

// Throws lookalike::Error for a checkpoint that cannot train (one tower), a catalog with fewer
// than 4 usable pairs, or an output folder that exists and is not empty.
FineTuneReport fineTune(Project &project, const std::filesystem::path &modelFolder,
    const std::filesystem::path &outFolder, const FineTuneOptions &options,
    const std::function<void(const FineTuneProgress &)> &progress = {});

} // namespace lookalike
