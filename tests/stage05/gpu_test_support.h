/// \file
/// \brief What stage 05's tests share: skipping without a GPU, inputs, and comparisons.
#pragma once

#include <gtest/gtest.h>

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
inline const std::vector<Rung> kRungs = {Rung::naive, Rung::tiled, Rung::fused};

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
