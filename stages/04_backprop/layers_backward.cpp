#include "04_backprop/layers_backward.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "02_im2col/im2col.h"
#include "03_blocked_simd/gemm.h"
#include "04_backprop/col2im.h"

namespace stage04 {

float softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor& dlogits) {
  if (logits.rank() != 2 || static_cast<int64_t>(labels.size()) != logits.dim(0)) {
    throw std::invalid_argument("softmax_cross_entropy: " + std::to_string(labels.size()) +
                                " labels for logits " + mnist::to_string(logits.shape()));
  }
  const int N = logits.dim(0), K = logits.dim(1);
  ensure_shape(dlogits, {N, K});
  double total = 0;  // a sum of many losses: double keeps every one of them
  for (int n = 0; n < N; ++n) {
    const int label = labels[static_cast<size_t>(n)];
    if (label < 0 || label >= K) {
      throw std::invalid_argument("softmax_cross_entropy: label " + std::to_string(label) +
                                  " is not a class 0.." + std::to_string(K - 1));
    }
    const float* z = logits.data() + int64_t{n} * K;
    float* dz = dlogits.data() + int64_t{n} * K;
    const float top = *std::max_element(z, z + K);
    float sum = 0;
    for (int k = 0; k < K; ++k) {
      dz[k] = std::exp(z[k] - top);
      sum += dz[k];
    }
    // -log softmax(z)[label] = log(sum of exp(z - top)) - (z[label] - top)
    total += std::log(sum) - (z[label] - top);
    for (int k = 0; k < K; ++k) dz[k] = dz[k] / sum / static_cast<float>(N);
    dz[label] -= 1.0f / static_cast<float>(N);
  }
  return static_cast<float>(total / N);
}

void dense_backward(const Tensor& input, const Tensor& weight, const Tensor& dout, Tensor& dweight,
                    Tensor& dbias, Tensor* dinput) {
  const int N = input.dim(0), I = input.dim(1), J = weight.dim(0);
  mnist::expect_shape(weight, {J, I}, "dense_backward weight");
  mnist::expect_shape(dout, {N, J}, "dense_backward dout");
  ensure_shape(dweight, {J, I});
  ensure_shape(dbias, {J});
  // dW[j,i] = sum over n of dout[n,j] * in[n,i]: dout^T [J,N] times in [N,I].
  stage03::sgemm(true, false, J, I, N, 1.0f, dout.data(), J, input.data(), I, 0.0f, dweight.data(),
                 I);
  for (int j = 0; j < J; ++j) {
    float sum = 0;
    for (int n = 0; n < N; ++n) sum += dout(n, j);
    dbias[j] = sum;
  }
  if (dinput) {
    ensure_shape(*dinput, {N, I});
    // din[n,i] = sum over j of dout[n,j] * W[j,i]: dout [N,J] times W [J,I].
    stage03::sgemm(false, false, N, I, J, 1.0f, dout.data(), J, weight.data(), I, 0.0f,
                   dinput->data(), I);
  }
}

void apply_mask(Tensor& x, const Tensor& mask) {
  if (mask.shape() != x.shape()) {
    throw std::invalid_argument("dropout mask " + mnist::to_string(mask.shape()) +
                                " does not fit " + mnist::to_string(x.shape()));
  }
  float* v = x.data();
  const float* m = mask.data();
  for (int64_t i = 0; i < x.size(); ++i) v[i] *= m[i];
}

namespace {

/// relu_maxpool2x2_backward_channel_major for one image's channel: in [H,W] is the conv
/// output, d [H/2,W/2] the pooled gradient, din [H,W] receives the gradient (every pixel
/// of a whole window written; a dropped odd edge is left alone).
void relu_maxpool2x2_backward_plane(const float* in, const float* d, float* din, int H, int W) {
  const int OH = H / 2, OW = W / 2;
  for (int y = 0; y < OH; ++y) {
    const float* top = in + 2 * y * W;  // the window's two rows, input and gradient
    const float* bottom = top + W;
    float* dtop = din + 2 * y * W;
    float* dbottom = dtop + W;
    // A row holds only 13 windows (conv1) or 5 (conv2). Left alone, or with a plain
    // `omp simd`, the compiler vectorises 16 at a time, so these short rows all fall to its
    // scalar leftover loop. `omp simd simdlen(4)` says the iterations are independent and
    // asks for 4-wide vectors, which most windows fit: several times faster than a plain
    // `omp simd` here.
#pragma omp simd simdlen(4)
    for (int x = 0; x < OW; ++x) {
      // The window: top-left, top-right, bottom-left, bottom-right.
      const float tl = top[2 * x], tr = top[2 * x + 1];
      const float bl = bottom[2 * x], br = bottom[2 * x + 1];
      const float max = std::max(std::max(tl, tr), std::max(bl, br));
      // g is what is left to hand out: the window's gradient if ReLU let the maximum
      // through, else nothing. The first position (in reading order) that holds the
      // maximum takes all of it, and g - g leaves exactly 0 for the others: selects and
      // subtractions, which vectorise, rather than branches.
      const float pooled_grad = d[y * OW + x];
      float g = max > 0.0f ? pooled_grad : 0.0f;
      const float to_tl = tl == max ? g : 0.0f;
      g -= to_tl;
      const float to_tr = tr == max ? g : 0.0f;
      g -= to_tr;
      const float to_bl = bl == max ? g : 0.0f;
      g -= to_bl;
      dtop[2 * x] = to_tl;
      dtop[2 * x + 1] = to_tr;
      dbottom[2 * x] = to_bl;
      dbottom[2 * x + 1] = g;  // bottom-right: whatever is left
    }
  }
}

}  // namespace

