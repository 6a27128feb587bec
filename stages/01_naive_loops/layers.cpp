#include "01_naive_loops/layers.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stage01 {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  const int N = input.dim(0), C = input.dim(1), H = input.dim(2), W = input.dim(3);
  const int O = weight.dim(0), K = weight.dim(2);
  if (weight.dim(1) != C || weight.dim(3) != K || bias.size() != O) {
    throw std::invalid_argument("conv2d: weight " + mnist::to_string(weight.shape()) +
                                " or bias does not fit input " + mnist::to_string(input.shape()));
  }
  const int OH = H - K + 1, OW = W - K + 1;
  Tensor out({N, O, OH, OW});
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          float sum = bias[o];
          for (int c = 0; c < C; ++c)
            for (int ky = 0; ky < K; ++ky)
              for (int kx = 0; kx < K; ++kx)
                sum += input(n, c, y + ky, x + kx) * weight(o, c, ky, kx);
          out(n, o, y, x) = sum;
        }
  return out;
}

Tensor relu(Tensor x) {
  for (float& v : x.values()) v = std::max(v, 0.0f);
  return x;
}

Tensor maxpool2x2(const Tensor& input) {
  const int N = input.dim(0), C = input.dim(1), OH = input.dim(2) / 2, OW = input.dim(3) / 2;
  Tensor out({N, C, OH, OW});
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          float m = input(n, c, 2 * y, 2 * x);
          m = std::max(m, input(n, c, 2 * y, 2 * x + 1));
          m = std::max(m, input(n, c, 2 * y + 1, 2 * x));
          m = std::max(m, input(n, c, 2 * y + 1, 2 * x + 1));
          out(n, c, y, x) = m;
        }
  return out;
}

Tensor flatten(Tensor x) {
  const int n = x.dim(0);
  const int features = static_cast<int>(x.size() / n);
  return std::move(x).reshaped({n, features});
}

void check_dense_shapes(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (input.rank() != 2 || weight.rank() != 2 || weight.dim(1) != input.dim(1) ||
      bias.rank() != 1 || bias.size() != weight.dim(0)) {
    throw std::invalid_argument("dense: weight " + mnist::to_string(weight.shape()) + " or bias " +
                                mnist::to_string(bias.shape()) + " does not fit input " +
                                mnist::to_string(input.shape()));
  }
}

Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_dense_shapes(input, weight, bias);
  const int N = input.dim(0), I = input.dim(1), J = weight.dim(0);
  Tensor out({N, J});
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < J; ++j) {
      float sum = bias[j];
      for (int i = 0; i < I; ++i) sum += input(n, i) * weight(j, i);
      out(n, j) = sum;
    }
  return out;
}

Tensor softmax(const Tensor& logits) {
  const int N = logits.dim(0), K = logits.dim(1);
  Tensor out({N, K});
  for (int n = 0; n < N; ++n) {
    float top = logits(n, 0);
    for (int k = 1; k < K; ++k) top = std::max(top, logits(n, k));
    float sum = 0;
    for (int k = 0; k < K; ++k) {
      out(n, k) = std::exp(logits(n, k) - top);
      sum += out(n, k);
    }
    for (int k = 0; k < K; ++k) out(n, k) /= sum;
  }
  return out;
}

}  // namespace stage01
