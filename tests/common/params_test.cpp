#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "common/network.h"
#include "common/params.h"

using namespace mnist;

TEST(Params, ShapesNamesAndCountFollowPyTorch) {
  const Params p = init_params(1);
  EXPECT_EQ(count_scalars(p), 34826);
  EXPECT_EQ(p.conv1_weight.shape(), (Shape{32, 1, 3, 3}));
  EXPECT_EQ(p.conv2_weight.shape(), (Shape{64, 32, 3, 3}));
  EXPECT_EQ(p.fc_weight.shape(), (Shape{10, 1600}));
  EXPECT_EQ(p.list()[4].name, "fc.weight");
}

TEST(Params, GlorotUniformBoundsAndZeroBiases) {
  const Params p = init_params(7);
  // a = sqrt(6 / (fan_in + fan_out)), worked out by hand for each kernel.
  const double conv1 = std::sqrt(6.0 / (1 * 9 + 32 * 9));
  const double conv2 = std::sqrt(6.0 / (32 * 9 + 64 * 9));
  const double fc = std::sqrt(6.0 / (1600 + 10));
  for (auto [t, a] :
       {std::pair{&p.conv1_weight, conv1}, {&p.conv2_weight, conv2}, {&p.fc_weight, fc}}) {
    double max_abs = 0, sum = 0, sum_sq = 0;
    for (float v : t->values()) {
      max_abs = std::max(max_abs, std::abs(double{v}));
      sum += v;
      sum_sq += double{v} * v;
    }
    EXPECT_LE(max_abs, a);
    EXPECT_GT(max_abs, 0.9 * a);  // the draws reach close to the bound
    const double n = static_cast<double>(t->size());
    EXPECT_NEAR(sum_sq / n, a * a / 3, 0.15 * a * a / 3);  // variance of U(-a,a)
    EXPECT_NEAR(sum / n, 0.0, 0.1 * a);
  }
  for (const Tensor* b : {&p.conv1_bias, &p.conv2_bias, &p.fc_bias}) {
    for (float v : b->values()) EXPECT_EQ(v, 0.0f);
  }
}

TEST(Params, SameSeedSameBitsDifferentSeedDifferent) {
  const Params a = init_params(5), b = init_params(5), c = init_params(6);
  EXPECT_EQ(std::memcmp(a.fc_weight.data(), b.fc_weight.data(), 16000 * 4), 0);
  EXPECT_NE(std::memcmp(a.fc_weight.data(), c.fc_weight.data(), 16000 * 4), 0);
}

TEST(Params, UnknownNameIsRefused) {
  EXPECT_THROW(param_shape("fc.wieght"), std::invalid_argument);
}

TEST(Network, WorkPerImageMatchesTheDesign) {
  EXPECT_EQ(net::kConv1Macs + net::kConv2Macs + net::kDenseMacs, 2440960);
  EXPECT_NEAR(net::kTrainFlops / 1e6, 14.3, 0.05);
}
