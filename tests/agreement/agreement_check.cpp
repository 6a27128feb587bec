#include "tests/agreement/agreement_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/evaluate.h"
#include "common/rng.h"
#include "common/safetensors.h"
#include "tests/support/test_support.h"

namespace agreement {

using mnist::Tensor;

WeightSet trained_weights() {
  return {"trained", mnist::load_params(MNIST_SHIPPED_WEIGHTS)};
}

WeightSet random_weights_with_biases(uint64_t seed) {
  WeightSet set{"random with biases, seed " + std::to_string(seed), mnist::init_params(seed)};
  mnist::Rng rng(seed + 1000);
  for (Tensor* bias : {&set.params.conv1_bias, &set.params.conv2_bias, &set.params.fc_bias}) {
    for (float& v : bias->values()) v = rng.uniform(-0.1f, 0.1f);
  }
  return set;
}

mnist::Dataset mnist_test_images(int count) {
  return mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test, count);
}

namespace {

/// The two largest logits of row n are further apart than their bounds allow to swap.
bool clear_winner(const BoundedLogits& reference, int n) {
  const int K = reference.logits.dim(1);
  const float* z = reference.logits.data() + int64_t{n} * K;
  const float* e = reference.bound.data() + int64_t{n} * K;
  const int best = mnist::argmax(z, K);
  for (int k = 0; k < K; ++k) {
    if (k != best && z[best] - z[k] <= 2 * (e[best] + e[k])) return false;
  }
  return true;
}

}  // namespace

void expect_agreement(const BoundedLogits& reference, const Tensor& logits,
                      const std::string& where) {
  ASSERT_EQ(logits.shape(), reference.logits.shape()) << where;
  int64_t outside = 0, first_outside = -1;
  for (int64_t i = 0; i < logits.size(); ++i) {
    const double diff = std::abs(double{logits[i]} - reference.logits[i]);
    if (!(diff <= 2.0 * reference.bound[i])) {
      if (outside++ == 0) first_outside = i;
    }
  }
  EXPECT_EQ(outside, 0) << where << ": " << outside << " logits differ from stage 01's by more "
                        << "than the float32 bound; the first is logit " << first_outside << ": "
                        << (first_outside >= 0 ? logits[first_outside] : 0) << " against "
                        << (first_outside >= 0 ? reference.logits[first_outside] : 0)
                        << ", bound 2E = "
                        << (first_outside >= 0 ? 2 * reference.bound[first_outside] : 0);

  const std::vector<int> want = mnist::predict(reference.logits);
  const std::vector<int> got = mnist::predict(logits);
  int spared = 0, different = 0;
  for (size_t n = 0; n < want.size(); ++n) {
    if (!clear_winner(reference, static_cast<int>(n))) {
      ++spared;
    } else if (got[n] != want[n]) {
      ++different;
    }
  }
  EXPECT_EQ(different, 0) << where << ": predicted classes differ from stage 01's";
  if (spared > 0) std::printf("  %s: %d near-tied image(s) not compared\n", where.c_str(), spared);
}

void print_differences(const BoundedLogits& reference, const std::vector<StageLogits>& stages,
                       const std::string& title) {
  double largest = 0;
  for (float v : reference.logits.values()) largest = std::max(largest, double{std::abs(v)});
  std::printf("  %s: largest |logit| %.3g\n", title.c_str(), largest);
  std::printf("    %-14s %-14s %12s %12s %12s\n", "stage", "against", "max |diff|", "relative",
              "of bound 2E");
  for (size_t a = 0; a < stages.size(); ++a)
    for (size_t b = a + 1; b < stages.size(); ++b) {
      double diff = 0, of_bound = 0;
      const Tensor& x = stages[a].logits;
      const Tensor& y = stages[b].logits;
      for (int64_t i = 0; i < x.size(); ++i) {
        const double d = std::abs(double{x[i]} - y[i]);
        diff = std::max(diff, d);
        of_bound = std::max(of_bound, d / (2.0 * reference.bound[i]));
      }
      std::printf("    %-14s %-14s %12.2e %12.2e %12.2e\n", stages[b].stage.c_str(),
                  stages[a].stage.c_str(), diff, diff / largest, of_bound);
    }
}

}  // namespace agreement
