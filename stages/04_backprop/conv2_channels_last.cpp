#include "04_backprop/conv2_channels_last.h"

#include <algorithm>
#include <vector>

#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/packing.h"

namespace stage04 {

namespace {

using stage03::MatrixView;
using stage03::PackingBuffer;

int round_up(int n, int multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

/// The sizes of one convolution, and where each output pixel's window starts.
struct Geometry {
  int C = 0, O = 0, K = 0;  // input channels, filters, kernel size
  int W = 0, OW = 0;        // input and output row lengths
  int pixels = 0;           // output pixels of the whole batch: N*OH*OW
  std::vector<int> base;    // [pixels]: the input pixel (n, y, x) at the top left of p's window

  Geometry(const mnist::Tensor& input_cl, const mnist::Tensor& weight)
      : C(input_cl.dim(3)), O(weight.dim(0)), K(weight.dim(2)), W(input_cl.dim(2)) {
    const int N = input_cl.dim(0), H = input_cl.dim(1), OH = H - K + 1;
    OW = W - K + 1;
    pixels = N * OH * OW;
    for (int n = 0; n < N; ++n)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) base.push_back((n * H + y) * W + x);
  }
  /// How far, in pixels, tap (ky, kx) lies from the top left of a window.
  int shift(int tap) const { return tap / K * W + tap % K; }
};

/// B of one tap's weight-gradient product: for each output pixel p, channels [c0, c0 +
/// width) of the input pixel under the tap, nr floats a row (zero past width). With all
/// the channels in one sliver (width == nr == C, the AVX-512 case) an output row's pixels
/// are one contiguous copy of OW x C floats.
void pack_tap_rows(const float* input_cl, const Geometry& g, int shift, int c0, int width, int nr,
                   float* sliver) {
  for (int p = 0; p < g.pixels; p += g.OW) {  // one output row: consecutive input pixels
    const float* from = input_cl + int64_t{g.base[static_cast<size_t>(p)] + shift} * g.C + c0;
    float* to = sliver + int64_t{p} * nr;
    if (width == nr && width == g.C) {
#pragma omp simd
      for (int i = 0; i < g.OW * g.C; ++i) to[i] = from[i];
    } else {
      for (int x = 0; x < g.OW; ++x) {
        std::copy_n(from + int64_t{x} * g.C, width, to + int64_t{x} * nr);
        std::fill(to + int64_t{x} * nr + width, to + int64_t{x + 1} * nr, 0.0f);
      }
    }
  }
}

/// db [O] = row sums of dout [O, pixels].
void bias_gradient(const mnist::Tensor& dout, int pixels, mnist::Tensor& dbias) {
  for (int o = 0; o < dbias.size(); ++o) {
    const float* d = dout.data() + int64_t{o} * pixels;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < pixels; ++j) sum += d[j];
    dbias[o] = sum;
  }
}

/// dW, tap by tap: dW_tap [O, C] = dout [O, pixels] x input_cl shifted [pixels, C]. Every
/// pixel of the slice is one step of k, so each tile of dW_tap stays in registers over all
/// of them and is written once. (Cutting k into blocks whose A and B fit in L1, 128 pixels
/// and 48 KB, and adding the blocks' products, measured no faster: a sliver of B, 124 KB for
/// 8 images, is read from L2 as fast as the micro-kernel uses it.)
void weight_gradient(const mnist::Tensor& input_cl, const mnist::Tensor& dout, const Geometry& g,
                     mnist::Tensor& dweight) {
  const stage03::MicroKernel& kernel = stage03::selected_kernel();
  const int mr = kernel.mr, nr = kernel.nr, taps = g.K * g.K;
  // A: dout packed once into slivers of mr filters, for all nine taps.
  float* packed_dout =
      stage03::packing_buffer(PackingBuffer::a, int64_t{round_up(g.O, mr)} * g.pixels);
  stage03::pack_a(MatrixView{dout.data(), g.pixels, 1}, g.O, g.pixels, mr, packed_dout);
  float* sliver = stage03::packing_buffer(PackingBuffer::b, int64_t{g.pixels} * nr);
  alignas(64) float tile[16 * 64];  // the micro-kernel's tile (at most 16 x 64 of any kernel)
  float* dw = dweight.data();
  for (int tap = 0; tap < taps; ++tap) {
    for (int c0 = 0; c0 < g.C; c0 += nr) {
      const int width = std::min(nr, g.C - c0);
      pack_tap_rows(input_cl.data(), g, g.shift(tap), c0, width, nr, sliver);
      for (int i0 = 0; i0 < g.O; i0 += mr) {
        kernel.run(g.pixels, packed_dout + int64_t{i0} * g.pixels, sliver, tile, nr, 1.0f, 0.0f,
                   false);
        // Into dW [O][C][K][K]: one float in nine, a small strided store once per tile.
        for (int i = 0; i < std::min(mr, g.O - i0); ++i)
          for (int c = 0; c < width; ++c)
            dw[(int64_t{i0 + i} * g.C + c0 + c) * taps + tap] = tile[i * nr + c];
      }
    }
  }
}

/// dinput_cl, a tile of mr output pixels at a time and, for each, tap by tap: tile [mr, C]
/// = dout^T [mr, O] x W_tap [O, C], each row added onto the input pixel under the tap.
/// Tiles and taps go in a fixed order, so every input pixel's sum is the same on every run.
void input_gradient(const mnist::Tensor& weight, const mnist::Tensor& dout, const Geometry& g,
                    mnist::Tensor& dinput_cl) {
  const stage03::MicroKernel& kernel = stage03::selected_kernel();
  const int mr = kernel.mr, nr = kernel.nr, taps = g.K * g.K;
  const int cols = round_up(g.C, nr);
  // A: dout^T packed into slivers of mr pixels, [o][mr]: each a copy of mr consecutive
  // floats from every row of dout.
  float* packed_dout =
      stage03::packing_buffer(PackingBuffer::a, int64_t{round_up(g.pixels, mr)} * g.O);
  stage03::pack_a(MatrixView{dout.data(), 1, g.pixels}, g.pixels, g.O, mr, packed_dout);
  // B: each tap's weights W_tap [O, C], W_tap[o][c] = weight[o][c][tap], packed once.
  float* packed_w = stage03::packing_buffer(PackingBuffer::b, int64_t{taps} * g.O * cols);
  for (int tap = 0; tap < taps; ++tap) {
    stage03::pack_b(MatrixView{weight.data() + tap, int64_t{g.C} * taps, taps}, g.O, g.C, nr,
                    packed_w + int64_t{tap} * g.O * cols);
  }
  std::fill_n(dinput_cl.data(), dinput_cl.size(), 0.0f);
  alignas(64) float tile[16 * 64];  // the micro-kernel's tile (at most 16 x 64 of any kernel)
  for (int p0 = 0; p0 < g.pixels; p0 += mr) {
    const int count = std::min(mr, g.pixels - p0);
    for (int tap = 0; tap < taps; ++tap) {
      const int shift = g.shift(tap);
      for (int c0 = 0; c0 < g.C; c0 += nr) {
        const int width = std::min(nr, g.C - c0);
        kernel.run(g.O, packed_dout + int64_t{p0} * g.O,
                   packed_w + (int64_t{tap} * cols + c0) * g.O, tile, nr, 1.0f, 0.0f, false);
        for (int i = 0; i < count; ++i) {
          float* to =
              dinput_cl.data() + int64_t{g.base[static_cast<size_t>(p0 + i)] + shift} * g.C + c0;
          const float* from = tile + i * nr;
#pragma omp simd
          for (int c = 0; c < width; ++c) to[c] += from[c];
        }
      }
    }
  }
}

}  // namespace

void conv2d_channels_last_backward(const mnist::Tensor& input_cl, const mnist::Tensor& weight,
                                   const mnist::Tensor& dout, mnist::Tensor& dweight,
                                   mnist::Tensor& dbias, mnist::Tensor& dinput_cl) {
  const int O = weight.dim(0), K = weight.dim(2);
  mnist::expect_shape(weight, {O, input_cl.dim(3), K, K}, "conv2d_channels_last weight");
  mnist::expect_shape(dout, {O, input_cl.dim(0), input_cl.dim(1) - K + 1, input_cl.dim(2) - K + 1},
                      "conv2d_channels_last dout");
  const Geometry g(input_cl, weight);
  mnist::ensure_shape(dweight, weight.shape());
  mnist::ensure_shape(dbias, {O});
  mnist::ensure_shape(dinput_cl, input_cl.shape());
  bias_gradient(dout, g.pixels, dbias);
  weight_gradient(input_cl, dout, g, dweight);  // packing buffers a and b, then
  input_gradient(weight, dout, g, dinput_cl);   // the same two, for other contents
}

}  // namespace stage04
