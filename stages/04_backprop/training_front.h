/// \file
/// \brief What every training binary does the same way (this stage's and stage 05's): the
/// command line, loading MNIST, the starting weights, the per-epoch line, the result lines
/// and the JSON record. Each binary's main() calls these in order around its own training.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/mnist.h"
#include "common/params.h"
#include "common/results.h"

namespace stage04 {

/// What one training binary says about itself on its command line.
struct TrainingCli {
  std::string program;       ///< e.g. "stage04"
  std::string summary;       ///< the first lines of --help
  bool threaded = true;      ///< whether it takes --threads (the CPU stage does)
  std::string verbose_help;  ///< what --verbose adds
  std::string rung_help;     ///< --rung's help: what each rung is, and the default
  int default_rung = 1;      ///< --rung without the flag
  int rungs = 1;             ///< --rung takes 1 to rungs
};

/// A training run's command line, checked.
struct TrainingFlags {
  mnist::Options options;              ///< the shared flags
  int rung = 1;                        ///< --rung, within range
  std::filesystem::path weights_path;  ///< where the trained weights go (--out or the default)
};

/// Parses the training flags (--data --weights --out --force --epochs --batch --lr --seed,
/// --threads where the binary is threaded, --limit --json --verbose) and --rung; refuses a rung
/// out of range and, before anything is loaded, any file the run could not write or would
/// destroy (mnist::check_training_files). Returns nullopt after printing --help. Throws
/// mnist::UsageError naming the flag.
std::optional<TrainingFlags> parse_training_flags(int argc, char** argv, const TrainingCli& cli);

/// The two splits a training run uses.
struct TrainingData {
  mnist::Dataset train;  ///< the first --limit training images (all without it)
  mnist::Dataset test;   ///< the first --limit test images, at most 10,000
};

/// Loads the training and test sets of --data and --limit, the test set on a second thread
/// (inflating the files is most of the wait, and each is one thread's work). Prints nothing,
/// so that it may run on a thread of its own; print_data_line says what it loaded.
TrainingData load_training_data(const mnist::Options& options);

/// Prints the "data" line: how many training and test images came from where.
void print_data_line(const TrainingData& data, const mnist::Options& options);

/// The weights training starts from: --weights if given, else glorot-uniform from --seed.
mnist::Params initial_params(const mnist::Options& options);

/// One epoch as a training binary prints and records it.
struct EpochLine {
  int epoch = 0;                 ///< 1-based
  double loss = 0;               ///< mean training loss of the epoch
  double test_accuracy = -1;     ///< after the epoch; -1 without a test set
  double seconds = 0;            ///< training time of the epoch
  double images_per_second = 0;  ///< training images per training second
};

/// The EpochLine of a binary's own epoch report (stage 04's or stage 05's EpochReport).
template <typename Report>
EpochLine epoch_line(const Report& r) {
  return {r.epoch, r.loss, r.test_accuracy, r.seconds, r.images_per_second};
}

/// Prints the epoch's line: loss, test accuracy, time (with `second_decimals` decimals),
/// images/s and GFLOP/s.
void print_epoch_line(const EpochLine& epoch, int epochs, int second_decimals);

/// What a whole run measured, as the result lines and the JSON record give it.
struct TrainingSummary {
  int train_images = 0;          ///< images per epoch
  int test_images = 0;           ///< images in each evaluation
  double accuracy = 0;           ///< on the test set after the last epoch
  double final_loss = 0;         ///< the last epoch's mean training loss
  double seconds = 0;            ///< training time of all epochs
  double seconds_per_epoch = 0;  ///< as the binary measures it (a mean, or a steady median)
  double images_per_second = 0;  ///< training images per second, over the same epochs
  double gflops() const;         ///< images_per_second x the FLOPs of training on one image
};

/// Prints the "saved" and "accuracy" lines.
void print_saved(const std::filesystem::path& weights_path, const TrainingSummary& summary,
                 int epochs);

/// Appends --epochs, --batch, --lr and --seed to a JSON record.
void add_settings(mnist::Results& results, const mnist::Options& options);

/// Appends train_images, test_images, accuracy, final_loss, seconds, seconds_per_epoch,
/// images_per_second and gflops to a JSON record.
void add_summary(mnist::Results& results, const TrainingSummary& summary);

/// Appends each epoch's loss, accuracy and seconds to a JSON record, as epochN_loss,
/// epochN_accuracy, epochN_seconds.
void add_epochs(mnist::Results& results, const std::vector<EpochLine>& epochs);

}  // namespace stage04
