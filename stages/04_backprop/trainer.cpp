#include "04_backprop/trainer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "03_blocked_simd/forward.h"
#include "04_backprop/adam.h"
#include "04_backprop/batch_parallel_step.h"
#include "04_backprop/train_step.h"
#include "common/evaluate.h"
#include "common/rng.h"
#include "common/timer.h"

namespace stage04 {

namespace {

// Rng seeds itself through splitmix64, so seeds that differ in a few bits still give
// unrelated streams: xor-ing a different constant into the run's seed keeps shuffling
// and dropout independent of each other and of initialisation (which uses the seed as is).
constexpr uint64_t kShuffleStream = 0x5348'5546'464c'4500ull;  // "SHUFFLE"
constexpr uint64_t kDropoutStream = 0x4452'4f50'4f55'5400ull;  // "DROPOUT"

bool all_finite(const mnist::Params& p) {
  for (auto [name, tensor] : p.list()) {
    for (float v : tensor->values()) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

}  // namespace

uint64_t shuffle_seed(uint64_t seed, int epoch) {
  return mnist::Rng(seed ^ kShuffleStream).next_u64() + static_cast<uint64_t>(epoch);
}

uint64_t dropout_seed(uint64_t seed) {
  return mnist::Rng(seed ^ kDropoutStream).next_u64();
}

TrainOutcome train(mnist::Params& params, const mnist::Dataset& train_set,
                   const mnist::Dataset* test_set, const TrainConfig& config,
                   const TrainCallbacks& callbacks) {
  if (config.epochs < 1 || config.batch < 1 || !(config.lr > 0)) {
    throw std::invalid_argument("train: epochs and batch must be at least 1 and lr positive");
  }
  if (config.rung < 1 || config.rung > kRungs) {
    throw std::invalid_argument("train: there is no rung " + std::to_string(config.rung));
  }
  const int n = train_set.size();
  if (n == 0) throw std::invalid_argument("train: the training set is empty");
  const int steps = (n + config.batch - 1) / config.batch;

  Adam adam({.lr = config.lr});
  mnist::Rng dropout_rng(dropout_seed(config.seed));
  mnist::Params grads = mnist::zero_params();
  ForwardCache cache;  // one for the whole run: its 40 MB of tensors are allocated once
  BatchParallelStep batch_parallel(std::max(config.rung, 2));  // rungs 2-5: kept for the run
  TrainOutcome outcome;

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const std::vector<int> order = mnist::shuffled_indices(n, shuffle_seed(config.seed, epoch));
    EpochReport report;
    report.epoch = epoch;
    double loss_sum = 0;  // over images, so a short last batch weighs what it holds
    int seen = 0;
    mnist::Stopwatch epoch_watch;

    for (int step = 1; step <= steps; ++step) {
      mnist::Stopwatch watch;
      const int begin = (step - 1) * config.batch;
      const int count = std::min(config.batch, n - begin);
      float loss = 0;
      bool finite = true;  // rungs 2-5 check it inside their step, before Adam
      if (config.rung > 1) {
        // The slices gather their images and draw their masks inside the step.
        const BatchSource batch{.set = train_set,
                                .order = order,
                                .begin = begin,
                                .count = count,
                                .dropout = config.dropout ? &dropout_rng : nullptr};
        finite = batch_parallel.train_step(params, batch, adam, loss);
        report.fused_step_seconds += watch.seconds();
      } else {
        const mnist::Batch batch = mnist::gather_batch(train_set, order, begin, count);
        const mnist::Tensor mask =
            config.dropout ? make_dropout_mask(count, dropout_rng) : mnist::Tensor();
        report.data_seconds += watch.seconds();
        watch.restart();
        forward_pass(params, batch.images, mask, cache);
        report.forward_seconds += watch.seconds();
        watch.restart();
        loss = backward_pass(params, batch.images, cache, batch.labels, mask, grads);
        report.backward_seconds += watch.seconds();
        finite = std::isfinite(loss) && all_finite(grads);
      }

      if (!finite) {
        outcome.stopped = true;
        outcome.message = "epoch " + std::to_string(epoch) + ", step " + std::to_string(step) +
                          ": the " + (std::isfinite(loss) ? "gradient" : "loss") +
                          " is not finite (loss " + std::to_string(loss) +
                          "); that step was not applied, so the weights are the last good ones";
        return outcome;
      }
      if (config.rung == 1) {
        watch.restart();
        adam.step(params, grads);
        report.optimiser_seconds += watch.seconds();
      }

      loss_sum += double{loss} * count;
      seen += count;
      if (callbacks.on_step) {
        callbacks.on_step(
            {epoch, step, steps, loss_sum / seen, loss, seen / epoch_watch.seconds()});
      }
    }
    report.seconds = epoch_watch.seconds();
    report.loss = loss_sum / seen;
    report.images_per_second = seen / report.seconds;
    if (test_set) {
      mnist::Stopwatch eval_watch;
      report.test_accuracy =
          mnist::evaluate(stage03::forward, params, *test_set, config.batch).accuracy();
      report.eval_seconds = eval_watch.seconds();
    }
    outcome.epochs.push_back(report);
    if (callbacks.on_epoch) callbacks.on_epoch(report);
  }
  return outcome;
}

}  // namespace stage04
