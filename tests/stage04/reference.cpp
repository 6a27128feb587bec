#include "tests/stage04/reference.h"

#include <algorithm>
#include <cmath>

namespace reference {

Array to_double(const mnist::Tensor& t) {
  return Array(t.values().begin(), t.values().end());
}

Array conv2d(const Array& in, int N, int C, int H, int W, const Array& w, const Array& b, int O,
             int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  Array out(static_cast<size_t>(N) * O * OH * OW);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          double sum = b[size_t(o)];
          for (int c = 0; c < C; ++c)
            for (int ky = 0; ky < K; ++ky)
              for (int kx = 0; kx < K; ++kx)
                sum += in[((size_t(n) * C + c) * H + y + ky) * W + x + kx] *
                       w[((size_t(o) * C + c) * K + ky) * K + kx];
          out[((size_t(n) * O + o) * OH + y) * OW + x] = sum;
        }
  return out;
}

Array relu(Array x) {
  for (double& v : x) v = std::max(v, 0.0);
  return x;
}

Array maxpool2x2(const Array& in, int N, int C, int H, int W) {
  const int OH = H / 2, OW = W / 2;
  Array out(static_cast<size_t>(N) * C * OH * OW);
  for (int nc = 0; nc < N * C; ++nc)
    for (int y = 0; y < OH; ++y)
      for (int x = 0; x < OW; ++x) {
        const double* p = &in[(size_t(nc) * H + 2 * y) * W + 2 * x];
        out[(size_t(nc) * OH + y) * OW + x] = std::max({p[0], p[1], p[W], p[W + 1]});
      }
  return out;
}

Array dense(const Array& in, int N, int I, const Array& w, const Array& b, int J) {
  Array out(static_cast<size_t>(N) * J);
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < J; ++j) {
      double sum = b[size_t(j)];
      for (int i = 0; i < I; ++i) sum += in[size_t(n) * I + i] * w[size_t(j) * I + i];
      out[size_t(n) * J + j] = sum;
    }
  return out;
}

double mean_cross_entropy(const Array& logits, int N, int K, std::span<const int> labels) {
  double total = 0;
  for (int n = 0; n < N; ++n) {
    const double* z = &logits[size_t(n) * K];
    const double top = *std::max_element(z, z + K);
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k] - top);
    total += std::log(sum) + top - z[labels[size_t(n)]];
  }
  return total / N;
}

Params::Params(const mnist::Params& p)
    : conv1_weight(to_double(p.conv1_weight)),
      conv1_bias(to_double(p.conv1_bias)),
      conv2_weight(to_double(p.conv2_weight)),
      conv2_bias(to_double(p.conv2_bias)),
      fc_weight(to_double(p.fc_weight)),
      fc_bias(to_double(p.fc_bias)) {}

Array& Params::at(size_t i) {
  Array* all[] = {&conv1_weight, &conv1_bias, &conv2_weight, &conv2_bias, &fc_weight, &fc_bias};
  return *all[i];
}

double network_loss(const Params& p, const Array& images, int N, std::span<const int> labels,
                    const Array& mask) {
  Array x = relu(conv2d(images, N, 1, 28, 28, p.conv1_weight, p.conv1_bias, 32, 3));
  x = maxpool2x2(x, N, 32, 26, 26);
  x = relu(conv2d(x, N, 32, 13, 13, p.conv2_weight, p.conv2_bias, 64, 3));
  x = maxpool2x2(x, N, 64, 11, 11);  // [N,64,5,5] = [N,1600] in (C,H,W) order
  if (!mask.empty()) {
    for (size_t i = 0; i < x.size(); ++i) x[i] *= mask[i];
  }
  return mean_cross_entropy(dense(x, N, 1600, p.fc_weight, p.fc_bias, 10), N, 10, labels);
}

double central_difference(Array& x, int64_t i, double h, const std::function<double()>& f) {
  const double saved = x[size_t(i)];
  x[size_t(i)] = saved + h;
  const double up = f();
  x[size_t(i)] = saved - h;
  const double down = f();
  x[size_t(i)] = saved;
  return (up - down) / (2 * h);
}

}  // namespace reference
