// The weights file this stage ships (weights/mnist_cnn.safetensors, see weights/README.md):
// it loads under the PyTorch names and classifies the MNIST test set as well as it did.
#include <gtest/gtest.h>

#include "03_blocked_simd/forward.h"
#include "common/evaluate.h"
#include "common/mnist.h"
#include "common/safetensors.h"
#include "tests/support/test_support.h"

TEST(ShippedWeights, ClassifyTheTestSetAsWellAsWhenTheyWereMade) {
  REQUIRE_MNIST();
  const mnist::Params params = mnist::load_params(MNIST_SHIPPED_WEIGHTS);
  const mnist::Dataset test = mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test);
  const mnist::EvalResult r = mnist::evaluate(stage03::forward, params, test, 256);
  EXPECT_EQ(r.images, 10000);
  // They scored 98.85% (9,885 of 10,000) under stage 03 on the machine that made them
  // (weights/README.md). 98.5% leaves room for a few borderline images to change their
  // answer under another CPU's rounding; broken weights or a broken forward pass score ~10%.
  EXPECT_GE(r.accuracy(), 0.985) << r.correct << " of 10000 correct";
}
