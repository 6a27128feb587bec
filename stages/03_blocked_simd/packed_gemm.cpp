#include "03_blocked_simd/packed_gemm.h"

#include <omp.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>  // _mm_sfence (SSE: every x86-64 CPU has it)
#endif

#include <algorithm>
#include <exception>

#include "03_blocked_simd/packing.h"
#include "03_blocked_simd/skinny_gemm.h"

namespace stage03 {

namespace {

int round_up(int n, int multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

// C = beta * C, where beta == 0 writes zeros without reading (C may hold NaN).
void scale(const OutView& C, int M, int N, float beta) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) C(i, j) = beta == 0 ? 0.0f : beta * C(i, j);
}

// The size of the blocks that cut n into as few pieces of at most `most` as possible, all
// nearly equal: K = 1024 with at most 384 gives 3 blocks of 342, not 384 + 384 + 256. A
// thin last block would reload and store the whole tile of C for a few multiply-adds.
int even_block(int n, int most) {
  const int blocks = (n + most - 1) / most;
  return (n + blocks - 1) / blocks;
}

// The loop nest of packed_gemm.h on one rectangle of C, on the calling thread.
void gemm_block(const MicroKernel& kernel, const Blocking& blk, int M, int N, int K, float alpha,
                const MatrixView& A, const MatrixView& B, float beta, const OutView& C,
                bool stream) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int kc_step = even_block(K, blk.kc);
  // When all of A is one block (the conv layers' weights: 64 x 288), pack it once here
  // rather than once for every panel of B, and take B in smaller panels.
  const bool a_is_one_block = M <= blk.mc && K <= kc_step;
  const int nc_step =
      a_is_one_block ? std::clamp(blk.panel_single_a / kc_step / nr * nr, nr, blk.nc) : blk.nc;
  float* packed_a = packing_buffer(PackingBuffer::a, int64_t{round_up(blk.mc, mr)} * kc_step);
  float* packed_b = packing_buffer(PackingBuffer::b, int64_t{kc_step} * round_up(nc_step, nr));
  alignas(64) float tile[16 * 64];  // an edge tile, computed whole then clipped (mr*nr <= 1024)
  if (a_is_one_block) pack_a(A, M, K, mr, packed_a);
  for (int jc = 0; jc < N; jc += nc_step) {
    const int nc = std::min(nc_step, N - jc);
    for (int pc = 0; pc < K; pc += kc_step) {
      const int kc = std::min(kc_step, K - pc);
      const float beta_now = pc == 0 ? beta : 1.0f;  // later k blocks accumulate
      pack_b(B.at(pc, jc), kc, nc, nr, packed_b);
      for (int ic = 0; ic < M; ic += blk.mc) {
        const int mc = std::min(blk.mc, M - ic);
        if (!a_is_one_block) pack_a(A.at(ic, pc), mc, kc, mr, packed_a);
        for (int jr = 0; jr < nc; jr += nr) {
          const float* b = packed_b + int64_t{jr} * kc;
          for (int ir = 0; ir < mc; ir += mr) {
            const float* a = packed_a + int64_t{ir} * kc;
            float* c = &C(ic + ir, jc + jr);
            const int rows = std::min(mr, mc - ir), cols = std::min(nr, nc - jr);
            if (rows == mr && cols == nr && C.cs == 1) {
              kernel.run(kc, a, b, c, C.rs, alpha, beta_now, stream);
              continue;
            }
            // Edge tile (or C seen transposed): compute the full tile aside, keep what fits.
            kernel.run(kc, a, b, tile, nr, 1.0f, 0.0f, false);
            for (int i = 0; i < rows; ++i)
              for (int j = 0; j < cols; ++j) {
                float& out = C(ic + ir + i, jc + jr + j);
                const float v = alpha * tile[i * nr + j];
                out = beta_now == 0 ? v : v + beta_now * out;
              }
          }
        }
      }
    }
  }
}

// Makes this thread's non-temporal stores visible to the others before it leaves the
// parallel region: they bypass the cache and are not ordered like ordinary stores.
void fence_streamed_stores() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#endif
}

// How to cut C among threads: a grid of tm x tn rectangles (tm*tn = threads) whose largest
// rectangle has the fewest micro-tiles. Cuts fall on tile boundaries, so no tile is split.
struct Grid {
  int tm, tn;
};
Grid choose_grid(int threads, int m_tiles, int n_tiles) {
  Grid best{1, threads};
  int64_t best_tiles = INT64_MAX;
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm) continue;
    const int tn = threads / tm;
    const int64_t tiles = int64_t{(m_tiles + tm - 1) / tm} * ((n_tiles + tn - 1) / tn);
    if (tiles < best_tiles) best_tiles = tiles, best = {tm, tn};
  }
  return best;
}

}  // namespace

