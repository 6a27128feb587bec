#include "03_blocked_simd/packing.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>

namespace stage03 {

namespace {

// Both packs do the same thing: lay `count` strided lines of a matrix side by side,
// out[p*width + i] = data[i*line + p*step] for p < kc, zero-padded from `count` to `width`.

// Lines that lie side by side in memory (A given transposed): a straight copy, row by row.
// A plain loop, not std::copy_n: that becomes a call to memmove for every few dozen bytes,
// and the calls cost more than the copying.
void copy_rows(const float* data, int64_t step, int count, int kc, int width, float* out) {
  for (int p = 0; p < kc; ++p) {
    const float* from = data + p * step;
    float* to = out + int64_t{p} * width;
#pragma omp simd
    for (int i = 0; i < count; ++i) to[i] = from[i];
  }
}

// A full sliver of strided lines with its width known when compiling. The lines are read
// side by side, p by p, so that `W` streams of reads are in flight at once and every store
// is contiguous, and the compiler turns each step into a few vector instructions. Measured
// packing 128 x 256 blocks of a cold 1024-wide matrix: 0.2 ns per float, against 1.4 for
// one line at a time with the width known only at run time.
template <int W>
void interleave(const float* data, int64_t line, int64_t step, int kc, float* out) {
  for (int p = 0; p < kc; ++p)
    for (int i = 0; i < W; ++i) out[p * W + i] = data[i * line + p * step];
}

void pack_lines(const float* data, int64_t line, int64_t step, int count, int kc, int width,
                float* out) {
  if (count < width) std::fill_n(out, int64_t{width} * kc, 0.0f);  // zero padding at the edge
  if (line == 1) return copy_rows(data, step, count, kc, width, out);
  if (count == width) {  // the widths of this stage's kernels (microkernel_*.cpp)
    switch (width) {
      case 4:
        return interleave<4>(data, line, step, kc, out);
      case 6:
        return interleave<6>(data, line, step, kc, out);
      case 8:
        return interleave<8>(data, line, step, kc, out);
      case 16:
        return interleave<16>(data, line, step, kc, out);
      case 32:
        return interleave<32>(data, line, step, kc, out);
    }
  }
  for (int p = 0; p < kc; ++p)
    for (int i = 0; i < count; ++i) out[int64_t{p} * width + i] = data[i * line + p * step];
}

}  // namespace

float* packing_buffer(PackingBuffer which, int64_t floats) {
  struct Buffer {
    std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
    int64_t capacity = 0;
  };
  thread_local Buffer buffers[3];
  Buffer& b = buffers[static_cast<int>(which)];
  if (b.capacity < floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    b.data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!b.data) throw std::bad_alloc();
    b.capacity = floats;
  }
  return b.data.get();
}

void pack_a(const MatrixView& A, int mc, int kc, int mr, float* out) {
  // Sliver s: rows s*mr .. s*mr+mr-1, each a line along k.
  for (int s = 0; s < mc; s += mr, out += int64_t{mr} * kc)
    pack_lines(A.at(s, 0).data, A.rs, A.cs, std::min(mr, mc - s), kc, mr, out);
}

void pack_b(const MatrixView& B, int kc, int nc, int nr, float* out) {
  if (B.cs != 1) {  // B transposed. Sliver s: columns s*nr .. s*nr+nr-1, each a line along k.
    for (int s = 0; s < nc; s += nr, out += int64_t{nr} * kc)
      pack_lines(B.at(0, s).data, B.cs, B.rs, std::min(nr, nc - s), kc, nr, out);
    return;
  }
  // B as stored: each row of the block is contiguous. Copy it whole, nr floats into each
  // sliver in turn, so that the reads run along memory instead of jumping a whole row of B
  // (62 KB for conv2) after every nr floats. The rows are still far apart, and the
  // hardware prefetcher does not guess the next one: ask for it a few rows ahead, so that
  // its cache lines are on the way while this row is copied (measured: +30% on conv2).
  constexpr int kPrefetchRows = 8;
  for (int p = 0; p < kc; ++p) {
    const float* from = B.data + p * B.rs;
    if (p + kPrefetchRows < kc)
      for (int j = 0; j < nc; j += 16) __builtin_prefetch(from + kPrefetchRows * B.rs + j);
    for (int s = 0; s < nc; s += nr) {
      const int cols = std::min(nr, nc - s);
      float* to = out + (int64_t{s} * kc + int64_t{p} * nr);  // sliver s/nr, row p
#pragma omp simd
      for (int j = 0; j < cols; ++j) to[j] = from[s + j];
      std::fill(to + cols, to + nr, 0.0f);  // zero padding at the edge
    }
  }
}

}  // namespace stage03
