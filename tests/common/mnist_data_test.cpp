// Real MNIST, as `make data` fetched it.
#include <gtest/gtest.h>

#include <array>

#include "common/mnist.h"
#include "tests/support/test_support.h"

using namespace mnist;

namespace {
std::array<int, 10> count_labels(const Dataset& set) {
  std::array<int, 10> counts{};
  for (int label : set.labels) ++counts[static_cast<size_t>(label)];
  return counts;
}
}  // namespace

TEST(MnistData, TrainSetHasTheCanonicalClassCounts) {
  REQUIRE_MNIST();
  const Dataset train = load_mnist(testkit::data_dir(), Split::train);
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(count_labels(train),
            (std::array<int, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
}

TEST(MnistData, TestSetHasTheCanonicalClassCounts) {
  REQUIRE_MNIST();
  const Dataset test = load_mnist(testkit::data_dir(), Split::test);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(count_labels(test),
            (std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  float lo = 1, hi = 0;
  for (float v : test.images.values()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  EXPECT_EQ(test.labels[0], 7);  // the famous first test digit
}
