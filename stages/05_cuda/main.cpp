// Stage 05: train the network on the GPU, one rung of the ladder at a time, and save it.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "04_backprop/training_front.h"
#include "05_cuda/gpu.h"
#include "05_cuda/trainer.h"
#include "common/cli.h"
#include "common/network.h"
#include "common/results.h"
#include "common/safetensors.h"
#include "common/timer.h"

namespace {

constexpr int kSkipped =
    77;  // the usual exit status of "skipped" (automake, CTest's SKIP_RETURN_CODE)

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const mnist::Stopwatch since_start;  // the whole run: start-up, data, upload, training
  return mnist::run_main([&] {
    const stage04::TrainingCli cli{
        .program = "stage05",
        .summary =
            "Stage 05 (CUDA): trains the network on the GPU with hand-written kernels, evaluates\n"
            "it after every epoch and saves the weights (safetensors) to --out. Exits with\n"
            "status 77, saying so, when there is no CUDA GPU.",
        .threaded = false,
        .verbose_help = "also print where the start-up time went",
        .rung_help =
            "1: one thread per output; 2: shared-memory tiled products; 3: fused kernels, "
            "data on the GPU, one CUDA graph per epoch (default 3); 4: rung 3 with conv2 on "
            "the tensor cores (TF32)",
        .default_rung = 3,
        .rungs = 4};
    const auto flags = stage04::parse_training_flags(argc, argv, cli);
    if (!flags) return 0;
    const mnist::Options& o = flags->options;
    const auto rung = static_cast<stage05::Rung>(flags->rung);

    // Start-up is two waits: on the driver (finding the GPU, then creating its context) and
    // on inflate (MNIST's files, most of all the 47 MB of training images). Neither needs
    // the other, so they run at once: the probe and the context on one thread, the files on
    // others (load_training_data). The GPU's answer is read first, so that a machine without
    // one is told so whatever the data.
    std::future<std::string> gpu = std::async(std::launch::async, [] {
      std::string why;
      if (stage05::gpu_available(&why)) stage05::create_context();
      return why;  // empty: there is a GPU, with its context
    });
    std::future<stage04::TrainingData> loading =
        std::async(std::launch::async, stage04::load_training_data, std::cref(o));
    const std::string why = gpu.get();  // rethrows what create_context threw
    if (!why.empty()) {
      std::fprintf(stderr, "stage 05 skipped: no CUDA GPU (%s)\n", why.c_str());
      return kSkipped;  // (loading's destructor waits for the files; what they held is unread)
    }
    std::printf("stage 05 - CUDA, rung %d (%s): the whole training step on the GPU\n", flags->rung,
                stage05::rung_name(rung));
    std::printf("  gpu       %s\n", stage05::describe_gpu().c_str());
    const stage04::TrainingData data = loading.get();  // rethrows what loading threw
    stage04::print_data_line(data, o);
    const double load_seconds = since_start.seconds();
    const mnist::Params initial = stage04::initial_params(o);
    if (o.weights) std::printf("  model     starting from %s\n", o.weights->c_str());
    std::printf("  training  %d epoch(s), batch %d, Adam lr %g, dropout %.1f, seed %llu\n",
                o.epochs, o.batch, o.lr, mnist::net::kDropout,
                static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);

    const stage05::TrainConfig config{rung, o.epochs, o.batch, o.lr, o.seed};
    const stage05::TrainOutcome outcome =
        stage05::train(initial, data.train, &data.test, config, [&](const stage05::EpochReport& r) {
          stage04::print_epoch_line(stage04::epoch_line(r), o.epochs, 3);
          std::fflush(stdout);
        });
    mnist::save_params(flags->weights_path, outcome.params);
    const double total_seconds = since_start.seconds();

    std::vector<stage04::EpochLine> epochs;
    std::vector<double> epoch_seconds;
    double train_seconds = 0, eval_seconds = 0;
    for (const auto& e : outcome.epochs) {
      epochs.push_back(stage04::epoch_line(e));
      epoch_seconds.push_back(e.seconds);
      train_seconds += e.seconds;
      eval_seconds += e.eval_seconds;
    }
    // Steady state: the first epoch also pays for one-time work (module loading, caches).
    const std::vector<double> steady(epoch_seconds.begin() + (epoch_seconds.size() > 1),
                                     epoch_seconds.end());
    const double steady_epoch = median(steady);
    const stage04::TrainingSummary summary{.train_images = data.train.size(),
                                           .test_images = data.test.size(),
                                           .accuracy = epochs.back().test_accuracy,
                                           .final_loss = epochs.back().loss,
                                           .seconds = train_seconds,
                                           .seconds_per_epoch = steady_epoch,
                                           .images_per_second = data.train.size() / steady_epoch};
    stage04::print_saved(flags->weights_path, summary, o.epochs);
    std::printf(
        "  speed     %.4f s per epoch (median after the first), %.0f images/s, "
        "%.0f GFLOP/s\n",
        steady_epoch, summary.images_per_second, summary.gflops());
    std::printf(
        "  total     %.3f s from start to saved weights: data and GPU start %.3f s, upload %.3f s, "
        "graph %.3f s, training %.3f s, evaluation %.3f s\n",
        total_seconds, load_seconds, outcome.upload_seconds, outcome.graph_seconds, train_seconds,
        eval_seconds);

    if (o.json) {
      mnist::Results results;
      results.add("stage", "05")
          .add("name", "cuda")
          .add("rung", flags->rung)
          .add("rung_name", stage05::rung_name(rung))
          .add("gpu", stage05::describe_gpu());
      stage04::add_settings(results, o);
      stage04::add_summary(results, summary);
      results.add("total_seconds", total_seconds)
          .add("load_seconds", load_seconds)
          .add("upload_seconds", outcome.upload_seconds)
          .add("graph_seconds", outcome.graph_seconds);
      stage04::add_epochs(results, epochs);
      results.write(*o.json);
    }
    return 0;
  });
}
