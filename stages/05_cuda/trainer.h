/// \file
/// \brief The training loop on the GPU: epochs of shuffled batches, dropout, Adam, evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "05_cuda/device_dataset.h"
#include "05_cuda/plans.h"
#include "common/mnist.h"
#include "common/params.h"

namespace stage05 {

/// How to train; the defaults are the Keras example's, on the fastest rung.
struct TrainConfig {
  Rung rung = Rung::fused;  ///< which rung of the ladder runs the step
  int epochs = 5;           ///< passes over the training set
  int batch = 128;          ///< images per step; the last step of an epoch takes what is left
  float lr = 1e-3f;         ///< Adam's learning rate (the other settings are Keras's)
  uint64_t seed = 1;        ///< shuffles and dropout masks derive from it
};

/// What one epoch did.
struct EpochReport {
  int epoch = 0;                 ///< 1-based
  double loss = 0;               ///< mean of the epoch's batch losses (with dropout)
  double test_accuracy = -1;     ///< after the epoch; -1 without a test set
  double seconds = 0;            ///< training time of the epoch (evaluation not included)
  double images_per_second = 0;  ///< training images per second
  double eval_seconds = 0;       ///< the test-set evaluation after the epoch
};

/// The whole run.
struct TrainOutcome {
  std::vector<EpochReport> epochs;  ///< one report per epoch
  mnist::Params params;             ///< the trained weights
  double upload_seconds = 0;        ///< parameters and data sets to the GPU
  double graph_seconds = 0;         ///< capturing and instantiating the epoch's CUDA graph (rung 3)
};

/// Accuracy of the parameters in ws on a data set already on the GPU (forward_plan in
/// batches of ws.capacity; waits for the stream).
double evaluate(Rung rung, Workspace& ws, const DeviceDataset& test, cudaStream_t stream);

/// The end of an epoch, as the trainers of stages 05 and 06 both report it: the epoch's
/// time and speed (`images` in `seconds`), its mean batch loss (the growth of ws's step clock
/// loss total over its `steps` steps; `loss_before`, the total when the epoch began, is moved
/// on) and, given a test set, the accuracy after it. Throws when the loss is not finite:
/// training diverged.
EpochReport end_of_epoch(int epoch, double seconds, int images, int steps, double& loss_before,
                         Rung rung, Workspace& ws, const DeviceDataset* test,
                         cudaStream_t stream);

/// Trains a copy of `initial` on train_set and evaluates it on test_set (if not null)
/// after every epoch, calling on_epoch (if set) with each epoch's report.
///
/// Rungs 1 and 2 prepare each batch on the host (stage 04's shuffle order, gather, copy to
/// the GPU) and launch every kernel of the step one by one. Rung 3 uploads both data sets
/// once, shuffles and gathers on the GPU (device_random.h), and captures a whole epoch, all
/// of its steps and all of their kernels, in one CUDA graph that is launched once per epoch.
/// Throws if the loss stops being finite.
TrainOutcome train(const mnist::Params& initial, const mnist::Dataset& train_set,
                   const mnist::Dataset* test_set, const TrainConfig& config,
                   const std::function<void(const EpochReport&)>& on_epoch = {});

}  // namespace stage05
