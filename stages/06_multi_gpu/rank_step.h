/// \file
/// \brief One rank's share of a data-parallel training step: stage 05's plans on the rank's
/// rows of the global batch, cut where gradients become ready to be summed across GPUs.
///
/// Nothing here talks to another GPU: the caller puts the reduction of the two buckets
/// between the parts (data_parallel.h with NCCL; the tests with a plain device sum).
#pragma once

#include <cstdint>

#include "05_cuda/device_dataset.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/plans.h"
#include "06_multi_gpu/sharding.h"

namespace stage06 {

/// The gradients ready after the dense layer's backward kernel: fc.weight and fc.bias
/// (16,010 floats). The loss travels with them.
inline constexpr stage05::fused::ParamRange kDenseBucket{stage05::layout::kFcWeight,
                                                         stage05::layout::kTotal};
/// The gradients ready after the conv backward kernel: conv1 and conv2 (18,816 floats).
inline constexpr stage05::fused::ParamRange kConvBucket{0, stage05::layout::kConvTotal};

/// One rank's launches for one step, in the order they run on its compute stream. Between
/// `dense` and `update` the dense bucket and the loss are summed across ranks, and between
/// `conv` and `update` the conv bucket, each multiplied by `scale` first.
struct RankStep {
  Shard shard;           ///< the rank's rows of the global batch
  int rows = 0;          ///< rows of the global batch
  float scale = 0;       ///< gradient_scale(shard, rows)
  stage05::Plan dense;   ///< gather the shard, forward, dense backward, dense gradients, loss
  stage05::Plan conv;    ///< conv backward, conv gradients
  stage05::Plan update;  ///< Adam on the summed gradients, the clock +1 with the summed loss
};

/// Where rank's shard of step `step` of the epoch comes from: positions
/// plan.begin(step) + shard.begin ... of the epoch's shuffled order, with the dropout rows of
/// the whole batch (row_offset = shard.begin). The clock advances every step, so the step
/// offset is 0.
stage05::fused::BatchSource shard_source(const stage05::DeviceDataset& train, const EpochPlan& plan,
                                         int step, const Shard& shard, uint64_t seed);

/// Rank `rank` of `ranks`: its step `step` (0-based, in the epoch) on rung 3 or 4, with
/// dropout, in workspace ws (params, Adam's moments and the clock as the rank keeps them).
/// A rank with no rows in a (last, small) batch contributes zeros.
RankStep rank_step(stage05::Rung rung, stage05::Workspace& ws, const stage05::DeviceDataset& train,
                   const EpochPlan& plan, int step, int rank, int ranks, uint64_t seed,
                   const stage04::AdamConfig& adam);

}  // namespace stage06
