#include "tests/agreement/logit_bound.h"

#include <cmath>

#include "01_naive_loops/layers.h"
#include "common/network.h"

namespace agreement {

using mnist::Tensor;

double float32_gamma(int n) {
  const double nu = n * 0x1.0p-24;
  return nu / (1 - nu);
}

namespace {

Tensor absolute(const Tensor& t) {
  Tensor out = t.clone();
  for (float& v : out.values()) v = std::abs(v);
  return out;
}

/// gamma |x| + (1 + gamma) E: what the bound layer reads (x non-negative after ReLU).
Tensor bound_input(const Tensor& x, const Tensor& error, double gamma) {
  Tensor in(x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    in[i] = static_cast<float>(gamma * std::abs(x[i]) + (1 + gamma) * error[i]);
  }
  return in;
}

Tensor scaled(Tensor&& t, double factor) {
  for (float& v : t.values()) v = static_cast<float>(v * factor);
  return t;
}

/// One layer's error bound E_out, with conv_or_dense a stage 01 layer (K products each).
template <typename Layer>
Tensor layer_bound(Layer conv_or_dense, const Tensor& x, const Tensor& error, const Tensor& weight,
                   const Tensor& bias, int K) {
  const double gamma = float32_gamma(K + 1);
  return conv_or_dense(bound_input(x, error, gamma), absolute(weight),
                       scaled(absolute(bias), gamma));
}

}  // namespace

BoundedLogits reference_logits(const mnist::Params& p, const Tensor& images) {
  using namespace mnist::net;
  constexpr int kTaps = kKernel * kKernel;
  // The bound is itself computed in float32; its own rounding is a relative gamma_1601 =
  // 1e-4 of it at most, which the final factor covers.
  constexpr double kBoundRounding = 1.001;

  Tensor x = stage01::relu(stage01::conv2d(images, p.conv1_weight, p.conv1_bias));
  Tensor e = layer_bound(stage01::conv2d, images, Tensor(images.shape()), p.conv1_weight,
                         p.conv1_bias, kTaps);
  x = stage01::maxpool2x2(x);
  e = stage01::maxpool2x2(e);  // errors are >= 0: the window's largest

  Tensor e2 =
      layer_bound(stage01::conv2d, x, e, p.conv2_weight, p.conv2_bias, kConv1Channels * kTaps);
  x = stage01::maxpool2x2(stage01::relu(stage01::conv2d(x, p.conv2_weight, p.conv2_bias)));
  e = stage01::maxpool2x2(e2);

  x = stage01::flatten(std::move(x));
  e = stage01::flatten(std::move(e));
  BoundedLogits out;
  out.bound =
      scaled(layer_bound(stage01::dense, x, e, p.fc_weight, p.fc_bias, kFlat), kBoundRounding);
  out.logits = stage01::dense(x, p.fc_weight, p.fc_bias);
  return out;
}

}  // namespace agreement
