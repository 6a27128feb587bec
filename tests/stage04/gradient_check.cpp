#include "tests/stage04/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>

#include "04_backprop/train_step.h"
#include "common/rng.h"
#include "tests/stage04/reference.h"

namespace gradient_check {

using mnist::Tensor;
using reference::Array;

namespace {

// The finite-difference step. Small, because ReLU and max pooling have kinks: a step that
// carries any of the ~40,000 activations across one measures a different slope. In double,
// rounding costs about 1e-16 / kStep = 1e-9 of the loss, far below what is checked.
constexpr double kStep = 1e-7;

// Errors are measured against the tensor's largest gradient (or, along a direction, the sum
// of the terms' sizes). The float gradients agree to about 1e-6 of that; a wrong index, a
// missing term or a wrong scale is off by 1e-2 or more.
constexpr double kTolerance = 1e-4;

}  // namespace

Problem make_problem(uint64_t seed, int N) {
  Problem p{mnist::init_params(seed), Tensor({N, 1, 28, 28}), {}};
  mnist::Rng rng(seed + 100);
  for (float& v : p.images.values()) v = rng.uniform();
  for (Tensor* b : {&p.params.conv1_bias, &p.params.conv2_bias, &p.params.fc_bias}) {
    for (float& v : b->values()) v = rng.uniform(-0.1f, 0.1f);
  }
  for (int n = 0; n < N; ++n) p.labels.push_back(static_cast<int>(rng.below(10)));
  return p;
}

void check_gradients(const Problem& p, const Tensor& mask, uint64_t seed,
                     const LossAndGradients& step) {
  mnist::Params grads;
  const float loss = step(p.params, p.images, p.labels, mask, grads);
  reference::Params ref(p.params);
  const Array images = reference::to_double(p.images);
  const Array ref_mask = mask.empty() ? Array{} : reference::to_double(mask);
  const int N = p.images.dim(0);
  auto L = [&] { return reference::network_loss(ref, images, N, p.labels, ref_mask); };
  EXPECT_NEAR(loss, L(), 1e-5 * std::abs(L()));

  mnist::Rng rng(seed + 200);
  const auto analytic = grads.list();
  for (size_t t = 0; t < analytic.size(); ++t) {
    const Tensor& g = *analytic[t].tensor;
    Array& x = ref.at(t);
    ASSERT_EQ(g.size(), static_cast<int64_t>(x.size())) << analytic[t].name;
    double scale = 0;  // the tensor's largest gradient: errors are measured against it
    int64_t largest = 0;
    for (int64_t i = 0; i < g.size(); ++i) {
      if (std::abs(g[i]) > scale) {
        scale = std::abs(g[i]);
        largest = i;
      }
    }
    ASSERT_GT(scale, 0) << analytic[t].name << ": all gradients are zero";

    std::vector<int64_t> probes = {largest};
    for (int k = 0; k < 4; ++k) probes.push_back(rng.below(static_cast<uint32_t>(g.size())));
    for (int64_t i : probes) {
      const double numeric = reference::central_difference(x, i, kStep, L);
      EXPECT_NEAR(g[i], numeric, kTolerance * scale) << analytic[t].name << "[" << i << "]";
    }

    // Along a random direction d through the whole tensor, which covers every entry at
    // once: d/ds L(x + s d) at s = 0 is <grad, d>.
    Array direction(x.size());
    double predicted = 0, magnitude = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      direction[i] = rng.uniform(-1, 1);
      predicted += g[int64_t(i)] * direction[i];
      magnitude += std::abs(g[int64_t(i)] * direction[i]);
    }
    const Array saved = x;
    Array s = {0.0};
    auto along = [&] {
      for (size_t i = 0; i < x.size(); ++i) x[i] = saved[i] + s[0] * direction[i];
      return L();
    };
    const double numeric = reference::central_difference(s, 0, kStep, along);
    x = saved;
    EXPECT_NEAR(predicted, numeric, kTolerance * magnitude)
        << analytic[t].name << " along a direction";
  }
}

void check_gradients(const Problem& p, const Tensor& mask, uint64_t seed) {
  check_gradients(p, mask, seed,
                  [](const mnist::Params& params, const Tensor& images, std::span<const int> labels,
                     const Tensor& m, mnist::Params& grads) {
                    return stage04::loss_and_gradients(params, images, labels, m, grads);
                  });
}

}  // namespace gradient_check
