// Stage 05 trains as stage 04 does, step by step, on every rung: the same initial weights
// (with biases), the same batches of real digits (the last of each pass a partial one), the
// same dropout masks, 20 steps of loss, gradients and Adam (GpuModel::train_step, the step
// the trainer runs). Every step's loss and the final weights must stay within ten times
// the drift that rounding alone causes (tests/support/rounding_drift.h), rounding in the
// precision of the rung's products. Without a GPU the
// tests report themselves skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "04_backprop/train_step.h"
#include "05_cuda/model.h"
#include "common/mnist.h"
#include "common/rng.h"
#include "gpu_test_support.h"
#include "tests/support/rounding_drift.h"
#include "tests/support/test_support.h"

namespace stage05 {
namespace {

using mnist::testkit::TrainingRun;
using mnist::testkit::TrainingStep;

// 300 digits in batches of 64: four full batches and one of 44 per pass; 20 steps are four
// passes, in order (the shuffle is stage 04's trainer's business, tested against PyTorch).
constexpr int kImages = 300;
constexpr int kBatch = 64;
constexpr int kSteps = 20;
constexpr float kLearningRate = 1e-3f;

std::vector<TrainingStep> batches_with_masks(const mnist::Dataset& set) {
  constexpr int kStepsPerPass = (kImages + kBatch - 1) / kBatch;  // 5
  std::vector<TrainingStep> steps;
  mnist::Rng dropout(21);
  for (int s = 0; s < kSteps; ++s) {
    const int begin = (s % kStepsPerPass) * kBatch;
    mnist::Batch batch = mnist::slice_batch(set, begin, std::min(kBatch, kImages - begin));
    const int count = static_cast<int>(batch.labels.size());
    steps.push_back({std::move(batch.images), std::move(batch.labels),
                     stage04::make_dropout_mask(count, dropout)});
  }
  return steps;
}

class TrainingSteps : public ::testing::TestWithParam<Rung> {};

TEST_P(TrainingSteps, FollowStage04WithTheSameMasks) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset set =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, kImages);
  const std::vector<TrainingStep> steps = batches_with_masks(set);
  const mnist::Params initial = testing::random_params(31);

  const TrainingRun cpu = mnist::testkit::train_stage04(initial, steps, kLearningRate);
  // The yardstick's nudge is the rounding of the precision the rung computes in. In float32
  // a K-term sum is the exact sum of terms each changed by about sqrt(K) u, u = 2^-24. Rung
  // 4 rounds both factors of every product to TF32 (u = 2^-11) before adding in float32, so
  // each term is changed by up to 2 * 2^-11 more, whatever K (tensor_core_test.cpp derives
  // the same bound per element).
  const float tf32_rounding = GetParam() == Rung::tensor ? 2.0f / 2048.0f : 0.0f;
  const TrainingRun noisy = mnist::testkit::train_stage04(
      initial, steps, kLearningRate,
      mnist::testkit::rounding_nudge(int64_t{kBatch} * 676) + tf32_rounding);

  GpuModel model(initial, GetParam(), kBatch, stage04::AdamConfig{.lr = kLearningRate});
  TrainingRun gpu;
  for (const TrainingStep& step : steps) {
    gpu.losses.push_back(model.train_step(step.images, step.labels, step.mask));
  }
  gpu.params = model.params();
  EXPECT_EQ(model.steps(), kSteps);
  mnist::testkit::expect_within_drift(cpu, gpu, noisy, initial, "gpu");
}

INSTANTIATE_TEST_SUITE_P(Rungs, TrainingSteps, ::testing::ValuesIn(testing::kRungs),
                         testing::rung_label);

}  // namespace
}  // namespace stage05
