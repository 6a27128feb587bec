// Stage 05, every rung of its ladder, gives stage 01's logits within the float32 rounding
// bound of logit_bound.h and the same predicted classes, on the trained weights and on
// random weights with biases, on 1,000 MNIST test images. Without a CUDA GPU (CI) each test
// reports itself skipped and says why.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "05_cuda/model.h"
#include "common/evaluate.h"
#include "tests/agreement/agreement_check.h"
#include "tests/stage05/gpu_test_support.h"
#include "tests/support/test_support.h"

namespace {

constexpr int kMnistImages = 1000;
constexpr int kBatch = 128;  // the last of the 8 batches holds 104 images

void expect_every_rung_agrees(const agreement::WeightSet& weights) {
  const mnist::Dataset set = agreement::mnist_test_images(kMnistImages);
  const agreement::BoundedLogits reference =
      agreement::reference_logits(weights.params, set.images);
  std::vector<agreement::StageLogits> table;
  table.push_back({"01", reference.logits.clone()});
  for (stage05::Rung rung : stage05::testing::kRungs) {
    stage05::GpuModel model(weights.params, rung, kBatch);
    mnist::Tensor logits;
    mnist::evaluate(
        [&](const mnist::Params&, const mnist::Tensor& images) { return model.forward(images); },
        weights.params, set, kBatch, &logits);
    const std::string name = std::string("05 ") + stage05::rung_name(rung);
    agreement::expect_agreement(reference, logits, "stage " + name + ", " + weights.name);
    table.push_back({name, std::move(logits)});
  }
  agreement::print_differences(reference, table, weights.name + " weights, GPU rungs");
}

}  // namespace

TEST(AgreementGpu, TrainedWeightsEveryRung) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  expect_every_rung_agrees(agreement::trained_weights());
}

TEST(AgreementGpu, RandomWeightsWithBiasesEveryRung) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  expect_every_rung_agrees(agreement::random_weights_with_biases(7));
}
