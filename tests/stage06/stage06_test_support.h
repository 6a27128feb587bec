/// \file
/// \brief What stage 06's GPU tests share: the batches and masks rungs 3 and 4 draw on the
/// GPU, recomputed on the host for stage 04, and comparisons of trained weights.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "06_multi_gpu/sharding.h"
#include "common/mnist.h"
#include "common/params.h"
#include "tests/support/rounding_drift.h"

namespace stage06::testing {

/// The global batches of `epochs` epochs of `plan` with seed `seed`, as stage 05's
/// prepare_batch draws them on the GPU (device_random.h: the epoch's shuffle, every row's
/// dropout mask), for stage 04 on the host.
std::vector<mnist::testkit::TrainingStep> device_batches(const mnist::Dataset& set,
                                                         const EpochPlan& plan, int epochs,
                                                         uint64_t seed);

/// Stage 04 over `steps` as it is and with rounding-sized nudges (rounding_drift.h): the
/// reference and the yardstick of a float32 run with another order of additions.
struct Yardstick {
  mnist::testkit::TrainingRun reference;  ///< stage 04
  mnist::testkit::TrainingRun noisy;      ///< stage 04 nudged by the rounding of its sums
};
Yardstick yardstick(const mnist::Params& initial,
                    const std::vector<mnist::testkit::TrainingStep>& steps, float lr);

/// The largest, over the six tensors, of how far `other` ended from the reference, as a
/// multiple of how far the nudged run did (each relative to the training move). Within
/// kDriftFactor: rounding; far beyond it: a mistake.
double worst_drift_ratio(const Yardstick& yardstick, const mnist::Params& other,
                         const mnist::Params& initial);

/// The relative rounding of a global batch's mean loss put together from `ranks` float32
/// shard means: each shard's mean, its product with its factor and each addition round once
/// (2^-24 relative each), 2 ranks + 1 roundings at most. At the first step the nudged run can
/// round to the very loss of the reference (a drift of 0), so the loss drift is never taken
/// below this.
double loss_rounding(int ranks);

/// The largest, over the steps, of how far `losses` is from the reference's losses (relative),
/// as a multiple of the nudged run's largest relative loss difference up to that step (as
/// mnist::testkit::expect_within_drift measures losses), that drift at least
/// loss_rounding(ranks).
double worst_loss_drift_ratio(const Yardstick& yardstick, const std::vector<double>& losses,
                              int ranks);

/// Expects every float of tensors a and b to be the same bits, naming the tensor (`name`)
/// and the first difference.
void expect_same_bits(const mnist::Tensor& a, const mnist::Tensor& b, std::string_view name);

/// expect_same_bits for all six tensors.
void expect_same_bits(const mnist::Params& a, const mnist::Params& b);

/// How many elements of a and b differ in their bits; where the sizes differ, each element
/// that only the longer one has counts as a difference (so different sizes never give 0).
int count_different_bits(std::span<const float> a, std::span<const float> b);

}  // namespace stage06::testing
