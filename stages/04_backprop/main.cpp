// Stage 04: train the network on the CPU (backprop + Adam), evaluate it, save the weights.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "04_backprop/heap.h"
#include "04_backprop/memory_budget.h"
#include "04_backprop/trainer.h"
#include "04_backprop/training_front.h"
#include "common/cli.h"
#include "common/network.h"
#include "common/results.h"
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
  stage04::print_epoch_line(stage04::epoch_line(r), epochs, 1);
  if (verbose && r.fused_step_seconds > 0) {  // rungs 2-5: one region does it all
    std::printf("      step (batch and mask, forward, backward, Adam) %.2f s  (eval %.2f s)\n",
                r.fused_step_seconds, r.eval_seconds);
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
    const stage04::TrainingCli cli{
        .program = "stage04",
        .summary =
            "Stage 04 (backprop): trains the network on the CPU with backprop and Adam, evaluates\n"
            "it on the test set after every epoch, and saves the weights (safetensors) to --out.",
        .threaded = true,
        .verbose_help = "also print where each epoch's time went",
        .rung_help =
            "1: layer by layer, each layer shared among the threads; 2: each thread takes "
            "whole slices of the batch through every layer, one parallel region per step; 3: "
            "as 2, with conv1 and the dense layer's passes fused; 4: as 3, with conv2 as "
            "implicit GEMMs, no column matrices; 5: as 4, with conv2's backward on a "
            "channels-last copy of its input (default 1)",
        .default_rung = 1,
        .rungs = stage04::kRungs};
    const auto flags = stage04::parse_training_flags(argc, argv, cli);
    if (!flags) return 0;
    const mnist::Options& o = flags->options;
    const int rung = flags->rung;

    stage04::keep_freed_memory();
    std::printf("stage 04 - backprop: training on the CPU, backward pass on stage 03's GEMM\n");
    const stage04::TrainingData data = stage04::load_training_data(o);
    stage04::print_data_line(data, o);
    stage04::check_training_memory(o.batch, data.train.size(), data.test.size());
    mnist::Params params = stage04::initial_params(o);
    if (o.weights) {
      std::printf("  model     %lld parameters, starting from %s\n",
                  static_cast<long long>(mnist::count_scalars(params)), o.weights->c_str());
    } else {
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
        stage04::train(params, data.train, &data.test, config, callbacks);

    mnist::save_params(flags->weights_path, params);
    if (outcome.stopped) {
      if (terminal) std::printf("\n");
      throw std::runtime_error("training stopped at " + outcome.message + "; saved them to " +
                               flags->weights_path.string());
    }

    std::vector<stage04::EpochLine> epochs;
    double seconds = 0;
    for (const auto& e : outcome.epochs) {
      epochs.push_back(stage04::epoch_line(e));
      seconds += e.seconds;
    }
    const stage04::TrainingSummary summary{
        .train_images = data.train.size(),
        .test_images = data.test.size(),
        .accuracy = epochs.back().test_accuracy,
        .final_loss = epochs.back().loss,
        .seconds = seconds,
        .seconds_per_epoch = seconds / o.epochs,
        .images_per_second = static_cast<double>(data.train.size()) * o.epochs / seconds};
    stage04::print_saved(flags->weights_path, summary, o.epochs);
    std::printf("  speed     %.1f s per epoch, %.0f images/s, %.1f GFLOP/s (training only)\n",
                summary.seconds_per_epoch, summary.images_per_second, summary.gflops());
    std::printf("  memory    %.0f MiB peak resident\n", peak_memory_mib());

    if (o.json) {
      mnist::Results results;
      results.add("stage", "04").add("name", "backprop").add("rung", rung);
      stage04::add_settings(results, o);
      results.add("threads", mnist::thread_count());
      stage04::add_summary(results, summary);
      results.add("peak_memory_mib", peak_memory_mib());
      stage04::add_epochs(results, epochs);
      results.write(*o.json);
    }
    return 0;
  });
}
