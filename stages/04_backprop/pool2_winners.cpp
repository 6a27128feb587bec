#include "04_backprop/pool2_winners.h"

#include <algorithm>
#include <stdexcept>

#include "04_backprop/pool_winner.h"
#include "common/network.h"

namespace stage04 {

namespace {

using mnist::net::kConv2Size;

// A plane's rows hold only 5 windows (conv2's 11 x 11 output). Left alone, or with a plain
// `omp simd`, the compiler vectorises 16 windows at a time and these short rows all fall
// to its scalar leftover loop; `omp simd simdlen(4)` asks for 4-wide vectors, which most
// of a row fits (as relu_maxpool2x2_backward_plane in layers_backward.cpp). Both plane
// functions are always inlined, so that where the callers pass conv2's size as a constant
// the compiler sees every loop's length and lays out each row's 5 windows without a
// leftover loop: measured on one slice (64 x 8 planes) on one thread, the forward 11.5 us
// and the backward 7.5 us against 18 and 14 with the sizes known only at run time (and
// against rung 1's 17 and 20).

/// One image's channel: in [H,W] the conv output, out [H/2,W/2] the pooled values and won
/// [H/2,W/2] their winner codes.
[[gnu::always_inline]] inline void pool_plane(const float* in, float* out, int32_t* won, int H,
                                              int W) {
  const int OH = H / 2, OW = W / 2;
  for (int y = 0; y < OH; ++y) {
    const float* top = in + 2 * y * W;  // the window's two rows
    const float* bottom = top + W;
#pragma omp simd simdlen(4)
    for (int x = 0; x < OW; ++x) {
      const float tl = top[2 * x], tr = top[2 * x + 1];
      const float bl = bottom[2 * x], br = bottom[2 * x + 1];
      // The order of stage03::relu_maxpool2x2_channel_major, so the same float comes out
      // even where +0 and -0 tie.
      const float max = std::max(std::max(tl, tr), std::max(bl, br));
      out[y * OW + x] = std::max(max, 0.0f);
      won[y * OW + x] = pool_winner(tl, tr, bl, max);
    }
  }
}

/// The backward of pool_plane: d [H/2,W/2] the pooled gradient, won its codes, din [H,W]
/// overwritten whole: each window's gradient at its winner, 0 elsewhere.
[[gnu::always_inline]] inline void route_plane(const int32_t* won, const float* d, float* din,
                                               int H, int W) {
  const int OH = H / 2, OW = W / 2;
  for (int y = 0; y < OH; ++y) {
    float* dtop = din + 2 * y * W;
    float* dbottom = dtop + W;
#pragma omp simd simdlen(4)
    for (int x = 0; x < OW; ++x) {
      const int32_t code = won[y * OW + x];
      const float g = d[y * OW + x];
      // All four selects before any store: with each select in its store, GCC 12 finds no
      // vector type for the loop and leaves it scalar, with branches.
      const float tl = code == 0 ? g : 0.0f, tr = code == 1 ? g : 0.0f;
      const float bl = code == 2 ? g : 0.0f, br = code == 3 ? g : 0.0f;
      dtop[2 * x] = tl;
      dtop[2 * x + 1] = tr;
      dbottom[2 * x] = bl;
      dbottom[2 * x + 1] = br;
    }
    if (W % 2 != 0) dtop[W - 1] = dbottom[W - 1] = 0.0f;  // a column the pooling dropped
  }
  if (H % 2 != 0) std::fill_n(din + (H - 1) * W, W, 0.0f);  // a row the pooling dropped
}

/// Calls plane(conv_at, pooled_at, h, w) for every channel and image: conv_at where the
/// plane starts in the channel-major [C,N,H,W] conv output, pooled_at where its pooled
/// values start in NCHW [N,C,H/2,W/2]. For conv2's planes h and w are constants (see above),
/// which reach the plane functions only if `plane` is inlined too: the callers' lambdas are
/// marked always_inline for that.
template <typename Plane>
void for_each_plane(int C, int N, int H, int W, Plane plane) {
  const int64_t size = int64_t{H} * W, pooled_size = int64_t{H / 2} * (W / 2);
  const bool conv2_planes = H == kConv2Size && W == kConv2Size;
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int n = 0; n < N; ++n) {
      const int64_t conv_at = (int64_t{c} * N + n) * size;
      const int64_t pooled_at = (int64_t{n} * C + c) * pooled_size;
      if (conv2_planes) {
        plane(conv_at, pooled_at, kConv2Size, kConv2Size);
      } else {
        plane(conv_at, pooled_at, H, W);
      }
    }
}

}  // namespace

void relu_maxpool2x2_forward_winners(const mnist::Tensor& conv_out, mnist::Tensor& pooled,
                                     std::vector<int32_t>& winner) {
  const int C = conv_out.dim(0), N = conv_out.dim(1), H = conv_out.dim(2), W = conv_out.dim(3);
  mnist::ensure_shape(pooled, {N, C, H / 2, W / 2});
  winner.resize(static_cast<size_t>(pooled.size()));
  for_each_plane(C, N, H, W,
                 [&](int64_t conv_at, int64_t pooled_at, int h, int w) __attribute__((always_inline)) {
                   pool_plane(conv_out.data() + conv_at, pooled.data() + pooled_at,
                              winner.data() + pooled_at, h, w);
                 });
}

void relu_maxpool2x2_backward_winners(const std::vector<int32_t>& winner, const mnist::Tensor& dout,
                                      const mnist::Shape& conv_shape, mnist::Tensor& dconv) {
  const int C = conv_shape.at(0), N = conv_shape.at(1), H = conv_shape.at(2), W = conv_shape.at(3);
  mnist::expect_shape(dout, {N, C, H / 2, W / 2}, "relu_maxpool2x2_backward_winners dout");
  if (static_cast<int64_t>(winner.size()) != dout.size()) {
    throw std::invalid_argument("relu_maxpool2x2_backward_winners: winner does not fit dout");
  }
  mnist::ensure_shape(dconv, conv_shape);
  for_each_plane(C, N, H, W,
                 [&](int64_t conv_at, int64_t pooled_at, int h, int w) __attribute__((always_inline)) {
                   route_plane(winner.data() + pooled_at, dout.data() + pooled_at,
                               dconv.data() + conv_at, h, w);
                 });
}

}  // namespace stage04
