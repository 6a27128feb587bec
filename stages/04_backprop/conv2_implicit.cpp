#include "04_backprop/conv2_implicit.h"

#include <algorithm>
#include <vector>

#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/packing.h"

namespace stage04 {

namespace {

using stage03::MatrixView;
using stage03::PackingBuffer;

/// The two tables of conv2_implicit.h for input [N,C,H,W] and a K x K kernel:
/// columns[k][j] = input[base[j] + offset[k]].
struct Unfolding {
  int rows = 0;             // C*K*K: one per kernel tap
  int cols = 0;             // N*OH*OW: one per output pixel
  std::vector<int> base;    // [cols]: where pixel j's window starts in the input
  std::vector<int> offset;  // [rows]: where tap k lies in a window

  Unfolding(const mnist::Tensor& input, int K) {
    const int N = input.dim(0), C = input.dim(1), H = input.dim(2), W = input.dim(3);
    const int OH = H - K + 1, OW = W - K + 1;
    rows = C * K * K;
    cols = N * OH * OW;
    for (int n = 0; n < N; ++n)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) base.push_back((n * C * H + y) * W + x);
    for (int c = 0; c < C; ++c)
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx) offset.push_back((c * H + ky) * W + kx);
  }
};

/// The pixels j0 .. j0+width-1 cut into runs whose windows start at consecutive input
/// addresses (one output row: x, x+1, ...), so that copies to and from the image go a run at
/// a time, as contiguous vectors, rather than one scattered float at a time.
struct Runs {
  int count = 0;
  int first[64];   // the run's first pixel, relative to j0 (a sliver is at most 64 wide)
  int length[64];  // its pixels

  Runs(const Unfolding& u, int j0, int width) {
    const int* base = u.base.data() + j0;
    for (int jj = 0; jj < width; ++jj) {
      if (jj > 0 && base[jj] == base[jj - 1] + 1) {
        ++length[count - 1];
      } else {
        first[count] = jj;
        length[count++] = 1;
      }
    }
  }
};

/// Floats copied per run by pack_columns() when the run is no longer: one 512-bit vector
/// (or two 256-bit ones). Conv2's runs are one output row, 11 pixels.
constexpr int kRunCopy = 16;

/// Packs columns[k][j0 + jj] for every k < rows and jj < nr (zero past `width`) into one
/// sliver, in the order of stage03::pack_b: for each k, nr consecutive floats. The sliver
/// needs kRunCopy floats of room past its end.
void pack_columns(const float* input, int64_t input_size, const Unfolding& u, int j0, int width,
                  int nr, const Runs& runs, float* sliver) {
  const int* base = u.base.data() + j0;
  const float* input_end = input + input_size;
  // The common case, every run a whole vector for every k (conv2's slivers but the last
  // few of a slice): then the loop over k does nothing but one vector copy per run, its
  // source and place kept in two local arrays, which the compiler knows the stores into
  // the sliver leave alone. (Deciding each run's kind and bounds afresh for every k, as
  // the loop below does, and reloading them after every store, took longer than the
  // copies: with this path the forward's own time fell from about 0.45 to 0.25 of the
  // micro-kernel's, profiled on one thread.)
  bool all_whole = true;
  const int last_offset = u.offset.back();  // the largest: the offsets grow with k
  int from[64], to[64];
  for (int r = 0; r < runs.count; ++r) {
    from[r] = base[runs.first[r]];
    to[r] = runs.first[r];
    all_whole =
        all_whole && runs.length[r] <= kRunCopy && from[r] + last_offset + kRunCopy <= input_size;
  }
  if (all_whole) {
    for (int k = 0; k < u.rows; ++k) {
      const float* tap = input + u.offset[static_cast<size_t>(k)];
      float* row = sliver + int64_t{k} * nr;
      for (int r = 0; r < runs.count; ++r) {
#pragma omp simd
        for (int l = 0; l < kRunCopy; ++l) row[to[r] + l] = tap[from[r] + l];
      }
      if (width < nr) std::fill(row + width, row + nr, 0.0f);
    }
    return;
  }
  for (int k = 0; k < u.rows; ++k) {
    const float* tap = input + u.offset[static_cast<size_t>(k)];
    float* to = sliver + int64_t{k} * nr;
    for (int r = 0; r < runs.count; ++r) {
      const int s = runs.first[r];
      const float* from = tap + base[s];
      if (runs.length[r] <= kRunCopy && from + kRunCopy <= input_end) {
        // A whole vector whatever the run's length: a loop of 11 would end in a masked or
        // scalar tail. The floats past the run land where the next run (or the next k's
        // row, or the zero fill below) is written afterwards.
#pragma omp simd
        for (int l = 0; l < kRunCopy; ++l) to[s + l] = from[l];
      } else {  // at the very end of the input, a whole vector would read past it
#pragma omp simd
        for (int l = 0; l < runs.length[r]; ++l) to[s + l] = from[l];
      }
    }
    std::fill(to + width, to + nr, 0.0f);
  }
}

