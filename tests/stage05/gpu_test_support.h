/// \file
/// \brief What stage 05's tests share: skipping without a GPU, inputs, and comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "05_cuda/gpu.h"
#include "05_cuda/plans.h"
#include "common/params.h"
#include "common/tensor.h"

/// Skips the current test, saying why, when no CUDA GPU can be used (CI has none).
#define REQUIRE_GPU()                                                     \
  do {                                                                    \
    std::string why_no_gpu;                                               \
    if (!::stage05::gpu_available(&why_no_gpu))                           \
      GTEST_SKIP() << "no CUDA GPU (" << why_no_gpu << "): test not run"; \
  } while (0)

namespace stage05 {
/// Prints a rung by name in test output (instead of its bytes).
inline void PrintTo(Rung rung, std::ostream* out) {
  *out << rung_name(rung);
}
}  // namespace stage05

namespace stage05::testing {

/// Every rung, for parameterised tests.
inline const std::vector<Rung> kRungs = {Rung::naive, Rung::tiled, Rung::fused, Rung::tensor};

/// How far rung 4 may be from a float32 reference, relative to the reference's largest
/// element (mnist::testkit::relative_error). tensor_core_test.cpp holds each kernel to
/// its exact bound, (about 2^-10) * sum|a*b| for every output; here, end to end, that
/// bound is taken relative to the largest output. With weights of both signs a sum of K
/// products is about sqrt(K) times smaller than the sum of their magnitudes, so the
/// largest relative error is about 2^-10 * sqrt(K): sqrt(288) for the logits (conv2's
/// forward), sqrt(576) for the gradients (conv2's input gradient, K = 64 filters x 9 taps).
inline const double kTensorLogitTolerance = std::ldexp(1.0, -10) * std::sqrt(288.0);
inline const double kTensorGradientTolerance = std::ldexp(1.0, -10) * std::sqrt(576.0);

/// The logits' tolerance for a rung. Rungs 1-3 sum at most 1,600 float32 products in
/// another order than the reference: a few units in the 7th digit, and 1e-5 is ten
/// times that, far below what a wrong index or a missing bias gives (1e-1 and up).
inline double logit_tolerance(Rung rung) {
  return rung == Rung::tensor ? kTensorLogitTolerance : 1e-5;
}

/// Glorot-initialised parameters with biases drawn too (init_params leaves them at zero,
/// which would hide a bias that is added twice or not at all).
mnist::Params random_params(uint64_t seed);

/// n images [n,1,28,28] of U(0,1) pixels.
mnist::Tensor random_images(int n, uint64_t seed);

/// n labels in 0..9.
std::vector<int> random_labels(int n, uint64_t seed);

/// ||a - b|| / ||b|| over all elements (L2 norms, in double): one number for how far a is
/// from the reference b, insensitive to a few elements' rounding.
double relative_l2(const mnist::Tensor& a, const mnist::Tensor& b);

/// The rung's name for test output.
inline std::string rung_label(const ::testing::TestParamInfo<Rung>& info) {
  return rung_name(info.param);
}

}  // namespace stage05::testing
