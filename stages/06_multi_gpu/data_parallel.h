/// \file
/// \brief Data-parallel training: one thread per GPU, each running stage 05's step on its
/// rows of every batch, the gradients summed with NCCL's all-reduce.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "05_cuda/trainer.h"
#include "06_multi_gpu/sharding.h"

namespace stage06 {

/// How to train. train.batch is the global batch (strong) or each GPU's (weak); train.lr is
/// the one-GPU learning rate, scaled_lr() scales it; train.rung is 3 or 4.
struct DataParallelConfig {
  stage05::TrainConfig train;         ///< rung, epochs, batch, lr, seed as in stage 05
  int gpus = 1;                       ///< ranks: GPUs 0..gpus-1, one thread each
  Scaling scaling = Scaling::strong;  ///< what --batch means for G GPUs
  bool graph = true;                  ///< capture each epoch, NCCL calls included, in a CUDA graph
  int timed_steps = 50;               ///< steps launched one by one after training, timed
  int allreduce_repeats = 200;        ///< repetitions of the all-reduce alone, timed
};

/// Where one rank's step time goes, in microseconds, the mean over the timed steps (launched
/// one by one, events on both streams; see README.md).
struct StepSplit {
  double step = 0;                ///< start of the gather to the end of the update (compute stream)
  double compute = 0;             ///< the compute stream busy: gather, forward, backward, update
  double communication = 0;       ///< the comm stream busy: both buckets' all-reduces
  double waiting = 0;             ///< the compute stream idle, its gradients done, the sum not yet
  double allreduce_alone = 0;     ///< the step's two all-reduce calls with nothing else running
  double allreduce_one_call = 0;  ///< one all-reduce of all 34,826 gradients, nothing else running
};

/// The whole run.
struct DataParallelOutcome {
  stage05::TrainOutcome train;    ///< per-epoch reports (rank 0's clock), weights, set-up times
  std::vector<StepSplit> splits;  ///< one per rank (empty when timed_steps is 0)
  int global_batch = 0;           ///< images per step over all GPUs
  float lr = 0;                   ///< the learning rate used (scaled_lr)
  bool graph = false;             ///< whether the epochs ran as CUDA graphs
  double nccl_init_seconds = 0;   ///< creating the communicators
};

/// CUDA devices on this machine (0 when there is no driver or device).
int gpu_count();

/// Trains a copy of `initial` on train_set with config.gpus GPUs and evaluates it on
/// test_set (if not null) on GPU 0 after every epoch, calling on_epoch (if set) with each
/// epoch's report. Every rank ends with the same weights; one rank trains exactly as
/// stage05::train on the same rung. Throws std::invalid_argument for a rung other than 3
/// or 4 or more GPUs than the machine has, std::runtime_error if the loss stops being finite.
DataParallelOutcome train_data_parallel(
    const mnist::Params& initial, const mnist::Dataset& train_set, const mnist::Dataset* test_set,
    const DataParallelConfig& config,
    const std::function<void(const stage05::EpochReport&)>& on_epoch = {});

}  // namespace stage06
