// Stage 05's forward pass, every rung, against stage 01's naive loops on the same inputs.
#include <gtest/gtest.h>

#include "01_naive_loops/forward.h"
#include "05_cuda/model.h"
#include "common/evaluate.h"
#include "common/mnist.h"
#include "gpu_test_support.h"
#include "tests/support/test_support.h"

namespace stage05 {
namespace {

using testing::random_images;
using testing::random_params;

class Forward : public ::testing::TestWithParam<Rung> {};

using testing::logit_tolerance;  // rungs 1-3: float32 sums in another order; rung 4: TF32

TEST_P(Forward, MatchesStage01OnRandomImages) {
  REQUIRE_GPU();
  const mnist::Params params = random_params(3);
  // 37 images: not a multiple of any tile size, so every boundary check is exercised.
  const mnist::Tensor images = random_images(37, 4);
  GpuModel model(params, GetParam(), 64);
  const mnist::Tensor logits = model.forward(images);
  const mnist::Tensor expected = stage01::forward(params, images);
  const double error = mnist::testkit::relative_error(logits, expected);
  EXPECT_LT(error, logit_tolerance(GetParam()));
  ::testing::Test::RecordProperty("relative_error", std::to_string(error));
}

TEST_P(Forward, MatchesStage01OnMnistInSlices) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset test =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test, 100);
  const mnist::Params params = random_params(5);
  GpuModel model(params, GetParam(), 32);  // 100 images through a model for 32: 4 slices
  const mnist::Tensor logits = model.forward(test.images);
  const mnist::Tensor expected = stage01::forward(params, test.images);
  EXPECT_LT(mnist::testkit::relative_error(logits, expected), logit_tolerance(GetParam()));
  EXPECT_EQ(mnist::predict(logits), mnist::predict(expected));
}

INSTANTIATE_TEST_SUITE_P(Rungs, Forward, ::testing::ValuesIn(testing::kRungs), testing::rung_label);

}  // namespace
}  // namespace stage05
