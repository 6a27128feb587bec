// Stage 05's Adam against stage 04's: alone on given gradients, and inside whole steps.
#include <gtest/gtest.h>

#include <cstdio>

#include "04_backprop/adam.h"
#include "04_backprop/train_step.h"
#include "05_cuda/model.h"
#include "common/rng.h"
#include "gpu_test_support.h"
#include "tests/support/test_support.h"

namespace stage05 {
namespace {

using testing::random_images;
using testing::random_labels;
using testing::random_params;

mnist::Params random_gradients(uint64_t seed) {
  mnist::Params g = mnist::zero_params();
  mnist::Rng rng(seed);
  for (auto [name, tensor] : g.list())
    for (float& v : tensor->values()) v = rng.uniform(-1e-2f, 1e-2f);
  return g;
}

// The change each side made to every tensor, compared as one relative L2 norm.
void expect_same_updates(const mnist::Params& initial, const mnist::Params& gpu,
                         const mnist::Params& cpu, double tolerance) {
  const auto p0 = initial.list();
  const auto g = gpu.list();
  const auto c = cpu.list();
  for (size_t i = 0; i < p0.size(); ++i) {
    mnist::Tensor dg = g[i].tensor->clone(), dc = c[i].tensor->clone();
    for (int64_t k = 0; k < dg.size(); ++k) {
      dg[k] -= (*p0[i].tensor)[k];
      dc[k] -= (*p0[i].tensor)[k];
    }
    const double error = testing::relative_l2(dg, dc);
    EXPECT_LT(error, tolerance) << p0[i].name;
    std::printf("    %-13s update relative L2 error %.2e\n", std::string(p0[i].name).c_str(),
                error);
  }
}

class AdamSteps : public ::testing::TestWithParam<Rung> {};

// The same formula on the same numbers: only the rounding of a handful of float operations
// (fused multiply-adds, sqrt) differs, a few units in the 7th digit of each update
// (measured on an H100: at most 3.4e-7).
TEST_P(AdamSteps, MatchStage04OnGivenGradients) {
  REQUIRE_GPU();
  const mnist::Params initial = random_params(20);
  mnist::Params cpu = initial.clone();
  stage04::Adam adam;
  GpuModel model(initial, GetParam(), 1);
  for (int step = 0; step < 3; ++step) {
    const mnist::Params grads = random_gradients(21 + step);
    adam.step(cpu, grads);
    model.set_gradients(grads);
    model.adam_step();
  }
  EXPECT_EQ(model.steps(), 3);
  expect_same_updates(initial, model.params(), cpu, 3e-6);
}

// Three training steps with fixed dropout masks, exactly as the trainer runs them (rung 3:
// gradients and Adam fused). The gradients differ in their last digits (gradients_test) and
// Adam passes that on: measured on an H100, at most 4.8e-6 of each tensor's total update.
// 5e-5 leaves a margin of ten. (Adam's first steps are about lr * sign(g): a gradient within
// rounding of zero could take the other sign on the GPU and move its parameter 2e-3 the
// other way, which this test would report; these inputs have no such gradient.)
TEST_P(AdamSteps, TrainingStepsMatchStage04) {
  REQUIRE_GPU();
  if (GetParam() == Rung::tensor) {
    // Rung 4's gradients differ from float32's by about 1e-3 of their size (TF32), so many
    // near-zero gradients take the other sign and Adam's lr * sign(g) steps follow them:
    // no tolerance derived from Adam's arithmetic applies. Rung 4's Adam is rung 3's
    // kernel, checked on given gradients above.
    GTEST_SKIP() << "rung 4: TF32 gradients flip the sign of Adam's first steps";
  }
  const int n = 64;
  const mnist::Params initial = random_params(30);
  mnist::Params cpu = initial.clone();
  stage04::Adam adam;
  GpuModel model(initial, GetParam(), n);
  mnist::Rng rng(31);
  for (int step = 0; step < 3; ++step) {
    const mnist::Tensor images = random_images(n, 32 + step);
    const std::vector<int> labels = random_labels(n, 40 + step);
    const mnist::Tensor mask = stage04::make_dropout_mask(n, rng);
    mnist::Params grads;
    const float expected_loss = stage04::loss_and_gradients(cpu, images, labels, mask, grads);
    adam.step(cpu, grads);
    const float loss = model.train_step(images, labels, mask);
    EXPECT_NEAR(loss, expected_loss, 1e-5 * expected_loss) << "step " << step;
  }
  EXPECT_EQ(model.steps(), 3);
  expect_same_updates(initial, model.params(), cpu, 5e-5);
}

INSTANTIATE_TEST_SUITE_P(Rungs, AdamSteps, ::testing::ValuesIn(testing::kRungs),
                         testing::rung_label);

}  // namespace
}  // namespace stage05
