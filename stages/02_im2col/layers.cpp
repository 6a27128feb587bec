#include "02_im2col/layers.h"

#include <stdexcept>
#include <vector>

#include "01_naive_loops/layers.h"
#include "02_im2col/gemm.h"
#include "02_im2col/im2col.h"

namespace stage02 {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (input.rank() != 4 || weight.rank() != 4 || weight.dim(1) != input.dim(1) ||
      weight.dim(2) != weight.dim(3) || bias.size() != weight.dim(0) ||
      weight.dim(2) > input.dim(2) || weight.dim(3) > input.dim(3)) {
    throw std::invalid_argument("conv2d: weight " + mnist::to_string(weight.shape()) +
                                " or bias does not fit input " + mnist::to_string(input.shape()));
  }
  const int N = input.dim(0), C = input.dim(1), H = input.dim(2), W = input.dim(3);
  const int O = weight.dim(0), K = weight.dim(2);
  const int OH = H - K + 1, OW = W - K + 1, P = OH * OW, CKK = C * K * K;
  Tensor out({N, O, OH, OW});
  std::vector<float> columns(static_cast<size_t>(CKK) * P);  // one image's patches
  for (int n = 0; n < N; ++n) {
    im2col(input.data() + int64_t{n} * C * H * W, C, H, W, K, columns.data());
    float* y = out.data() + int64_t{n} * O * P;
    gemm(O, P, CKK, weight.data(), columns.data(), y);  // [O,CKK] x [CKK,P] = [O,P]
    for (int o = 0; o < O; ++o)
      for (int p = 0; p < P; ++p) y[int64_t{o} * P + p] += bias[o];
  }
  return out;
}

Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  stage01::check_dense_shapes(input, weight, bias);
  const int N = input.dim(0), I = input.dim(1), J = weight.dim(0);
  // The plain GEMM takes no transposes, so transpose the small weight once: [J,I] -> [I,J].
  std::vector<float> weight_t(static_cast<size_t>(I) * J);
  for (int j = 0; j < J; ++j)
    for (int i = 0; i < I; ++i) weight_t[static_cast<size_t>(i) * J + j] = weight(j, i);
  Tensor out({N, J});
  gemm(N, J, I, input.data(), weight_t.data(), out.data());
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < J; ++j) out(n, j) += bias[j];
  return out;
}

}  // namespace stage02
