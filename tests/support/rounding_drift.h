/// \file
/// \brief How far two float32 trainings of the same network drift apart from rounding alone:
/// the yardstick of the step-by-step training comparisons (stage 04 against PyTorch, stage
/// 05 against stage 04).
///
/// Two implementations that add the same numbers in different orders start from the same
/// weights, but every step's rounding moves them a little apart, and Adam, which divides
/// each gradient by its own running size, turns a gradient made of rounding noise into a
/// full step of random sign. No formula bounds that drift over many steps in advance, so it
/// is measured: stage 04 is trained twice, once as it is and once with every weight nudged
/// by a rounding-sized amount before each step. The nudge comes from backward error
/// analysis: a float32 sum of K terms, in any order, is the exact sum of the terms each
/// changed by a relative gamma_K at worst and about sqrt(K) u typically (u = 2^-24, signs
/// mixed). Another implementation, differing only in its order of additions, is expected to
/// stay within ten times that drift: one order of magnitude, as the drift is one sample of
/// a random process. A real mistake (a batch one image short, Adam without its bias
/// correction, a mask applied twice) moves the run by orders of magnitude more.
#pragma once

#include <cstdint>
#include <vector>

#include "common/params.h"
#include "common/tensor.h"

namespace mnist::testkit {

/// How many times the measured drift another implementation may differ by.
inline constexpr double kDriftFactor = 10;

/// One training step's inputs.
struct TrainingStep {
  Tensor images;            ///< [B,1,28,28]
  std::vector<int> labels;  ///< B labels
  Tensor mask;              ///< [B,1600] dropout mask, or empty for none
};

/// A run: the loss of every step and the weights at the end.
struct TrainingRun {
  std::vector<double> losses;  ///< one per step
  Params params;               ///< after the last step
};

/// The nudge for a step whose longest float32 sum has K terms: sqrt(K) u.
float rounding_nudge(int64_t longest_sum);

/// Stage 04 (loss_and_gradients, then Adam with learning rate lr) over `steps`, from
/// `initial`. With nudge > 0 every weight is first multiplied by 1 + nudge or 1 - nudge
/// (random signs from noise_seed) before each step.
TrainingRun train_stage04(const Params& initial, const std::vector<TrainingStep>& steps, float lr,
                          float nudge = 0, uint64_t noise_seed = 12345);

/// ||a - b|| / ||b - start||: how far two runs ended apart, as a fraction of how far
/// training moved the weights (one tensor).
double relative_to_move(const Tensor& a, const Tensor& b, const Tensor& start);

/// Expects `other` to follow `reference` within kDriftFactor times the drift of `noisy`
/// (reference's computation with rounding-sized nudges): every step's loss against the
/// largest relative loss drift so far, and every final tensor against the noisy run's
/// distance. Prints every step. `initial` is where all three started.
void expect_within_drift(const TrainingRun& reference, const TrainingRun& other,
                         const TrainingRun& noisy, const Params& initial, const char* other_name);

}  // namespace mnist::testkit