Blocking blocking_for(const MicroKernel& kernel) {
  // A block of 16 slivers of A (128 x 342 floats for avx512: 175 KB) lives in L2 and a
  // sliver of B (342 x 32: 44 KB) in L1. K up to 384 is one block: conv2's K = 288 needs
  // no second pass over C. A panel of 64 slivers of B (2048 columns) is reused by every
  // block of A from L3; when A is packed once, panels of 288 KB (256 columns of conv2,
  // 2048 of conv1) stay in L2 instead. A C over 8 MB is streamed: conv1's 11 MB is, conv2's
  // 4 MB (compute-bound, streaming changed nothing) is not. The sizes were chosen by
  // measuring on the reference CPU (README.md); another CPU may prefer others.
  return {kernel.mr * 16, 384, kernel.nr * 64, 72 * 1024, 8 << 20};
}

void packed_gemm(const MicroKernel& kernel, int threads, bool trans_a, bool trans_b, int M, int N,
                 int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta,
                 float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  MatrixView a = trans_a ? MatrixView{A, 1, lda} : MatrixView{A, lda, 1};
  MatrixView b = trans_b ? MatrixView{B, 1, ldb} : MatrixView{B, ldb, 1};
  OutView c{C, ldc, 1};
  if (K <= 0 || alpha == 0) {
    scale(c, M, N, beta);
    return;
  }
  // A second thread pays only when each has a good 50 us of work (20 MFLOP): waking one
  // costs microseconds on an idle machine but milliseconds on a busy one, where it waits for
  // a core (measured: the dense layer, 4 MFLOP, took 60 us on 2 threads when the machine was
  // quiet and 8 ms when a compiler held the other core). Inside a parallel region the
  // caller already owns the threads.
  if (omp_in_parallel() || 2.0 * M * N * K < 2e7) threads = 1;
  // A C with only a few columns (or rows) goes to the dot-product path, if the long rows it
  // reads are contiguous: the dense layer, and the conv1 weight gradient of stage 04.
  if (N <= kSkinnyMaxColumns && a.cs == 1) {
    skinny_gemm(kernel, threads, M, N, K, alpha, a, b, beta, c);
    return;
  }
  if (M <= kSkinnyMaxColumns && b.rs == 1) {  // C^T = B^T A^T has few columns
    skinny_gemm(kernel, threads, N, M, K, alpha, b.transposed(), a.transposed(), beta,
                c.transposed());
    return;
  }
  // Tiles are mr x nr. When N is much smaller than nr (say 20 columns and nr = 32), most of
  // every tile is padding; computing C^T = B^T A^T instead turns the short side into rows,
  // padded only to mr. But C^T is written through the edge-tile path, element by element
  // (C's rows are no longer contiguous for the kernel), so swap only when that saves a
  // fifth of the work or more. Measured: conv2's product for 8 images (64 x 968: 2.4%
  // less padding swapped) ran every tile through that path, a sixth of a training step.
  const auto padded = [&](int m, int n) {
    return int64_t{round_up(m, kernel.mr)} * round_up(n, kernel.nr);
  };
  if (padded(N, M) * 5 < padded(M, N) * 4) {
    std::swap(M, N);
    std::swap(a, b);
    a = a.transposed();
    b = b.transposed();
    c = {C, 1, ldc};
  }
  const Blocking blk = blocking_for(kernel);
  // A C that is written once (beta = 0, all of K in one block) and is too big to stay in
  // the cache goes straight to memory with streaming stores. An ordinary store first reads
  // the line it writes into the cache (write-allocate), so a big C crosses the memory bus
  // twice; that is most of conv1's traffic (11 MB of C for 3 MB of B). It also stops
  // depending on how much of the shared L3 the neighbours leave us (README.md, conv1).
  const bool stream =
      beta == 0 && K <= blk.kc && int64_t{M} * N * int64_t{sizeof(float)} > blk.stream_c_bytes;
  const int m_tiles = (M + kernel.mr - 1) / kernel.mr, n_tiles = (N + kernel.nr - 1) / kernel.nr;
  threads = std::max(1, std::min(threads, m_tiles * n_tiles));
  const Grid grid = choose_grid(threads, m_tiles, n_tiles);
  std::exception_ptr failure;  // an exception must not leave an OpenMP region: carry it out
#pragma omp parallel num_threads(threads)
  try {
    const int t = omp_get_thread_num();
    const int tm = t / grid.tn, tn = t % grid.tn;
    // This thread's rows [m0, m1) and columns [n0, n1), cut on tile boundaries.
    const int m0 = std::min(M, m_tiles * tm / grid.tm * kernel.mr);
    const int m1 = std::min(M, m_tiles * (tm + 1) / grid.tm * kernel.mr);
    const int n0 = std::min(N, n_tiles * tn / grid.tn * kernel.nr);
    const int n1 = std::min(N, n_tiles * (tn + 1) / grid.tn * kernel.nr);
    if (m1 > m0 && n1 > n0)
      gemm_block(kernel, blk, m1 - m0, n1 - n0, K, alpha, a.at(m0, 0), b.at(0, n0), beta,
                 {&c(m0, n0), c.rs, c.cs}, stream);
    if (stream) fence_streamed_stores();
  } catch (...) {
#pragma omp critical(stage03_gemm_failure)
    failure = std::current_exception();
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace stage03
