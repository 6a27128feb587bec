// Stage 05: train the network on the GPU, one rung of the ladder at a time, and save it.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "05_cuda/gpu.h"
#include "05_cuda/trainer.h"
#include "common/cli.h"
#include "common/network.h"
#include "common/results.h"
#include "common/run_files.h"
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
    using mnist::Flag;
    const mnist::CliSpec spec{
        "stage05",
        "Stage 05 (CUDA): trains the network on the GPU with hand-written kernels, evaluates\n"
        "it after every epoch and saves the weights (safetensors) to --out. Exits with\n"
        "status 77, saying so, when there is no CUDA GPU.",
        {Flag::data, Flag::weights, Flag::out, Flag::force, Flag::epochs, Flag::batch, Flag::lr,
         Flag::seed, Flag::limit, Flag::json, Flag::verbose},
        {{Flag::weights,
          "start from these weights (safetensors, only read); default: random init from --seed"},
         {Flag::limit,
          "train on the first N training images and test on the first N test "
          "images (at most 10000)"},
         {Flag::verbose, "also print where the start-up time went"}},
        {{"rung", "N",
          "1: one thread per output; 2: shared-memory tiled products; 3: fused kernels, "
          "data on the GPU, one CUDA graph per epoch (default 3); 4: rung 3 with conv2 on "
          "the tensor cores (TF32)",
          "3"}}};
    auto options = mnist::parse_cli(argc, argv, spec);
    if (!options) return 0;
    const mnist::Options& o = *options;
    const int rung_number = o.extra_int("rung");
    if (rung_number < 1 || rung_number > 4) {
      throw mnist::UsageError("--rung: " + std::to_string(rung_number) +
                              " is out of range (1 to 4)");
    }
    const auto rung = static_cast<stage05::Rung>(rung_number);
    // Say so now, not after training, when a result could not be saved or would destroy
    // a file this run reads.
    const std::filesystem::path weights_path = mnist::check_training_files(o);

    std::string why;
    if (!stage05::gpu_available(&why)) {
      std::fprintf(stderr, "stage 05 skipped: no CUDA GPU (%s)\n", why.c_str());
      return kSkipped;
    }
    std::printf("stage 05 - CUDA, rung %d (%s): the whole training step on the GPU\n", rung_number,
                stage05::rung_name(rung));
    std::printf("  gpu       %s\n", stage05::describe_gpu().c_str());
    const mnist::Dataset train_set = mnist::load_mnist(o.data_dir, mnist::Split::train, o.limit);
    const mnist::Dataset test_set =
        mnist::load_mnist(o.data_dir, mnist::Split::test, std::min(o.limit, 10000));
    const double load_seconds = since_start.seconds();
    std::printf("  data      %d training and %d test images from %s\n", train_set.size(),
                test_set.size(), o.data_dir.c_str());
    const mnist::Params initial =
        o.weights ? mnist::load_params(*o.weights) : mnist::init_params(o.seed);
    if (o.weights) std::printf("  model     starting from %s\n", o.weights->c_str());
    std::printf("  training  %d epoch(s), batch %d, Adam lr %g, dropout %.1f, seed %llu\n",
                o.epochs, o.batch, o.lr, mnist::net::kDropout,
                static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);

    const stage05::TrainConfig config{rung, o.epochs, o.batch, o.lr, o.seed};
    const stage05::TrainOutcome outcome =
        stage05::train(initial, train_set, &test_set, config, [&](const stage05::EpochReport& r) {
          std::printf(
              "  epoch %d/%d  loss %.4f  test accuracy %.2f%%  %.3f s  %.0f images/s"
              "  %.1f GFLOP/s\n",
              r.epoch, o.epochs, r.loss, 100.0 * r.test_accuracy, r.seconds, r.images_per_second,
              r.images_per_second * mnist::net::kTrainFlops / 1e9);
          std::fflush(stdout);
        });
    mnist::save_params(weights_path, outcome.params);
    const double total_seconds = since_start.seconds();

    std::vector<double> epoch_seconds;
    double train_seconds = 0, eval_seconds = 0;
    for (const auto& e : outcome.epochs) {
      epoch_seconds.push_back(e.seconds);
      train_seconds += e.seconds;
      eval_seconds += e.eval_seconds;
    }
    // Steady state: the first epoch also pays for one-time work (module loading, caches).
    const std::vector<double> steady(epoch_seconds.begin() + (epoch_seconds.size() > 1),
                                     epoch_seconds.end());
    const double steady_epoch = median(steady);
    const stage05::EpochReport& last = outcome.epochs.back();
    std::printf("  saved     %s\n", weights_path.c_str());
    std::printf("  accuracy  %.2f%% on %d test images after %d epoch(s)\n",
                100.0 * last.test_accuracy, test_set.size(), o.epochs);
    std::printf(
        "  speed     %.4f s per epoch (median after the first), %.0f images/s, "
        "%.0f GFLOP/s\n",
        steady_epoch, train_set.size() / steady_epoch,
        train_set.size() / steady_epoch * mnist::net::kTrainFlops / 1e9);
    std::printf(
        "  total     %.3f s from start to saved weights: data %.3f s, upload %.3f s, "
        "graph %.3f s, training %.3f s, evaluation %.3f s\n",
        total_seconds, load_seconds, outcome.upload_seconds, outcome.graph_seconds, train_seconds,
        eval_seconds);

    if (o.json) {
      mnist::Results results;
      results.add("stage", "05")
          .add("name", "cuda")
          .add("rung", rung_number)
          .add("rung_name", stage05::rung_name(rung))
          .add("gpu", stage05::describe_gpu())
          .add("epochs", o.epochs)
          .add("batch", o.batch)
          .add("lr", o.lr)
          .add("seed", o.seed)
          .add("train_images", train_set.size())
          .add("test_images", test_set.size())
          .add("accuracy", last.test_accuracy)
          .add("final_loss", last.loss)
          .add("seconds", train_seconds)
          .add("seconds_per_epoch", steady_epoch)
          .add("images_per_second", train_set.size() / steady_epoch)
          .add("gflops", train_set.size() / steady_epoch * mnist::net::kTrainFlops / 1e9)
          .add("total_seconds", total_seconds)
          .add("load_seconds", load_seconds)
          .add("upload_seconds", outcome.upload_seconds)
          .add("graph_seconds", outcome.graph_seconds);
      for (const auto& e : outcome.epochs) {
        const std::string key = "epoch" + std::to_string(e.epoch);
        results.add(key + "_loss", e.loss)
            .add(key + "_accuracy", e.test_accuracy)
            .add(key + "_seconds", e.seconds);
      }
      results.write(*o.json);
    }
    return 0;
  });
}
