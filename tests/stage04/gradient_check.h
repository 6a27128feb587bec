/// \file
/// \brief The finite-difference gradient check of a whole training step, shared by the
/// tests of every rung: a small problem, and its gradients against the double reference.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/params.h"
#include "common/tensor.h"

namespace gradient_check {

/// Small random images, glorot weights from seed, and biases made non-zero so that their
/// gradients flow through every path a trained network's would.
struct Problem {
  mnist::Params params;
  mnist::Tensor images;
  std::vector<int> labels;
};

/// A problem of N images from seed.
Problem make_problem(uint64_t seed, int N);

/// A training step's arithmetic under test: the mean loss of images, and every gradient
/// into grads (the signature of stage04::loss_and_gradients without its logits).
using LossAndGradients = std::function<float(
    const mnist::Params& params, const mnist::Tensor& images, std::span<const int> labels,
    const mnist::Tensor& mask, mnist::Params& grads)>;

/// Checks the loss, and the gradient of every parameter tensor two ways, against finite
/// differences of the reference: entry by entry at a few positions (the largest gradient
/// and random ones), and along a random direction through the whole tensor.
void check_gradients(const Problem& p, const mnist::Tensor& mask, uint64_t seed,
                     const LossAndGradients& step);

/// The same check of stage 04's layer-by-layer step (rung 1, stage04::loss_and_gradients).
void check_gradients(const Problem& p, const mnist::Tensor& mask, uint64_t seed);

}  // namespace gradient_check
