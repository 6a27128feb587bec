#include "03_blocked_simd/skinny_gemm.h"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace stage03 {

namespace {

// k is cut into blocks of this many, so that dot_rows rows of A and all (at most 16) rows
// of B^T, 4 KB each, stay in L1 and L2 while every tile of the block uses them.
constexpr int kBlockK = 1024;
// The largest dot_rows or dot_cols of any kernel (the row pointers live on the stack).
constexpr int kMaxDotTile = 8;

}  // namespace

void skinny_gemm(const MicroKernel& kernel, int threads, int M, int N, int K, float alpha,
                 const MatrixView& A, const MatrixView& B, float beta, const OutView& C) {
  const int R = kernel.dot_rows, J = kernel.dot_cols;
  const int row_blocks = (M + R - 1) / R, col_groups = (N + J - 1) / J;

  // The rows of B^T (the columns of B): read in place when they are contiguous, as for the
  // dense layer's weight [10, 1600]; otherwise copied once, N x K floats (N is small).
  std::vector<const float*> bt(static_cast<size_t>(col_groups) * J);
  if (B.rs == 1) {
    for (int j = 0; j < N; ++j) bt[j] = B.data + j * B.cs;
  } else {
    // Into a buffer this thread keeps, so that no call allocates.
    float* copy = packing_buffer(PackingBuffer::skinny, int64_t{N} * K);
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < N; ++j) copy[int64_t{j} * K + k] = B.data[k * B.rs + j * B.cs];
    for (int j = 0; j < N; ++j) bt[j] = copy + int64_t{j} * K;
  }
  // The last group of columns is padded with copies of the last column: computed, dropped.
  std::fill(bt.begin() + N, bt.end(), bt[N - 1]);

  // One R x J tile of sums per (row block, column group), accumulated over the k blocks.
  std::vector<float> sums(static_cast<size_t>(row_blocks) * col_groups * R * J, 0.0f);
  threads = std::max(1, std::min(threads, row_blocks));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int first = row_blocks * t / threads, last = row_blocks * (t + 1) / threads;
    const float* a[kMaxDotTile];
    const float* b[kMaxDotTile];
    for (int k0 = 0; k0 < K; k0 += kBlockK) {
      const int kc = std::min(kBlockK, K - k0);
      for (int rb = first; rb < last; ++rb) {
        // Rows past M (the last block) repeat row M-1: computed, dropped.
        for (int r = 0; r < R; ++r) a[r] = A.data + std::min(rb * R + r, M - 1) * A.rs + k0;
        for (int g = 0; g < col_groups; ++g) {
          for (int j = 0; j < J; ++j) b[j] = bt[g * J + j] + k0;
          kernel.dot(kc, a, b, &sums[(static_cast<size_t>(rb) * col_groups + g) * R * J]);
        }
      }
    }
    for (int rb = first; rb < last; ++rb)
      for (int r = 0; r < R && rb * R + r < M; ++r)
        for (int j = 0; j < N; ++j) {
          const float sum =
              sums[((static_cast<size_t>(rb) * col_groups + j / J) * R + r) * J + j % J];
          float& out = C(rb * R + r, j);
          out = beta == 0 ? alpha * sum : alpha * sum + beta * out;
        }
  }
}

}  // namespace stage03
