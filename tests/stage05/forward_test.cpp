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

// float32 sums of at most 1,600 products in a different order than stage 01's: rounding
// differences of a few units in the 7th digit. 1e-5 of the largest logit is ten times
// that, and far below what a wrong index or a missing bias gives (order 1e-1 and up).
constexpr double kLogitTolerance = 1e-5;

TEST_P(Forward, MatchesStage01OnRandomImages) {
  REQUIRE_GPU();
  const mnist::Params params = random_params(3);
  // 37 images: not a multiple of any tile size, so every boundary check is exercised.
  const mnist::Tensor images = random_images(37, 4);
  GpuModel model(params, GetParam(), 64);
  const mnist::Tensor logits = model.forward(images);
  const mnist::Tensor expected = stage01::forward(params, images);
  const double error = mnist::testkit::relative_error(logits, expected);
  EXPECT_LT(error, kLogitTolerance);
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
  EXPECT_LT(mnist::testkit::relative_error(logits, expected), kLogitTolerance);
  EXPECT_EQ(mnist::predict(logits), mnist::predict(expected));
}

INSTANTIATE_TEST_SUITE_P(Rungs, Forward, ::testing::ValuesIn(testing::kRungs), testing::rung_label);

}  // namespace
}  // namespace stage05
