// Stage 02's layers against stage 01's reference layers.
#include <gtest/gtest.h>

#include "01_naive_loops/layers.h"
#include "02_im2col/layers.h"
#include "tests/support/test_support.h"

using mnist::Tensor;
using mnist::testkit::relative_error;

using mnist::testkit::random_tensor;

TEST(Stage02Layers, ConvMatchesStage01) {
  struct Shape {
    int n, c, h, w, o, k;
  };
  for (const Shape s : {Shape{3, 5, 9, 7, 4, 3}, Shape{2, 32, 13, 13, 64, 3},
                        Shape{1, 1, 28, 28, 32, 3}, Shape{2, 2, 4, 6, 3, 4}}) {
    const Tensor in = random_tensor({s.n, s.c, s.h, s.w}, 1),
                 w = random_tensor({s.o, s.c, s.k, s.k}, 2), b = random_tensor({s.o}, 3);
    EXPECT_LT(relative_error(stage02::conv2d(in, w, b), stage01::conv2d(in, w, b)), 1e-5);
  }
}

TEST(Stage02Layers, ConvRejectsMismatchedWeights) {
  EXPECT_THROW(stage02::conv2d(Tensor({1, 2, 4, 4}), Tensor({3, 1, 3, 3}), Tensor({3})),
               std::invalid_argument);
  EXPECT_THROW(stage02::conv2d(Tensor({1, 1, 4, 4}), Tensor({3, 1, 3, 3}), Tensor({2})),
               std::invalid_argument);
}

TEST(Stage02Layers, DenseMatchesStage01) {
  for (int n : {1, 3, 128}) {
    const Tensor x = random_tensor({n, 1600}, 4), w = random_tensor({10, 1600}, 5),
                 b = random_tensor({10}, 6);
    EXPECT_LT(relative_error(stage02::dense(x, w, b), stage01::dense(x, w, b)), 1e-5) << n;
  }
  EXPECT_THROW(stage02::dense(Tensor({2, 3}), Tensor({4, 2}), Tensor({4})), std::invalid_argument);
}