/// Packs the transpose, columns^T [j][k0 + kk] for every j < cols and kk < nr: B of the
/// weight gradient's product, whose k runs over pixels.
void pack_columns_transposed(const float* input, const Unfolding& u, int k0, int width, int nr,
                             float* sliver) {
  const int* offset = u.offset.data() + k0;
  for (int j = 0; j < u.cols; ++j) {
    const float* window = input + u.base[static_cast<size_t>(j)];
    float* to = sliver + int64_t{j} * nr;
    for (int kk = 0; kk < width; ++kk) to[kk] = window[offset[kk]];
    std::fill(to + width, to + nr, 0.0f);
  }
}

int round_up(int n, int multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

}  // namespace

void conv2d_implicit_forward(const mnist::Tensor& input, const mnist::Tensor& weight,
                             const mnist::Tensor& bias, mnist::Tensor& out) {
  const int N = input.dim(0), O = weight.dim(0), K = weight.dim(2);
  mnist::expect_shape(weight, {O, input.dim(1), K, K}, "conv2d_implicit weight");
  mnist::expect_shape(bias, {O}, "conv2d_implicit bias");
  const int OH = input.dim(2) - K + 1, OW = input.dim(3) - K + 1;
  mnist::ensure_shape(out, {O, N, OH, OW});
  const Unfolding u(input, K);
  const stage03::MicroKernel& kernel = stage03::selected_kernel();
  const int mr = kernel.mr, nr = kernel.nr;
  // out [O, cols] = weight [O, rows] x columns [rows, cols] + bias: all of the weights are
  // one block of A, packed once; B is packed one sliver of nr pixels at a time.
  float* packed_a = stage03::packing_buffer(PackingBuffer::a, int64_t{round_up(O, mr)} * u.rows);
  stage03::pack_a(MatrixView{weight.data(), u.rows, 1}, O, u.rows, mr, packed_a);
  float* sliver = stage03::packing_buffer(PackingBuffer::b, int64_t{u.rows} * nr + kRunCopy);
  alignas(64) float tile[16 * 64];  // an edge tile, computed whole then clipped (as stage 03)
  for (int j0 = 0; j0 < u.cols; j0 += nr) {
    const int width = std::min(nr, u.cols - j0);
    const Runs runs(u, j0, width);
    pack_columns(input.data(), input.size(), u, j0, width, nr, runs, sliver);
    for (int i0 = 0; i0 < O; i0 += mr) {
      const int rows = std::min(mr, O - i0);
      kernel.run(u.rows, packed_a + int64_t{i0} * u.rows, sliver, tile, nr, 1.0f, 0.0f, false);
      for (int i = 0; i < rows; ++i) {
        float* c = out.data() + int64_t{i0 + i} * u.cols + j0;
        const float b = bias[i0 + i];
        for (int jj = 0; jj < width; ++jj) c[jj] = tile[i * nr + jj] + b;
      }
    }
  }
}

