// One epoch of real training on the GPU: it learns, and its weights mean the same thing to
// stage 01's CPU forward pass (the formats interchange).
#include <gtest/gtest.h>

#include "01_naive_loops/forward.h"
#include "05_cuda/model.h"
#include "05_cuda/trainer.h"
#include "common/evaluate.h"
#include "common/mnist.h"
#include "gpu_test_support.h"
#include "tests/support/test_support.h"

namespace stage05 {
namespace {

/// One epoch of rung `rung` over the whole training set from init_params(1), evaluated on
/// the test set.
TrainOutcome one_epoch(Rung rung) {
  const mnist::Dataset train_set =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train);
  const mnist::Dataset test_set = mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test);
  TrainConfig config;
  config.rung = rung;
  config.epochs = 1;
  return train(mnist::init_params(1), train_set, &test_set, config);
}

TEST(Training, OneEpochOnTheGpuLearns) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const TrainOutcome outcome = one_epoch(Rung::fused);
  ASSERT_EQ(outcome.epochs.size(), 1u);
  // The Keras example reaches about 98% after one epoch; chance is 10%.
  EXPECT_GT(outcome.epochs[0].test_accuracy, 0.97);
  EXPECT_LT(outcome.epochs[0].loss, 0.5);

  // Stage 01 on the CPU reads the trained weights the same way.
  const mnist::Dataset few = mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test, 500);
  GpuModel model(outcome.params, Rung::fused, 500);
  const mnist::Tensor gpu_logits = model.forward(few.images);
  const mnist::Tensor cpu_logits = stage01::forward(outcome.params, few.images);
  EXPECT_LT(mnist::testkit::relative_error(gpu_logits, cpu_logits), 1e-5);
  EXPECT_EQ(mnist::predict(gpu_logits), mnist::predict(cpu_logits));
}

TEST(Training, OneEpochOnTheTensorCoresLearns) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const TrainOutcome outcome = one_epoch(Rung::tensor);
  ASSERT_EQ(outcome.epochs.size(), 1u);
  // TF32 costs the network nothing it can measure: the same band as float32's first epoch.
  EXPECT_GT(outcome.epochs[0].test_accuracy, 0.97);
  EXPECT_LT(outcome.epochs[0].loss, 0.5);
}

}  // namespace
}  // namespace stage05
