/// \file
/// \brief The training loop: epochs of shuffled mini-batches, dropout, Adam, evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/mnist.h"
#include "common/params.h"

namespace stage04 {

/// How to train; the defaults are the Keras example's.
struct TrainConfig {
  int epochs = 5;     ///< passes over the training set
  int batch = 128;    ///< images per step; the last step of an epoch takes what is left
  float lr = 1e-3f;   ///< Adam's learning rate
  uint64_t seed = 1;  ///< drives the shuffle of every epoch and every dropout mask
  /// false: no dropout. Only for following another implementation step by step (the
  /// PyTorch comparison test), whose dropout masks come from another generator.
  bool dropout = true;
  /// The training step: 1, layer by layer (train_step.h); 2, each thread takes whole
  /// slices of the batch through every layer (batch_parallel_step.h); 3, the same with
  /// conv1 and the dense head fused (fused_slice.h); 4, and conv2 as implicit GEMMs
  /// (conv2_implicit.h); 5, and conv2's backward on a channels-last copy of its input
  /// (conv2_channels_last.h). Same arithmetic.
  int rung = 1;
};

/// The highest rung TrainConfig::rung can name.
constexpr int kRungs = 5;

/// The seed of epoch `epoch`'s shuffle (for mnist::shuffled_indices), derived from the
/// run's seed: every epoch gets its own order, the same on every run with that seed.
uint64_t shuffle_seed(uint64_t seed, int epoch);

/// The seed of the Rng that draws the run's dropout masks, derived from the run's seed.
uint64_t dropout_seed(uint64_t seed);

/// Where one step stands, for a progress display.
struct StepProgress {
  int epoch = 0;                 ///< 1-based
  int step = 0;                  ///< 1-based, within the epoch
  int steps = 0;                 ///< steps in an epoch
  double running_loss = 0;       ///< mean loss of the epoch's images so far
  float loss = 0;                ///< this step's mean loss over its batch
  double images_per_second = 0;  ///< over the epoch so far
};

/// What one epoch did.
struct EpochReport {
  int epoch = 0;                 ///< 1-based
  double loss = 0;               ///< mean training loss over the epoch (with dropout)
  double test_accuracy = -1;     ///< after the epoch; -1 when there is no test set
  double seconds = 0;            ///< training time, evaluation not included
  double images_per_second = 0;  ///< training images per training second
  double data_seconds = 0;       ///< rung 1: gathering batches and drawing dropout masks
  double forward_seconds = 0;    ///< rung 1: forward_pass
  double backward_seconds = 0;   ///< rung 1: backward_pass, loss included
  double optimiser_seconds = 0;  ///< rung 1: Adam
  double eval_seconds = 0;       ///< the test-set evaluation after the epoch

  /// Rungs 2-5, whose one parallel region does the whole step: its time (gathering the
  /// batch and drawing its mask, forward, backward, the gradient sums and Adam; the four
  /// rung 1 fields above stay 0).
  double fused_step_seconds = 0;
};

/// The whole run.
struct TrainOutcome {
  std::vector<EpochReport> epochs;  ///< the epochs that finished
  bool stopped = false;             ///< true when a non-finite loss or gradient ended the run early
  std::string message;              ///< why it stopped, when it did
};

/// Called after every step and after every epoch (either may be empty).
struct TrainCallbacks {
  std::function<void(const StepProgress&)> on_step;  ///< after every Adam step
  std::function<void(const EpochReport&)> on_epoch;  ///< after every epoch's evaluation
};

/// Trains params in place on train_set with Adam, and evaluates them on test_set (skipped
/// when null) with stage 03's forward pass after every epoch.
///
/// Each epoch visits every image once, in an order from shuffle_seed(config.seed, epoch);
/// the last batch is smaller when the batch size does not divide the set. If a loss or a
/// gradient is ever NaN or infinite, that step is not applied and training stops:
/// params keep the last good weights and the outcome says where it happened.
TrainOutcome train(mnist::Params& params, const mnist::Dataset& train_set,
                   const mnist::Dataset* test_set, const TrainConfig& config,
                   const TrainCallbacks& callbacks = {});

}  // namespace stage04
