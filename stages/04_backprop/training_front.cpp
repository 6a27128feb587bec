#include "04_backprop/training_front.h"

#include <algorithm>
#include <cstdio>
#include <future>
#include <utility>

#include "common/network.h"
#include "common/run_files.h"
#include "common/safetensors.h"

namespace stage04 {

std::optional<TrainingFlags> parse_training_flags(int argc, char** argv, const TrainingCli& cli) {
  using mnist::Flag;
  std::vector<Flag> flags = {Flag::data,   Flag::weights, Flag::out, Flag::force,
                             Flag::epochs, Flag::batch,   Flag::lr,  Flag::seed};
  if (cli.threaded) flags.push_back(Flag::threads);
  flags.insert(flags.end(), {Flag::limit, Flag::json, Flag::verbose});
  const mnist::CliSpec spec{
      cli.program,
      cli.summary,
      flags,
      {{Flag::weights,
        "start from these weights (safetensors, only read); default: random init from --seed"},
       {Flag::limit,
        "train on the first N training images and test on the first N test "
        "images (at most 10000)"},
       {Flag::verbose, cli.verbose_help}},
      {{"rung", "N", cli.rung_help, std::to_string(cli.default_rung)}}};
  auto options = mnist::parse_cli(argc, argv, spec);
  if (!options) return std::nullopt;
  TrainingFlags flags_given{*options, options->extra_int("rung"), {}};
  if (flags_given.rung < 1 || flags_given.rung > cli.rungs) {
    throw mnist::UsageError("--rung: " + std::to_string(flags_given.rung) +
                            " is out of range (1 to " + std::to_string(cli.rungs) + ")");
  }
  // Say so now, not after minutes of training, when a result could not be saved or would
  // destroy a file this run reads.
  flags_given.weights_path = mnist::check_training_files(flags_given.options);
  return flags_given;
}

TrainingData load_training_data(const mnist::Options& o) {
  std::future<mnist::Dataset> test = std::async(std::launch::async, [&o] {
    return mnist::load_mnist(o.data_dir, mnist::Split::test, std::min(o.limit, 10000));
  });
  mnist::Dataset train = mnist::load_mnist(o.data_dir, mnist::Split::train, o.limit);
  return {std::move(train), test.get()};  // get() rethrows what loading the test set threw
}

void print_data_line(const TrainingData& data, const mnist::Options& o) {
  std::printf("  data      %d training and %d test images from %s\n", data.train.size(),
              data.test.size(), o.data_dir.c_str());
}

mnist::Params initial_params(const mnist::Options& o) {
  return o.weights ? mnist::load_params(*o.weights) : mnist::init_params(o.seed);
}

void print_epoch_line(const EpochLine& e, int epochs, int second_decimals) {
  std::printf("  epoch %d/%d  loss %.4f", e.epoch, epochs, e.loss);
  if (e.test_accuracy >= 0) std::printf("  test accuracy %.2f%%", 100.0 * e.test_accuracy);
  std::printf("  %.*f s  %.0f images/s  %.1f GFLOP/s\n", second_decimals, e.seconds,
              e.images_per_second, e.images_per_second * mnist::net::kTrainFlops / 1e9);
}

double TrainingSummary::gflops() const {
  return images_per_second * mnist::net::kTrainFlops / 1e9;
}

void print_saved(const std::filesystem::path& weights_path, const TrainingSummary& s, int epochs) {
  std::printf("  saved     %s\n", weights_path.c_str());
  std::printf("  accuracy  %.2f%% on %d test images after %d epoch(s)\n", 100.0 * s.accuracy,
              s.test_images, epochs);
}

void add_settings(mnist::Results& results, const mnist::Options& o) {
  results.add("epochs", o.epochs).add("batch", o.batch).add("lr", o.lr).add("seed", o.seed);
}

void add_summary(mnist::Results& results, const TrainingSummary& s) {
  results.add("train_images", s.train_images)
      .add("test_images", s.test_images)
      .add("accuracy", s.accuracy)
      .add("final_loss", s.final_loss)
      .add("seconds", s.seconds)
      .add("seconds_per_epoch", s.seconds_per_epoch)
      .add("images_per_second", s.images_per_second)
      .add("gflops", s.gflops());
}

void add_epochs(mnist::Results& results, const std::vector<EpochLine>& epochs) {
  for (const EpochLine& e : epochs) {
    const std::string key = "epoch" + std::to_string(e.epoch);
    results.add(key + "_loss", e.loss).add(key + "_accuracy", e.test_accuracy);
    results.add(key + "_seconds", e.seconds);
  }
}

}  // namespace stage04
