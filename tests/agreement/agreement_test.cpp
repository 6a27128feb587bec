// Every CPU forward stage gives stage 01's logits within the float32 rounding bound derived
// in logit_bound.h, and the same predicted classes: on the shipped trained weights and on
// random weights with non-zero biases, on 1,000 real MNIST test images and on random
// images, with 1 and 2 OpenMP threads. (Stage 05's rungs: agreement_gpu_test.cpp.)
#include <gtest/gtest.h>
#include <omp.h>

#include <string>
#include <vector>

#include "common/evaluate.h"
#include "common/rng.h"
#include "tests/agreement/agreement_check.h"
#include "tests/agreement/forward_stages.h"
#include "tests/support/test_support.h"

using agreement::forward_stages;
using mnist::Tensor;

namespace {

// Stage 01 classifies about 260 images/s on one core and the bound costs as much again:
// 1,000 images take about 8 s per weight set, so stage 01 runs once per set and every
// other stage is compared with that.
constexpr int kMnistImages = 1000;
constexpr int kBatch = 128;  // 1,000 = 7 x 128 + 104: the last batch is a partial one

/// Every stage after the reference, on 1 and 2 threads, against `reference`; the logits
/// of the 2-thread runs are added to `table`.
void expect_all_stages_agree(const agreement::BoundedLogits& reference, const mnist::Dataset& set,
                             const agreement::WeightSet& weights,
                             std::vector<agreement::StageLogits>* table) {
  const auto& stages = forward_stages();
  for (size_t s = 1; s < stages.size(); ++s)
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      Tensor logits;
      mnist::evaluate(stages[s].forward, weights.params, set, kBatch, &logits);
      agreement::expect_agreement(reference, logits,
                                  "stage " + std::string(stages[s].id) + ", " + weights.name +
                                      " weights, " + std::to_string(threads) + " thread(s)");
      if (table && threads == 2) table->push_back({stages[s].id, std::move(logits)});
    }
}

void expect_agreement_on_mnist(const agreement::WeightSet& weights) {
  const mnist::Dataset set = agreement::mnist_test_images(kMnistImages);
  ASSERT_EQ(set.size(), kMnistImages);
  const agreement::BoundedLogits reference =
      agreement::reference_logits(weights.params, set.images);
  std::vector<agreement::StageLogits> table;
  table.push_back({"01", reference.logits.clone()});
  expect_all_stages_agree(reference, set, weights, &table);
  agreement::print_differences(
      reference, table,
      weights.name + " weights, " + std::to_string(kMnistImages) + " MNIST test images");
}

}  // namespace

TEST(Agreement, TableStartsWithTheReference) {
  ASSERT_GE(forward_stages().size(), 2u);
  EXPECT_STREQ(forward_stages().front().id, "01");
}

TEST(Agreement, TheBoundIsTheStandardGamma) {
  // gamma_n = n u / (1 - n u): for the dense layer's 1601 terms, 9.54e-5.
  EXPECT_NEAR(agreement::float32_gamma(1601), 1601 * 0x1.0p-24 / (1 - 1601 * 0x1.0p-24), 1e-12);
  EXPECT_NEAR(agreement::float32_gamma(1601), 9.54e-5, 0.01e-5);
}

TEST(Agreement, RandomImagesRandomWeightsWithBiases) {
  for (uint64_t seed : {1, 2, 3}) {
    const agreement::WeightSet weights = agreement::random_weights_with_biases(seed);
    mnist::Dataset set;
    set.images = mnist::random_tensor({50, 1, 28, 28}, 100 + seed);  // 50: no tile's multiple
    for (float& v : set.images.values()) v = 0.5f * (v + 1);         // pixels in [0, 1)
    set.labels.assign(50, 0);
    expect_all_stages_agree(agreement::reference_logits(weights.params, set.images), set, weights,
                            nullptr);
  }
}

TEST(Agreement, TrainedWeightsOnMnistTestImages) {
  REQUIRE_MNIST();
  expect_agreement_on_mnist(agreement::trained_weights());
}

TEST(Agreement, RandomWeightsWithBiasesOnMnistTestImages) {
  REQUIRE_MNIST();
  expect_agreement_on_mnist(agreement::random_weights_with_biases(7));
}
