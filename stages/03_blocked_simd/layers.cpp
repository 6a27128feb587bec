#include "03_blocked_simd/layers.h"

#include <algorithm>
#include <stdexcept>

#include "01_naive_loops/layers.h"
#include "02_im2col/im2col.h"
#include "03_blocked_simd/gemm.h"

namespace stage03 {

namespace {
void check_conv_shapes(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (input.rank() != 4 || weight.rank() != 4 || weight.dim(1) != input.dim(1) ||
      weight.dim(2) != weight.dim(3) || bias.size() != weight.dim(0) ||
      weight.dim(2) > input.dim(2) || weight.dim(3) > input.dim(3)) {
    throw std::invalid_argument("conv2d: weight " + mnist::to_string(weight.shape()) +
                                " or bias does not fit input " + mnist::to_string(input.shape()));
  }
}
}  // namespace

Tensor im2col_batch(const Tensor& input, int kernel) {
  Tensor columns;
  im2col_batch(input, kernel, columns);
  return columns;
}

void im2col_batch(const Tensor& input, int kernel, Tensor& columns) {
  if (input.rank() != 4 || kernel < 1 || kernel > input.dim(2) || kernel > input.dim(3)) {
    throw std::invalid_argument("im2col_batch: kernel " + std::to_string(kernel) +
                                " does not fit input " + mnist::to_string(input.shape()));
  }
  const int N = input.dim(0), C = input.dim(1), H = input.dim(2), W = input.dim(3);
  const int64_t P = int64_t{H - kernel + 1} * (W - kernel + 1);
  ensure_shape(columns, {C * kernel * kernel, static_cast<int>(N * P)});
  const int64_t image_size = int64_t{C} * H * W;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n)
    stage02::im2col(input.data() + n * image_size, C, H, W, kernel, columns.data() + n * P, N * P);
}

Tensor conv2d_channel_major(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  Tensor columns, out;
  conv2d_channel_major(input, weight, bias, columns, out);
  return out;
}

void conv2d_channel_major(const Tensor& input, const Tensor& weight, const Tensor& bias,
                          Tensor& columns, Tensor& out) {
  check_conv_shapes(input, weight, bias);
  const int N = input.dim(0), O = weight.dim(0), K = weight.dim(2);
  const int OH = input.dim(2) - K + 1, OW = input.dim(3) - K + 1;
  const int CKK = input.dim(1) * K * K, cols = N * OH * OW;
  im2col_batch(input, K, columns);
  // Start every row of the output at its bias, then accumulate the product (beta = 1):
  // the bias costs no extra pass over the 11 MB output of conv1.
  ensure_shape(out, {O, N, OH, OW});
#pragma omp parallel for schedule(static)
  for (int o = 0; o < O; ++o) std::fill_n(out.data() + int64_t{o} * cols, cols, bias[o]);
  sgemm(false, false, O, cols, CKK, 1.0f, weight.data(), CKK, columns.data(), cols, 1.0f,
        out.data(), cols);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  const Tensor cnhw = conv2d_channel_major(input, weight, bias);
  const int O = cnhw.dim(0), N = cnhw.dim(1);
  const int64_t P = int64_t{cnhw.dim(2)} * cnhw.dim(3);
  Tensor out({N, O, cnhw.dim(2), cnhw.dim(3)});
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      std::copy_n(cnhw.data() + (int64_t{o} * N + n) * P, P, out.data() + (int64_t{n} * O + o) * P);
  return out;
}

Tensor relu_maxpool2x2_channel_major(const Tensor& cnhw) {
  Tensor out;
  relu_maxpool2x2_channel_major(cnhw, out);
  return out;
}

void relu_maxpool2x2_channel_major(const Tensor& cnhw, Tensor& out) {
  const int C = cnhw.dim(0), N = cnhw.dim(1), H = cnhw.dim(2), W = cnhw.dim(3);
  const int OH = H / 2, OW = W / 2;
  ensure_shape(out, {N, C, OH, OW});
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int n = 0; n < N; ++n) {
      const float* in = cnhw.data() + (int64_t{c} * N + n) * H * W;
      float* o = out.data() + (int64_t{n} * C + c) * OH * OW;
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          const float* top = in + (2 * y) * W + 2 * x;
          const float m = std::max(std::max(top[0], top[1]), std::max(top[W], top[W + 1]));
          o[y * OW + x] = std::max(m, 0.0f);
        }
    }
}

Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  stage01::check_dense_shapes(input, weight, bias);
  const int N = input.dim(0), I = input.dim(1), J = weight.dim(0);
  Tensor out({N, J});
  for (int n = 0; n < N; ++n) std::copy_n(bias.data(), J, out.data() + int64_t{n} * J);
  // out [N,J] += input [N,I] x weight^T [I,J]; sgemm reads the [J,I] weight transposed.
  sgemm(false, true, N, J, I, 1.0f, input.data(), I, weight.data(), I, 1.0f, out.data(), J);
  return out;
}

}  // namespace stage03
