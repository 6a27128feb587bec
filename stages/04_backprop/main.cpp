// Stage 04: train the network on the CPU (backprop + Adam), evaluate it, save the weights.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "04_backprop/heap.h"
#include "04_backprop/memory_budget.h"
#include "04_backprop/trainer.h"
#include "common/cli.h"
#include "common/network.h"
#include "common/results.h"
#include "common/run_files.h"
#include "common/safetensors.h"
#include "common/timer.h"

namespace {

/// Peak resident memory of this process so far, in MiB (Linux reports KiB).
double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// On a terminal: one line, rewritten in place about ten times a second.
void show_progress(const stage04::StepProgress& p, int epochs) {
  static mnist::Stopwatch since_last;
  if (p.step != p.steps && since_last.seconds() < 0.1) return;
  since_last.restart();
  std::printf("\r  epoch %d/%d  step %d/%d  loss %.4f  %.0f images/s ", p.epoch, epochs, p.step,
              p.steps, p.running_loss, p.images_per_second);
  std::fflush(stdout);
}

/// One line per epoch (on a terminal it replaces the progress line).
void print_epoch(const stage04::EpochReport& r, int epochs, bool terminal, bool verbose) {
  if (terminal) std::printf("\r\033[K");  // carriage return, then clear to the end of line
  std::printf("  epoch %d/%d  loss %.4f", r.epoch, epochs, r.loss);
  if (r.test_accuracy >= 0) std::printf("  test accuracy %.2f%%", 100.0 * r.test_accuracy);
  std::printf("  %.1f s  %.0f images/s  %.1f GFLOP/s\n", r.seconds, r.images_per_second,
              r.images_per_second * mnist::net::kTrainFlops / 1e9);
  if (verbose && r.fused_step_seconds > 0) {  // rungs 2-4: one region does it all
    std::printf("      data %.2f s  step (forward, backward, Adam) %.2f s  (eval %.2f s)\n",
                r.data_seconds, r.fused_step_seconds, r.eval_seconds);
  } else if (verbose) {
    std::printf("      data %.2f s  forward %.2f s  backward %.2f s  Adam %.2f s  (eval %.2f s)\n",
                r.data_seconds, r.forward_seconds, r.backward_seconds, r.optimiser_seconds,
                r.eval_seconds);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  return mnist::run_main([&] {
    using mnist::Flag;
    const mnist::CliSpec spec{
        "stage04",
        "Stage 04 (backprop): trains the network on the CPU with backprop and Adam, evaluates\n"
        "it on the test set after every epoch, and saves the weights (safetensors) to --out.",
        {Flag::data, Flag::weights, Flag::out, Flag::force, Flag::epochs, Flag::batch, Flag::lr,
         Flag::seed, Flag::threads, Flag::limit, Flag::json, Flag::verbose},
        {{Flag::weights,
          "start from these weights (safetensors, only read); default: random init from --seed"},
         {Flag::limit,
          "train on the first N training images and test on the first N test "
          "images (at most 10000)"},
         {Flag::verbose, "also print where each epoch's time went"}},
        {{"rung", "N",
          "1: layer by layer, each layer shared among the threads; 2: each thread takes "
          "whole slices of the batch through every layer, one parallel region per step; 3: "
          "as 2, with conv1 and the dense layer's passes fused; 4: as 3, with conv2 as "
          "implicit GEMMs, no column matrices (default 1)",
          "1"}}};
    auto options = mnist::parse_cli(argc, argv, spec);
    if (!options) return 0;
    const mnist::Options& o = *options;
    const int rung = o.extra_int("rung");
    if (rung < 1 || rung > stage04::kRungs) {
      throw mnist::UsageError("--rung: " + std::to_string(rung) + " is out of range (1 to " +
                              std::to_string(stage04::kRungs) + ")");
    }
    // Say so now, not after minutes of training, when a result could not be saved or would
    // destroy a file this run reads.
    const std::filesystem::path weights_path = mnist::check_training_files(o);

    stage04::keep_freed_memory();
    std::printf("stage 04 - backprop: training on the CPU, backward pass on stage 03's GEMM\n");
    const mnist::Dataset train_set = mnist::load_mnist(o.data_dir, mnist::Split::train, o.limit);
    const mnist::Dataset test_set =
        mnist::load_mnist(o.data_dir, mnist::Split::test, std::min(o.limit, 10000));
    std::printf("  data      %d training and %d test images from %s\n", train_set.size(),
                test_set.size(), o.data_dir.c_str());
    stage04::check_training_memory(o.batch, train_set.size(), test_set.size());
    mnist::Params params;
    if (o.weights) {
      params = mnist::load_params(*o.weights);
      std::printf("  model     %lld parameters, starting from %s\n",
                  static_cast<long long>(mnist::count_scalars(params)), o.weights->c_str());
    } else {
      params = mnist::init_params(o.seed);
      std::printf("  model     %lld parameters, glorot-uniform initialisation from seed %llu\n",
                  static_cast<long long>(mnist::count_scalars(params)),
                  static_cast<unsigned long long>(o.seed));
    }
    std::printf(
        "  training  %d epoch(s), batch %d, Adam lr %g, dropout %.1f, %d thread(s), rung %d\n",
        o.epochs, o.batch, static_cast<double>(o.lr), static_cast<double>(mnist::net::kDropout),
        mnist::thread_count(), rung);
    std::fflush(stdout);

    const bool terminal = isatty(fileno(stdout));
    stage04::TrainCallbacks callbacks;
    if (terminal) {
      callbacks.on_step = [&](const stage04::StepProgress& p) { show_progress(p, o.epochs); };
    }
    callbacks.on_epoch = [&](const stage04::EpochReport& r) {
      print_epoch(r, o.epochs, terminal, o.verbose);
    };
    const stage04::TrainConfig config{
        .epochs = o.epochs, .batch = o.batch, .lr = o.lr, .seed = o.seed, .rung = rung};
    const stage04::TrainOutcome outcome =
        stage04::train(params, train_set, &test_set, config, callbacks);

    mnist::save_params(weights_path, params);
    if (outcome.stopped) {
      if (terminal) std::printf("\n");
      throw std::runtime_error("training stopped at " + outcome.message + "; saved them to " +
                               weights_path.string());
    }

    double seconds = 0;
    for (const auto& e : outcome.epochs) seconds += e.seconds;
    const stage04::EpochReport& last = outcome.epochs.back();
    const double images_per_second = static_cast<double>(train_set.size()) * o.epochs / seconds;
    const double gflops = images_per_second * mnist::net::kTrainFlops / 1e9;
    std::printf("  saved     %s\n", weights_path.c_str());
    std::printf("  accuracy  %.2f%% on %d test images after %d epoch(s)\n",
                100.0 * last.test_accuracy, test_set.size(), o.epochs);
    std::printf("  speed     %.1f s per epoch, %.0f images/s, %.1f GFLOP/s (training only)\n",
                seconds / o.epochs, images_per_second, gflops);
    std::printf("  memory    %.0f MiB peak resident\n", peak_memory_mib());

    if (o.json) {
      mnist::Results results;
      results.add("stage", "04")
          .add("name", "backprop")
          .add("rung", rung)
          .add("epochs", o.epochs)
          .add("batch", o.batch)
          .add("lr", o.lr)
          .add("seed", o.seed)
          .add("threads", mnist::thread_count())
          .add("train_images", train_set.size())
          .add("test_images", test_set.size())
          .add("accuracy", last.test_accuracy)
          .add("final_loss", last.loss)
          .add("seconds", seconds)
          .add("seconds_per_epoch", seconds / o.epochs)
          .add("images_per_second", images_per_second)
          .add("gflops", gflops)
          .add("peak_memory_mib", peak_memory_mib());
      for (const auto& e : outcome.epochs) {
        const std::string key = "epoch" + std::to_string(e.epoch);
        results.add(key + "_loss", e.loss).add(key + "_accuracy", e.test_accuracy);
      }
      results.write(*o.json);
    }
    return 0;
  });
}
