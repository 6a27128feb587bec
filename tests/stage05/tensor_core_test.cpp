// Rung 4's tensor-core kernels, each output checked against a float64 reference on the CPU
// within its own rounding bound, element by element.
//
// The bound. The kernels round both factors of every product to TF32 (10 mantissa bits,
// unit roundoff u = 2^-11), so a product a*b comes out as a*b*(1+d1)(1+d2), off by at most
// (2u + u^2)|a*b|. The tensor cores then add K such products in float32; whatever order and
// rounding mode they use inside the instruction, each of the K additions is off by at most
// one float32 unit (2^-23, truncation's worst case) of a partial sum, itself at most
// sum|a*b|. So for one output, with 2u + u^2 = 2^-10 + 2^-22 rounded up to 2^-10 + 2^-21:
//
//     |gpu - exact| <= (2^-10 + 2^-21 + K * 2^-23) * sum_i |a_i * b_i|   (+ 2^-23 |bias|)
//
// For K = 288 that is about 1.0e-3 of sum|a*b|: the TF32 rounding, not the float32 sums,
// is almost all of it. The reference computes each output and its sum|a*b| in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "05_cuda/device_buffer.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/plans.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tensor_core_kernels.h"
#include "common/rng.h"
#include "gpu_test_support.h"

namespace stage05 {
namespace {

using namespace sizes;
constexpr int kWindows1 = kPool1Size * kPool1Size;  // 169
constexpr int kWindows2 = kPool2Size * kPool2Size;  // 25
constexpr int kFan2 = kConv1Channels * kTaps;       // 288

// The factor of sum|a*b| in the bound above, for a K-term dot product.
double tf32_bound(int k) {
  return std::ldexp(1.0, -10) + std::ldexp(1.0, -21) + k * std::ldexp(1.0, -23);
}
const double kFloat32Unit = std::ldexp(1.0, -23);

std::vector<float> uniform(size_t count, float lo, float hi, mnist::Rng& rng) {
  std::vector<float> v(count);
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}
// Non-negative like a ReLU's output, with about a third exact zeros.
std::vector<float> activations(size_t count, mnist::Rng& rng) {
  std::vector<float> v(count);
  for (float& x : v) x = rng.uniform() < 0.33f ? 0.0f : rng.uniform();
  return v;
}
std::vector<uint8_t> corners(size_t count, mnist::Rng& rng) {
  std::vector<uint8_t> v(count);
  for (uint8_t& c : v) c = static_cast<uint8_t>(rng.below(4));
  return v;
}

// Counts the elements outside their bound and reports the worst ratio error / bound.
struct BoundCheck {
  const char* name;
  int outside = 0;
  double worst = 0;
  void operator()(double gpu, double exact, double bound) {
    const double ratio = std::abs(gpu - exact) / bound;
    worst = std::max(worst, ratio);
    if (!(ratio <= 1.0)) ++outside;  // NaN counts as outside
  }
  ~BoundCheck() {
    std::printf("    %-14s worst error %.3f of its bound\n", name, worst);
    EXPECT_EQ(outside, 0) << name << ": elements outside their TF32 bound";
  }
};

TEST(TensorCores, Conv2ForwardIsWithinTheTf32Bound) {
  REQUIRE_GPU();
  const int n = 7;
  mnist::Rng rng(21);
  const std::vector<float> pool1 = activations(size_t(n) * kPool1Out, rng);
  const std::vector<float> w = uniform(size_t(kConv2Channels) * kFan2, -0.1f, 0.1f, rng);
  const std::vector<float> b = uniform(kConv2Channels, -0.1f, 0.1f, rng);
  DeviceBuffer<float> d_pool1(pool1.size()), d_w(w.size()), d_b(b.size()), d_out(size_t(n) * kFlat),
      d_arranged(tc::kArrangedWeights);
  DeviceBuffer<uint8_t> d_arg(size_t(n) * kFlat);
  d_pool1.upload(pool1);
  d_w.upload(w);
  d_b.upload(b);
  set_kernel_attributes(Rung::tensor);
  tc::conv2_relu_pool(d_pool1.data(),
                      {d_w.data(), d_b.data(), d_out.data(), d_arg.data(), d_arranged.data()}, n,
                      nullptr);
  const std::vector<float> out = d_out.to_host();
  const std::vector<uint8_t> arg = d_arg.to_host();

  BoundCheck values{"pooled value"};
  int clear_winners = 0, winners_right = 0;
  for (int img = 0; img < n; ++img)
    for (int f = 0; f < kConv2Channels; ++f)
      for (int q = 0; q < kWindows2; ++q) {
        double z[4], bound = 0;
        for (int corner = 0; corner < 4; ++corner) {
          const int y = 2 * (q / kPool2Size) + corner / 2, x = 2 * (q % kPool2Size) + corner % 2;
          double sum = b[size_t(f)], magnitude = 0;
          for (int c = 0; c < kConv1Channels; ++c)
            for (int tap = 0; tap < kTaps; ++tap) {
              const double p = double(pool1[size_t(img) * kPool1Out + c * kWindows1 +
                                            (y + tap / 3) * kPool1Size + x + tap % 3]) *
                               w[size_t(f) * kFan2 + c * kTaps + tap];
              sum += p;
              magnitude += std::abs(p);
            }
          z[corner] = sum;
          bound = std::max(bound, tf32_bound(kFan2) * magnitude +
                                      kFloat32Unit * (std::abs(b[size_t(f)]) + std::abs(sum)));
        }
        // max and ReLU move nothing by more than their inputs moved.
        const int best = int(std::max_element(z, z + 4) - z);
        const size_t at = size_t(img) * kFlat + f * kWindows2 + q;
        values(out[at], std::max(z[best], 0.0), bound);
        // The winner must match wherever the runner-up is further than two bounds away.
        double second = -INFINITY;
        for (int corner = 0; corner < 4; ++corner)
          if (corner != best) second = std::max(second, z[corner]);
        if (z[best] - second > 2 * bound) {
          ++clear_winners;
          winners_right += arg[at] == best;
        }
      }
  EXPECT_EQ(winners_right, clear_winners);
  EXPECT_GT(clear_winners, n * kFlat / 2);  // the check above is not vacuous
}

TEST(TensorCores, ConvBackwardIsWithinTheTf32Bound) {
  REQUIRE_GPU();
  const int n = 5;
  mnist::Rng rng(22);
  const std::vector<float> images = uniform(size_t(n) * kImage, 0.0f, 1.0f, rng);
  const std::vector<float> pool1 = activations(size_t(n) * kPool1Out, rng);
  const std::vector<uint8_t> arg1 = corners(size_t(n) * kPool1Out, rng);
  const std::vector<uint8_t> arg2 = corners(size_t(n) * kFlat, rng);
  std::vector<float> dpool2 = uniform(size_t(n) * kFlat, -0.01f, 0.01f, rng);
  for (float& g : dpool2)
    if (rng.uniform() < 0.6f) g = 0.0f;  // dropout and ReLU zero most of them
  const std::vector<float> w2 = uniform(size_t(kConv2Channels) * kFan2, -0.1f, 0.1f, rng);

  DeviceBuffer<float> d_images(images.size()), d_pool1(pool1.size()), d_dpool2(dpool2.size()),
      d_w2(w2.size()), d_partials(size_t(n) * layout::kConvTotal),
      d_arranged(tc::kArrangedWeights);
  DeviceBuffer<uint8_t> d_arg1(arg1.size()), d_arg2(arg2.size());
  d_images.upload(images);
  d_pool1.upload(pool1);
  d_dpool2.upload(dpool2);
  d_w2.upload(w2);
  d_arg1.upload(arg1);
  d_arg2.upload(arg2);
  set_kernel_attributes(Rung::tensor);
  {  // The forward kernel lays out the weights for the backward (its outputs are not needed).
    DeviceBuffer<float> d_bias(kConv2Channels), d_pooled(size_t(n) * kFlat);
    DeviceBuffer<uint8_t> d_winners(size_t(n) * kFlat);
    d_bias.upload(std::vector<float>(kConv2Channels, 0.0f));
    tc::conv2_relu_pool(
        d_pool1.data(),
        {d_w2.data(), d_bias.data(), d_pooled.data(), d_winners.data(), d_arranged.data()}, n,
        nullptr);
  }
  tc::conv_backward(d_images.data(), d_pool1.data(), d_arg1.data(), d_arg2.data(), d_dpool2.data(),
                    d_arranged.data(), d_partials.data(), n, nullptr);
  const std::vector<float> partials = d_partials.to_host();

  BoundCheck dw2{"conv2 weight"}, db2{"conv2 bias"}, dw1{"conv1 weight"}, db1{"conv1 bias"};
  constexpr int kPlaneK = kConv2Channels * kTaps;  // dX's K: 576 (tap, filter) pairs
  for (int img = 0; img < n; ++img) {
    const float* p1 = &pool1[size_t(img) * kPool1Out];
    const float* x = &images[size_t(img) * kImage];
    const float* out = &partials[size_t(img) * layout::kConvTotal];
    // d(loss)/d(conv2 output): each window's gradient at its winner.
    std::vector<double> d(size_t(kConv2Channels) * 11 * 11, 0.0);
    for (int f = 0; f < kConv2Channels; ++f)
      for (int q = 0; q < kWindows2; ++q) {
        const size_t i = size_t(img) * kFlat + f * kWindows2 + q;
        const int y = 2 * (q / kPool2Size) + arg2[i] / 2, xx = 2 * (q % kPool2Size) + arg2[i] % 2;
        d[size_t(f) * 121 + y * 11 + xx] = dpool2[i];
      }
    for (int f = 0; f < kConv2Channels; ++f) {
      double sum = 0, magnitude = 0;
      for (int q = 0; q < kWindows2; ++q) {
        sum += dpool2[size_t(img) * kFlat + f * kWindows2 + q];
        magnitude += std::abs(dpool2[size_t(img) * kFlat + f * kWindows2 + q]);
      }
      db2(out[layout::kConv2Bias + f], sum, kWindows2 * kFloat32Unit * magnitude + 1e-30);
      for (int c = 0; c < kConv1Channels; ++c)
        for (int tap = 0; tap < kTaps; ++tap) {
          double s = 0, m = 0;
          for (int y = 0; y < 10; ++y)
            for (int xx = 0; xx < 10; ++xx) {
              const double p = d[size_t(f) * 121 + y * 11 + xx] *
                               p1[c * kWindows1 + (y + tap / 3) * kPool1Size + xx + tap % 3];
              s += p;
              m += std::abs(p);
            }
          // 104 = the 13 k steps of 8 the kernel runs (the last 4 positions are zeros).
          dw2(out[layout::kConv2Weight + (f * kConv1Channels + c) * kTaps + tap], s,
              tf32_bound(104) * m + 1e-30);
        }
    }
    // d(loss)/d(pool1) and its bound, then through pool1 + ReLU into conv1's gradients,
    // which the kernel sums in float32 (169 windows, then 8 warps' partial sums).
    std::vector<double> dp1(kPool1Out), dp1_bound(kPool1Out);
    for (int c = 0; c < kConv1Channels; ++c)
      for (int y = 0; y < kPool1Size; ++y)
        for (int xx = 0; xx < kPool1Size; ++xx) {
          double s = 0, m = 0;
          for (int f = 0; f < kConv2Channels; ++f)
            for (int tap = 0; tap < kTaps; ++tap) {
              const int oy = y - tap / 3, ox = xx - tap % 3;
              if (oy < 0 || ox < 0 || oy > 10 || ox > 10) continue;
              const double p =
                  d[size_t(f) * 121 + oy * 11 + ox] * w2[size_t(f) * kFan2 + c * kTaps + tap];
              s += p;
              m += std::abs(p);
            }
          dp1[size_t(c) * kWindows1 + y * kPool1Size + xx] = s;
          dp1_bound[size_t(c) * kWindows1 + y * kPool1Size + xx] = tf32_bound(kPlaneK) * m;
        }
    constexpr int kConv1Adds = kWindows1 + 8;  // float32 additions behind each conv1 gradient
    for (int c = 0; c < kConv1Channels; ++c) {
      double sb = 0, mb = 0, eb = 0;
      for (int tap = 0; tap < kTaps; ++tap) {
        double s = 0, m = 0, e = 0;
        for (int q = 0; q < kWindows1; ++q) {
          const size_t at = size_t(c) * kWindows1 + q;
          if (!(p1[at] > 0.0f)) continue;
          const int corner = arg1[size_t(img) * kPool1Out + at];
          const int y = 2 * (q / kPool1Size) + corner / 2 + tap / 3;
          const int xx = 2 * (q % kPool1Size) + corner % 2 + tap % 3;
          s += dp1[at] * x[y * kImageSize + xx];
          m += std::abs(dp1[at] * x[y * kImageSize + xx]) + dp1_bound[at] * x[y * kImageSize + xx];
          e += dp1_bound[at] * std::abs(x[y * kImageSize + xx]);
          if (tap == 0) {
            sb += dp1[at];
            mb += std::abs(dp1[at]) + dp1_bound[at];
            eb += dp1_bound[at];
          }
        }
        dw1(out[layout::kConv1Weight + c * kTaps + tap], s,
            e + kConv1Adds * kFloat32Unit * m + 1e-30);
      }
      db1(out[layout::kConv1Bias + c], sb, eb + kConv1Adds * kFloat32Unit * mb + 1e-30);
    }
  }
}

}  // namespace
}  // namespace stage05
