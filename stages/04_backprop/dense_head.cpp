#include "04_backprop/dense_head.h"

#include <algorithm>

#include "04_backprop/layers_backward.h"

namespace stage04 {

float dropout_dense_softmax(mnist::Tensor& features, const mnist::Tensor& mask,
                            const mnist::Tensor& weight, const mnist::Tensor& bias,
                            std::span<const int> labels, mnist::Tensor& logits,
                            mnist::Tensor& dweight, mnist::Tensor& dbias,
                            mnist::Tensor& dfeatures) {
  const int N = features.dim(0), I = features.dim(1), J = weight.dim(0);
  mnist::expect_shape(weight, {J, I}, "dense weight");
  if (!mask.empty()) mnist::expect_shape(mask, {N, I}, "dropout mask");
  mnist::ensure_shape(logits, {N, J});
  mnist::ensure_shape(dweight, {J, I});
  mnist::ensure_shape(dbias, {J});
  mnist::ensure_shape(dfeatures, {N, I});

  // Sweep 1, image by image: the mask, then the ten dot products with the weights.
  for (int n = 0; n < N; ++n) {
    float* f = features.data() + int64_t{n} * I;
    if (!mask.empty()) {
      const float* m = mask.data() + int64_t{n} * I;
#pragma omp simd
      for (int i = 0; i < I; ++i) f[i] *= m[i];
    }
    for (int j = 0; j < J; ++j) {
      const float* w = weight.data() + int64_t{j} * I;
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int i = 0; i < I; ++i) sum += f[i] * w[i];
      logits(n, j) = bias[j] + sum;
    }
  }
  // The loss and d(loss)/d(logits) [N,10], as rung 1 computes them.
  mnist::Tensor dlogits;
  const float loss = softmax_cross_entropy(logits, labels, dlogits);

  // Sweep 2: the dense layer's gradients, and the features' through the mask.
  std::fill_n(dweight.data(), dweight.size(), 0.0f);
  for (int j = 0; j < J; ++j) {
    float sum = 0;
    for (int n = 0; n < N; ++n) sum += dlogits(n, j);
    dbias[j] = sum;
  }
  for (int n = 0; n < N; ++n) {
    const float* f = features.data() + int64_t{n} * I;
    float* df = dfeatures.data() + int64_t{n} * I;
    std::fill_n(df, I, 0.0f);
    for (int j = 0; j < J; ++j) {
      const float dz = dlogits(n, j);
      float* dw = dweight.data() + int64_t{j} * I;
      const float* w = weight.data() + int64_t{j} * I;
#pragma omp simd
      for (int i = 0; i < I; ++i) {
        dw[i] += dz * f[i];
        df[i] += dz * w[i];
      }
    }
    if (!mask.empty()) {
      const float* m = mask.data() + int64_t{n} * I;
#pragma omp simd
      for (int i = 0; i < I; ++i) df[i] *= m[i];
    }
  }
  return loss;
}

}  // namespace stage04
