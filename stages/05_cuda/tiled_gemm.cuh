/// \file
/// \brief One shared-memory tiled matrix product for every layer: C[M,N] = sum_k A(m,k) B(k,n).
///
/// Every convolution and dense layer, forward or backward, is a matrix product once you say
/// where A's and B's elements come from (stage 02's im2col, without the copy). A "problem"
/// type says exactly that: M, N, K, a(m,k), b(k,n), and what to do with a finished tile of
/// C (store(...)). This template supplies the schedule, the same for all of them:
///
///   - the block computes a BM x BN tile of C and walks K in steps of BK;
///   - each step, the block's threads copy a BM x BK slice of A and a BK x BN slice of B into
///     shared memory *once*, with neighbouring threads reading neighbouring addresses
///     (coalesced: a warp's 32 reads become a few 128-byte transactions);
///   - then every thread computes a TM x TN patch of C from shared memory, holding the
///     patch in registers: each value loaded is used TN (or TM) times, not once.
///
/// Rung 1 loads every input value from global memory once per output that uses it; here a
/// value of A is fetched from global memory once per block and reused BN times.
#pragma once

#include <cuda_runtime.h>

namespace stage05::tiled {

/// Threads per block of a tile shape.
template <int BM, int BN, int TM, int TN>
constexpr int kTileThreads = (BM / TM) * (BN / TN);

/// C = A B over the problem p (see the file comment). Grid: (ceil(M/BM), ceil(N/BN), splits):
/// with splits > 1 each block sums only its share of K ("split-K", for products whose K is
/// much larger than M and N) and p.store must add atomically.
///
/// Problem::kAAlongK / kBAlongK say whether consecutive k are neighbours in memory for A
/// and B; the tile loads then walk k fastest, else m (or n) fastest, so that consecutive
/// threads read consecutive addresses either way.
template <int BM, int BN, int BK, int TM, int TN, class Problem>
__global__ void __launch_bounds__(kTileThreads<BM, BN, TM, TN>) tiled_gemm_kernel(Problem p) {
  constexpr int kThreads = kTileThreads<BM, BN, TM, TN>;
  // +4: rows stay 16-byte aligned, and the k-fastest stores hit 2-way, not 16-way, conflicts.
  __shared__ __align__(16) float As[BK][BM + 4];
  __shared__ __align__(16) float Bs[BK][BN + 4];

  const int tid = threadIdx.x;
  // Consecutive threads take consecutive row groups, so their stores of C are neighbours.
  const int ty = tid % (BM / TM), tx = tid / (BM / TM);
  const int m_block = blockIdx.x * BM, n_block = blockIdx.y * BN;

  // This block's share of K: whole BK steps, split evenly over gridDim.z.
  const int steps = (p.K + BK - 1) / BK;
  const int steps_per_split = (steps + gridDim.z - 1) / gridDim.z;
  const int k_begin = blockIdx.z * steps_per_split * BK;
  const int k_end = min(p.K, k_begin + steps_per_split * BK);

  float acc[TM][TN] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += BK) {
    for (int e = tid; e < BM * BK; e += kThreads) {
      const int mm = Problem::kAAlongK ? e / BK : e % BM;
      const int kk = Problem::kAAlongK ? e % BK : e / BM;
      const int m = m_block + mm, k = k0 + kk;
      As[kk][mm] = (m < p.M && k < k_end) ? p.a(m, k) : 0.0f;
    }
    for (int e = tid; e < BK * BN; e += kThreads) {
      const int nn = Problem::kBAlongK ? e / BK : e % BN;
      const int kk = Problem::kBAlongK ? e % BK : e / BN;
      const int n = n_block + nn, k = k0 + kk;
      Bs[kk][nn] = (n < p.N && k < k_end) ? p.b(k, n) : 0.0f;
    }
    __syncthreads();  // the tiles are complete before anyone reads them
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx * TN + j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();  // everyone is done with the tiles before they are overwritten
  }
  p.store(m_block + ty * TM, n_block + tx * TN, acc);
}

/// Launches tiled_gemm_kernel for p on stream with `splits` slices of K.
template <int BM, int BN, int BK, int TM, int TN, class Problem>
void launch_tiled_gemm(const Problem& p, int splits, cudaStream_t stream) {
  const dim3 grid((p.M + BM - 1) / BM, (p.N + BN - 1) / BN, splits);
  tiled_gemm_kernel<BM, BN, BK, TM, TN, Problem>
      <<<grid, kTileThreads<BM, BN, TM, TN>, 0, stream>>>(p);
}

}  // namespace stage05::tiled
