// Stage 06: train the network on several GPUs at once, data-parallel, and save it.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "05_cuda/gpu.h"
#include "05_cuda/param_layout.h"
#include "06_multi_gpu/data_parallel.h"
#include "06_multi_gpu/nvls_off.h"
#include "common/cli.h"
#include "common/network.h"
#include "common/results.h"
#include "common/run_files.h"
#include "common/safetensors.h"
#include "common/timer.h"

namespace {

constexpr int kSkipped = 77;  // "skipped" (automake, CTest's SKIP_RETURN_CODE), as stage 05

// The options of this stage, checked before anything is loaded.
stage06::DataParallelConfig read_config(const mnist::Options& o) {
  stage06::DataParallelConfig config;
  const int rung = o.extra_int("rung");
  if (rung != 3 && rung != 4) {
    throw mnist::UsageError("--rung: " + std::to_string(rung) +
                            " is not a rung with the data on the GPU (3 or 4)");
  }
  config.train = {static_cast<stage05::Rung>(rung), o.epochs, o.batch, o.lr, o.seed};
  config.gpus = o.extra_int("gpus");
  if (config.gpus < 1) {
    throw mnist::UsageError("--gpus: " + std::to_string(config.gpus) +
                            " is out of range (1 or more)");
  }
  const auto scaling = stage06::parse_scaling(o.extra.at("scaling"));
  if (!scaling) {
    throw mnist::UsageError("--scaling: '" + o.extra.at("scaling") + "' is not strong or weak");
  }
  config.scaling = *scaling;
  config.graph = !o.extra_switch("no-graph");
  config.timed_steps = o.extra_int("timed-steps");
  if (config.timed_steps < 0) throw mnist::UsageError("--timed-steps: must be 0 or more");
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  const mnist::Stopwatch since_start;
  return mnist::run_main([&] {
    using mnist::Flag;
    const mnist::CliSpec spec{
        "stage06",
        "Stage 06 (NCCL): trains the network data-parallel on --gpus GPUs (stage 05's kernels\n"
        "on each GPU's share of every batch, gradients summed with NCCL's all-reduce), then\n"
        "times where a step's time goes. Exits with status 77, saying so, without a CUDA GPU.",
        {Flag::data, Flag::weights, Flag::out, Flag::force, Flag::epochs, Flag::batch, Flag::lr,
         Flag::seed, Flag::limit, Flag::json},
        {{Flag::weights,
          "start from these weights (safetensors, only read); default: random init from --seed"},
         {Flag::batch, "images per step: over all GPUs (strong) or per GPU (weak) (default 128)"},
         {Flag::lr, "Adam's learning rate for one GPU; weak scaling multiplies it by sqrt(G)"},
         {Flag::limit,
          "train on the first N training images and test on the first N test images (at most "
          "10000)"}},
        {{"gpus", "G", "GPUs 0..G-1, one rank each (default 1)", "1"},
         {"scaling", "MODE",
          "strong: the global batch is --batch, split over the GPUs; weak: --batch per GPU "
          "(default strong)",
          "strong"},
         {"rung", "N", "stage 05's rung on every GPU: 3 (fused, float32) or 4 (TF32 conv2)", "3"},
         {"no-graph", "", "launch every step from the host instead of one CUDA graph per epoch",
          ""},
         {"timed-steps", "N",
          "after training, N steps launched one by one to split the step's time (default 50)",
          "50"}}};
    auto options = mnist::parse_cli(argc, argv, spec);
    if (!options) return 0;
    const mnist::Options& o = *options;
    stage06::DataParallelConfig config = read_config(o);
    const std::filesystem::path weights_path = mnist::check_training_files(o);
    std::string why;
    if (!stage05::gpu_available(&why)) {
      std::fprintf(stderr, "stage 06 skipped: no CUDA GPU (%s)\n", why.c_str());
      return kSkipped;
    }
    const int available = stage06::gpu_count();
    if (config.gpus > available) {
      throw mnist::UsageError(stage06::too_many_gpus(config.gpus, available));
    }
    const std::string nvls_note = stage06::keep_nvls_off();
    if (!nvls_note.empty()) std::fprintf(stderr, "note: %s\n", nvls_note.c_str());

    const int G = config.gpus;
    std::printf("stage 06 - data-parallel over %d GPU(s), rung %d (%s), NCCL all-reduce\n", G,
                static_cast<int>(config.train.rung), stage05::rung_name(config.train.rung));
    std::printf("  gpu 0     %s\n", stage05::describe_gpu().c_str());
    const mnist::Dataset train_set = mnist::load_mnist(o.data_dir, mnist::Split::train, o.limit);
    const mnist::Dataset test_set =
        mnist::load_mnist(o.data_dir, mnist::Split::test, std::min(o.limit, 10000));
    const double load_seconds = since_start.seconds();
    std::printf("  data      %d training and %d test images from %s\n", train_set.size(),
                test_set.size(), o.data_dir.c_str());
    const mnist::Params initial =
        o.weights ? mnist::load_params(*o.weights) : mnist::init_params(o.seed);
    const int global = stage06::global_batch(o.batch, G, config.scaling);
    std::printf(
        "  training  %d epoch(s), %s scaling: global batch %d (%d per GPU), Adam lr %g, "
        "seed %llu, %s\n",
        o.epochs, stage06::scaling_name(config.scaling), global,
        stage06::shard_of(global, G, 0).count, stage06::scaled_lr(o.lr, G, config.scaling),
        static_cast<unsigned long long>(o.seed),
        config.graph ? "one CUDA graph per epoch" : "steps launched one by one");
    std::fflush(stdout);

    const stage06::DataParallelOutcome outcome = stage06::train_data_parallel(
        initial, train_set, &test_set, config, [&](const stage05::EpochReport& r) {
          std::printf("  epoch %d/%d  loss %.4f  test accuracy %.2f%%  %.3f s  %.0f images/s\n",
                      r.epoch, o.epochs, r.loss, 100.0 * r.test_accuracy, r.seconds,
                      r.images_per_second);
          std::fflush(stdout);
        });
    mnist::save_params(weights_path, outcome.train.params);
    const double total_seconds = since_start.seconds();

    std::vector<double> epoch_seconds;
    for (const auto& e : outcome.train.epochs) epoch_seconds.push_back(e.seconds);
    // Steady state: the median epoch after the first (which pays for one-time work).
    std::vector<double> steady(epoch_seconds.begin() + (epoch_seconds.size() > 1),
                               epoch_seconds.end());
    std::sort(steady.begin(), steady.end());
    const double steady_epoch = steady[steady.size() / 2];
    const stage05::EpochReport& last = outcome.train.epochs.back();
    std::printf("  saved     %s\n", weights_path.c_str());
    std::printf("  accuracy  %.2f%% on %d test images after %d epoch(s)\n",
                100.0 * last.test_accuracy, test_set.size(), o.epochs);
    std::printf("  speed     %.4f s per epoch (median after the first), %.0f images/s\n",
                steady_epoch, train_set.size() / steady_epoch);
    std::printf("  total     %.3f s: data %.3f s, nccl init %.3f s, upload %.3f s, graph %.3f s\n",
                total_seconds, load_seconds, outcome.nccl_init_seconds,
                outcome.train.upload_seconds, outcome.train.graph_seconds);
    for (size_t r = 0; r < outcome.splits.size(); ++r) {
      const stage06::StepSplit& s = outcome.splits[r];
      std::printf(
          "  rank %zu    step %.1f us = compute %.1f + waiting %.1f; communication %.1f us "
          "(overlapped %.1f); the same all-reduces alone %.1f us, one call of all %d bytes "
          "%.1f us\n",
          r, s.step, s.compute, s.waiting, s.communication, s.communication - s.waiting,
          s.allreduce_alone, int(sizeof(float) * stage05::layout::kTotal), s.allreduce_one_call);
    }

    if (o.json) {
      mnist::Results results;
      results.add("stage", "06")
          .add("name", "multi_gpu")
          .add("gpus", G)
          .add("scaling", stage06::scaling_name(config.scaling))
          .add("rung", static_cast<int>(config.train.rung))
          .add("graph", config.graph ? 1 : 0)
          .add("gpu", stage05::describe_gpu())
          .add("epochs", o.epochs)
          .add("batch", o.batch)
          .add("global_batch", outcome.global_batch)
          .add("lr", outcome.lr)
          .add("seed", o.seed)
          .add("train_images", train_set.size())
          .add("test_images", test_set.size())
          .add("accuracy", last.test_accuracy)
          .add("final_loss", last.loss)
          .add("seconds_per_epoch", steady_epoch)
          .add("images_per_second", train_set.size() / steady_epoch)
          .add("total_seconds", total_seconds)
          .add("nccl_init_seconds", outcome.nccl_init_seconds);
      for (const auto& e : outcome.train.epochs) {
        const std::string key = "epoch" + std::to_string(e.epoch);
        results.add(key + "_loss", e.loss)
            .add(key + "_accuracy", e.test_accuracy)
            .add(key + "_seconds", e.seconds);
      }
      for (size_t r = 0; r < outcome.splits.size(); ++r) {
        const stage06::StepSplit& s = outcome.splits[r];
        const std::string key = "rank" + std::to_string(r) + "_";
        results.add(key + "step_us", s.step)
            .add(key + "compute_us", s.compute)
            .add(key + "waiting_us", s.waiting)
            .add(key + "communication_us", s.communication)
            .add(key + "allreduce_alone_us", s.allreduce_alone)
            .add(key + "allreduce_one_call_us", s.allreduce_one_call);
      }
      results.write(*o.json);
    }
    return 0;
  });
}
