// Every forward stage gives stage 01's logits (relative error well under 1e-4) and the same
// predicted classes: on random images under several random parameter sets, and on real
// MNIST test images, with 1 and 2 OpenMP threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <string>

#include "common/evaluate.h"
#include "common/mnist.h"
#include "common/rng.h"
#include "tests/agreement/forward_stages.h"
#include "tests/support/test_support.h"

using agreement::forward_stages;
using mnist::Tensor;

namespace {

// Stage 01 follows the definitions; float rounding of a different summation order is about
// 1e-6 of the largest logit. Anything near 1e-4 means a real difference.
constexpr double kTolerance = 1e-5;

// Checks every stage after the first against the first on one batch.
void expect_all_stages_agree(const mnist::Params& params, const Tensor& images,
                             const std::string& what) {
  const auto& stages = forward_stages();
  const Tensor reference = stages.front().forward(params, images);
  const std::vector<int> classes = mnist::predict(reference);
  for (size_t s = 1; s < stages.size(); ++s)
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      const Tensor logits = stages[s].forward(params, images);
      const std::string where = "stage " + std::string(stages[s].id) + ", " + what + ", " +
                                std::to_string(threads) + " thread(s)";
      ASSERT_EQ(logits.shape(), reference.shape()) << where;
      EXPECT_LT(mnist::testkit::relative_error(logits, reference), kTolerance) << where;
      EXPECT_EQ(mnist::predict(logits), classes) << where;
    }
}

}  // namespace

TEST(Agreement, TableStartsWithTheReference) {
  ASSERT_GE(forward_stages().size(), 2u);
  EXPECT_STREQ(forward_stages().front().id, "01");
}

TEST(Agreement, RandomImagesSeveralParameterSeeds) {
  for (uint64_t seed : {1, 2, 3}) {
    const mnist::Params params = mnist::init_params(seed);
    Tensor images({50, 1, 28, 28});  // 50: not a multiple of any tile or slice size
    mnist::Rng rng(100 + seed);
    for (float& v : images.values()) v = rng.uniform();
    expect_all_stages_agree(params, images, "random images, params seed " + std::to_string(seed));
  }
}

TEST(Agreement, RealMnistTestImages) {
  REQUIRE_MNIST();
  // Stage 01 classifies about 260 images/s on one core: 200 images per seed keep this short.
  const mnist::Dataset test =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test, 200);
  for (uint64_t seed : {1, 7}) {
    const mnist::Params params = mnist::init_params(seed);
    expect_all_stages_agree(params, test.images,
                            "first 200 MNIST test images, params seed " + std::to_string(seed));
  }
}
