/// \file
/// \brief What the agreement tests share: the weight sets, the test images, and the check
/// of one stage's logits against stage 01's bounded logits (logit_bound.h).
#pragma once

#include <string>
#include <vector>

#include "common/mnist.h"
#include "common/params.h"
#include "common/tensor.h"
#include "tests/agreement/logit_bound.h"

namespace agreement {

/// One set of weights to run every stage with.
struct WeightSet {
  std::string name;  ///< for test output: "trained" or "random with biases"
  mnist::Params params;
};

/// The shipped trained weights (weights/mnist_cnn.safetensors).
WeightSet trained_weights();

/// Glorot-uniform kernels (init_params(seed)) and biases drawn from U(-0.1, 0.1): the size of
/// the trained biases, which lie within +-0.15. Zero biases, init_params' own, would let a
/// stage that forgets to add them pass.
WeightSet random_weights_with_biases(uint64_t seed);

/// Real digits for the tests: the first `count` MNIST test images. Their blank margins make
/// many pooling windows exact ties and many ReLUs exactly zero, which random pixels never do.
mnist::Dataset mnist_test_images(int count);

/// A stage's logits for the comparison table.
struct StageLogits {
  std::string stage;     ///< "02", "05 rung tiled", ...
  mnist::Tensor logits;  ///< [N,10]
};

/// Every logit of `logits` within 2E of the reference (E = reference.bound), and the same
/// predicted class for every image whose two best reference logits are more than 2E apart
/// (closer than that, a different order of rounding may legitimately pick the other one;
/// the test output says how many images that spared, and on MNIST it is none).
void expect_agreement(const BoundedLogits& reference, const mnist::Tensor& logits,
                      const std::string& where);

/// Prints, for every pair of stages, the largest logit difference: absolute, relative to the
/// largest reference logit, and as a fraction of the bound 2E (the numbers in
/// docs/tooling/testing.md come from here).
void print_differences(const BoundedLogits& reference, const std::vector<StageLogits>& stages,
                       const std::string& title);

}  // namespace agreement