void conv2d_implicit_backward(const mnist::Tensor& input, const mnist::Tensor& weight,
                              const mnist::Tensor& dout, mnist::Tensor& dweight,
                              mnist::Tensor& dbias, mnist::Tensor& dinput) {
  const int O = weight.dim(0), K = weight.dim(2);
  const Unfolding u(input, K);
  mnist::expect_shape(dout, {O, input.dim(0), input.dim(2) - K + 1, input.dim(3) - K + 1},
                      "conv2d_implicit dout");
  mnist::ensure_shape(dweight, weight.shape());
  mnist::ensure_shape(dbias, {O});
  mnist::ensure_shape(dinput, input.shape());
  const stage03::MicroKernel& kernel = stage03::selected_kernel();
  const int mr = kernel.mr, nr = kernel.nr;
  alignas(64) float tile[16 * 64];  // a tile computed whole, then clipped at the edges

  for (int o = 0; o < O; ++o) {  // db [O] = row sums of dout
    const float* d = dout.data() + int64_t{o} * u.cols;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < u.cols; ++j) sum += d[j];
    dbias[o] = sum;
  }

  // dW [O, rows] = dout [O, cols] x columns^T [cols, rows]: every pixel of the slice is one
  // step of k, so the tile of dW stays in registers over all of them, written once.
  float* packed_dout = stage03::packing_buffer(PackingBuffer::a,
                                               int64_t{round_up(O, mr)} * u.cols);  // whole slivers
  stage03::pack_a(MatrixView{dout.data(), u.cols, 1}, O, u.cols, mr, packed_dout);
  float* sliver = stage03::packing_buffer(PackingBuffer::b, int64_t{u.cols} * nr);
  for (int k0 = 0; k0 < u.rows; k0 += nr) {
    const int width = std::min(nr, u.rows - k0);
    pack_columns_transposed(input.data(), u, k0, width, nr, sliver);
    for (int i0 = 0; i0 < O; i0 += mr) {
      kernel.run(u.cols, packed_dout + int64_t{i0} * u.cols, sliver, tile, nr, 1.0f, 0.0f, false);
      for (int i = 0; i < std::min(mr, O - i0); ++i)
        std::copy_n(tile + i * nr, width, dweight.data() + int64_t{i0 + i} * u.rows + k0);
    }
  }

  // dcolumns [rows, cols] = weight^T [rows, O] x dout [O, cols], a tile at a time, each
  // tile added straight onto the pixels it came from: col2im without the column matrix.
  // The tiles go in a fixed order, so every pixel's sum is the same on every run.
  float* packed_wt = stage03::packing_buffer(PackingBuffer::a, int64_t{u.rows} * O);
  stage03::pack_a(MatrixView{weight.data(), 1, u.rows}, u.rows, O, mr, packed_wt);
  float* dout_sliver = stage03::packing_buffer(PackingBuffer::b, int64_t{O} * nr);
  std::fill_n(dinput.data(), dinput.size(), 0.0f);
  for (int j0 = 0; j0 < u.cols; j0 += nr) {
    const int width = std::min(nr, u.cols - j0);
    stage03::pack_b(MatrixView{dout.data() + j0, u.cols, 1}, O, width, nr, dout_sliver);
    const int* base = u.base.data() + j0;
    const Runs runs(u, j0, width);
    for (int i0 = 0; i0 < u.rows; i0 += mr) {
      kernel.run(O, packed_wt + int64_t{i0} * O, dout_sliver, tile, nr, 1.0f, 0.0f, false);
      for (int i = 0; i < std::min(mr, u.rows - i0); ++i) {
        float* tap = dinput.data() + u.offset[static_cast<size_t>(i0 + i)];
        for (int r = 0; r < runs.count; ++r) {
          const int s = runs.first[r];
          float* to = tap + base[s];
          const float* from = tile + i * nr + s;
#pragma omp simd
          for (int l = 0; l < runs.length[r]; ++l) to[l] += from[l];
        }
      }
    }
  }
}

}  // namespace stage04
