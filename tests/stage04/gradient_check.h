/// \file
/// \brief The whole-step gradient check: stage 04's loss_and_gradients against central
/// finite differences of the double-precision reference network (reference.h).
#pragma once

#include <cstdint>
#include <vector>

#include "common/params.h"
#include "common/tensor.h"

namespace mnist::testkit {

/// Where to check the gradients: parameters, a batch of images and their labels.
struct Problem {
  mnist::Params params;     ///< with non-zero biases, so their gradients flow as a trained net's
  mnist::Tensor images;     ///< [N,1,28,28]
  std::vector<int> labels;  ///< N labels
};

/// N random images [N,1,28,28] in [0,1), glorot weights from seed with biases drawn from
/// U(-0.1, 0.1), and N random labels.
Problem make_problem(uint64_t seed, int N);

/// Checks the gradient of every parameter tensor two ways against finite differences of the
/// reference: entry by entry at a few positions (the largest gradient and random ones), and
/// along a random direction through the whole tensor.
void check_gradients(const Problem& p, const mnist::Tensor& mask, uint64_t seed);

}  // namespace mnist::testkit