Tensor relu_maxpool2x2_backward_channel_major(const Tensor& conv_out, const Tensor& dout) {
  const int C = conv_out.dim(0), N = conv_out.dim(1), H = conv_out.dim(2), W = conv_out.dim(3);
  const int OH = H / 2, OW = W / 2;
  mnist::expect_shape(dout, {N, C, OH, OW}, "relu_maxpool2x2_backward dout");
  Tensor dconv({C, N, H, W});  // zeros: an odd last row or column the pooling dropped stays 0
  const int64_t plane = int64_t{H} * W, pooled_plane = int64_t{OH} * OW;
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int n = 0; n < N; ++n) {
      // conv_out and dconv are channel-major [C,N,H,W]; dout is NCHW [N,C,OH,OW].
      relu_maxpool2x2_backward_plane(conv_out.data() + (int64_t{c} * N + n) * plane,
                                     dout.data() + (int64_t{n} * C + c) * pooled_plane,
                                     dconv.data() + (int64_t{c} * N + n) * plane, H, W);
    }
  return dconv;
}

void conv2d_backward_channel_major(const Tensor& input, const Tensor& weight, const Tensor& dout,
                                   Tensor& dweight, Tensor& dbias, Tensor* dinput,
                                   const Tensor* input_columns) {
  const int N = input.dim(0), C = input.dim(1), H = input.dim(2), W = input.dim(3);
  const int O = weight.dim(0), K = weight.dim(2);
  mnist::expect_shape(weight, {O, C, K, K}, "conv2d_backward weight");
  const int OH = H - K + 1, OW = W - K + 1;
  mnist::expect_shape(dout, {O, N, OH, OW}, "conv2d_backward dout");
  ensure_shape(dweight, {O, C, K, K});
  ensure_shape(dbias, {O});
  if (dinput) ensure_shape(*dinput, {N, C, H, W});

  const int rows = C * K * K;      // one row of columns per kernel tap (c, ky, kx)
  const int positions = OH * OW;   // output pixels of one image
  const int cols = N * positions;  // dout is [O, cols]: one column per output pixel
  const int64_t image_size = int64_t{C} * H * W;
  if (input_columns) {
    mnist::expect_shape(*input_columns, {rows, cols}, "conv2d_backward columns");
  }

  // db [O] = row sums of dout.
#pragma omp parallel for schedule(static)
  for (int o = 0; o < O; ++o) {
    const float* d = dout.data() + int64_t{o} * cols;
    float sum = 0;
    // `simd reduction` lets the compiler keep one partial sum per vector lane (it may not
    // reorder float additions on its own); the order is fixed, so results are repeatable.
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < cols; ++i) sum += d[i];
    dbias[o] = sum;
  }

  // The GEMMs below would take the whole batch at once, but then the unfolded input and
  // the column gradients are [C*K*K, N*OH*OW] each: 18 MB for conv2 at batch 128, written
  // and read back through main memory. A chunk of images at a time keeps both in cache
  // (2.2 MB), and the GEMMs are still large enough to keep every thread busy. The chunk
  // size is fixed, so the order of additions never depends on the thread count.
  constexpr int kImagesPerChunk = 16;
  const int chunk_cols = std::min(N, kImagesPerChunk) * positions;
  Tensor columns(input_columns ? mnist::Shape{0} : mnist::Shape{rows, chunk_cols});
  Tensor dcolumns(dinput ? mnist::Shape{rows, chunk_cols} : mnist::Shape{0});
  for (int n0 = 0; n0 < N; n0 += kImagesPerChunk) {
    const int count = std::min(kImagesPerChunk, N - n0);
    const int width = count * positions;  // this chunk's columns (rows are `width` apart)
    const float* dout_chunk = dout.data() + int64_t{n0} * positions;  // [O, width], ld cols

    // This chunk's unfolded input [rows, width]: a window into the forward pass's columns
    // (rows `cols` apart), or unfolded here (rows `width` apart). Same numbers either way.
    const float* chunk_columns = columns.data();
    int columns_ld = width;
    if (input_columns) {
      chunk_columns = input_columns->data() + int64_t{n0} * positions;
      columns_ld = cols;
    } else {
#pragma omp parallel for schedule(static)
      for (int i = 0; i < count; ++i) {
        stage02::im2col(input.data() + (n0 + i) * image_size, C, H, W, K,
                        columns.data() + int64_t{i} * positions, width);
      }
    }
    // dW [O, rows] (+)= dout [O, width] * columns^T [width, rows]; the first chunk overwrites.
    stage03::sgemm(false, true, O, rows, width, 1.0f, dout_chunk, cols, chunk_columns, columns_ld,
                   n0 == 0 ? 0.0f : 1.0f, dweight.data(), rows);
    if (!dinput) continue;

    // dcolumns [rows, width] = W^T [rows, O] * dout [O, width]: the gradient of every copy
    // im2col made; col2im adds the copies of each pixel back together.
    stage03::sgemm(true, false, rows, width, O, 1.0f, weight.data(), rows, dout_chunk, cols, 0.0f,
                   dcolumns.data(), width);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < count; ++i) {
      float* dimage = dinput->data() + (n0 + i) * image_size;
      std::fill_n(dimage, image_size, 0.0f);
      col2im(dcolumns.data() + int64_t{i} * positions, C, H, W, K, width, dimage);
    }
  }
}

}  // namespace stage04
