// Rung 2 kernels: every convolution and dense product through tiled_gemm_kernel. Each
// problem below is only an index map: where A(m,k) and B(k,n) live, and where C goes.
#include "05_cuda/tiled_kernels.h"

#include "05_cuda/cuda_check.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tiled_gemm.cuh"

namespace stage05::tiled {

namespace {

using namespace sizes;
constexpr int K3 = kKernel;

// Convolution forward as C[(img,y,x), o] = sum over (c,ky,kx) of in[img,c,y+ky,x+kx] w[o,c,ky,kx]:
// implicit im2col (A is never built; a() computes where its element lives).
template <int C, int H, int O>
struct ConvForward {
  static constexpr int OH = H - K3 + 1;
  static constexpr bool kAAlongK = false;  // consecutive m are neighbouring pixels
  static constexpr bool kBAlongK = true;   // w[o, k]: k is contiguous
  const float* in;
  const float* w;
  const float* bias;
  float* out;
  int M, N = O, K = C * K3 * K3;

  __device__ float a(int m, int k) const {
    const int img = m / (OH * OH), pix = m % (OH * OH), y = pix / OH, x = pix % OH;
    const int c = k / (K3 * K3), ky = k / K3 % K3, kx = k % K3;
    return in[((img * C + c) * H + y + ky) * H + x + kx];
  }
  __device__ float b(int k, int o) const { return w[o * K + k]; }
  template <int TM, int TN>
  __device__ void store(int m0, int o0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      if (m0 + i >= M) break;
      const int img = (m0 + i) / (OH * OH), pix = (m0 + i) % (OH * OH);
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (o0 + j < O) out[(img * O + o0 + j) * OH * OH + pix] = acc[i][j] + bias[o0 + j];
    }
  }
};

// Weight gradient: C[o, (c,ky,kx)] = sum over (img,y,x) of dout[img,o,y,x] in[img,c,y+ky,x+kx].
// K is the whole batch's pixels, so it is split over blocks that add atomically.
template <int C, int H, int O>
struct ConvWeightGrad {
  static constexpr int OH = H - K3 + 1;
  static constexpr bool kAAlongK = true;  // dout[img,o,pixels]: pixels contiguous
  static constexpr bool kBAlongK = true;  // neighbouring pixels, neighbouring inputs
  const float* in;
  const float* dout;
  float* dw;
  int M = O, N = C * K3 * K3, K;

  __device__ float a(int o, int r) const {
    const int img = r / (OH * OH), pix = r % (OH * OH);
    return dout[(img * O + o) * OH * OH + pix];
  }
  __device__ float b(int r, int k) const {
    const int img = r / (OH * OH), pix = r % (OH * OH), y = pix / OH, x = pix % OH;
    const int c = k / (K3 * K3), ky = k / K3 % K3, kx = k % K3;
    return in[((img * C + c) * H + y + ky) * H + x + kx];
  }
  template <int TM, int TN>
  __device__ void store(int o0, int k0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (o0 + i < M && k0 + j < N) atomicAdd(&dw[(o0 + i) * N + k0 + j], acc[i][j]);
  }
};

// Input gradient: C[(img,y,x), c] = sum over (o,ky,kx) of dout[img,o,y-ky,x-kx] w[o,c,ky,kx],
// where (y-ky, x-kx) is inside the output (a "full" convolution with the kernel flipped).
template <int C, int H, int O>
struct ConvInputGrad {
  static constexpr int OH = H - K3 + 1;
  static constexpr bool kAAlongK = false;
  static constexpr bool kBAlongK = true;
  const float* dout;
  const float* w;
  float* din;
  int M, N = C, K = O * K3 * K3;

  __device__ float a(int m, int k) const {
    const int img = m / (H * H), pix = m % (H * H), y = pix / H, x = pix % H;
    const int o = k / (K3 * K3), oy = y - k / K3 % K3, ox = x - k % K3;
    if (oy < 0 || oy >= OH || ox < 0 || ox >= OH) return 0.0f;
    return dout[((img * O + o) * OH + oy) * OH + ox];
  }
  __device__ float b(int k, int c) const {
    const int o = k / (K3 * K3), tap = k % (K3 * K3);
    return w[(o * C + c) * K3 * K3 + tap];
  }
  template <int TM, int TN>
  __device__ void store(int m0, int c0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      if (m0 + i >= M) break;
      const int img = (m0 + i) / (H * H), pix = (m0 + i) % (H * H);
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (c0 + j < C) din[(img * C + c0 + j) * H * H + pix] = acc[i][j];
    }
  }
};

// Dense forward, C[row, j] = sum over i of in[row,i] w[j,i] (+ bias once): K = 1600 is long
// and M x N = n x 10 is small, so K is split and the slices add atomically.
struct DenseForward {
  static constexpr bool kAAlongK = true;
  static constexpr bool kBAlongK = true;
  const float* in;
  const float* w;
  const float* bias;
  float* out;
  int M, N = kClasses, K = kFlat;

  __device__ float a(int row, int i) const { return in[row * kFlat + i]; }
  __device__ float b(int i, int j) const { return w[j * kFlat + i]; }
  template <int TM, int TN>
  __device__ void store(int r0, int j0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (r0 + i < M && j0 + j < N)
          atomicAdd(&out[(r0 + i) * N + j0 + j],
                    acc[i][j] + (blockIdx.z == 0 ? bias[j0 + j] : 0.0f));
  }
};

// Dense weight gradient, C[j, i] = sum over rows of dout[row,j] in[row,i].
struct DenseWeightGrad {
  static constexpr bool kAAlongK = false;
  static constexpr bool kBAlongK = false;
  const float* dout;
  const float* in;
  float* dw;
  int M = kClasses, N = kFlat, K;

  __device__ float a(int j, int row) const { return dout[row * kClasses + j]; }
  __device__ float b(int row, int i) const { return in[row * kFlat + i]; }
  template <int TM, int TN>
  __device__ void store(int j0, int i0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (j0 + i < M && i0 + j < N) dw[(j0 + i) * N + i0 + j] = acc[i][j];
  }
};

// Dense input gradient, C[row, i] = sum over j of dout[row,j] w[j,i].
struct DenseInputGrad {
  static constexpr bool kAAlongK = true;
  static constexpr bool kBAlongK = false;
  const float* dout;
  const float* w;
  float* din;
  int M, N = kFlat, K = kClasses;

  __device__ float a(int row, int j) const { return dout[row * kClasses + j]; }
  __device__ float b(int j, int i) const { return w[j * kFlat + i]; }
  template <int TM, int TN>
  __device__ void store(int r0, int i0, const float (&acc)[TM][TN]) const {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (r0 + i < M && i0 + j < N) din[(r0 + i) * N + i0 + j] = acc[i][j];
  }
};

// Slices of K for a split-K product: about `per_split` of K each, at least one.
int splits_for(int K, int per_split) {
  return K / per_split > 1 ? K / per_split : 1;
}

constexpr int kSumThreads = 256;

__global__ void channel_sum_kernel(const float* x, float* out, int n, int channels, int pixels) {
  const int c = blockIdx.x;
  float sum = 0;
  // Consecutive threads read consecutive pixels of one image's plane: coalesced.
  for (int r = threadIdx.x; r < n * pixels; r += blockDim.x)
    sum += x[(r / pixels * channels + c) * pixels + r % pixels];
  // A warp adds its 32 partial sums with shuffles, then warp 0 adds the warps' sums.
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  __shared__ float warp_sums[kSumThreads / 32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x < 32) {
    sum = threadIdx.x < kSumThreads / 32 ? warp_sums[threadIdx.x] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2)
      sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (threadIdx.x == 0) out[c] = sum;
  }
}

}  // namespace

void conv1_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream) {
  using P = ConvForward<1, kImageSize, kConv1Channels>;
  // K is only 9: a BK of 8 wastes less of each step than 16.
  launch_tiled_gemm<64, 32, 8, 4, 4>(P{in, w, b, out, n * P::OH * P::OH}, 1, stream);
  CHECK_LAUNCH("tiled conv1 forward", stream);
}

void conv2_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream) {
  using P = ConvForward<kConv1Channels, kPool1Size, kConv2Channels>;
  launch_tiled_gemm<64, 64, 16, 4, 4>(P{in, w, b, out, n * P::OH * P::OH}, 1, stream);
  CHECK_LAUNCH("tiled conv2 forward", stream);
}

void conv1_backward_weight(const float* in, const float* dout, float* dw, int n,
                           cudaStream_t stream) {
  using P = ConvWeightGrad<1, kImageSize, kConv1Channels>;
  const P p{in, dout, dw, kConv1Channels, kTaps, n * P::OH * P::OH};
  CUDA_CHECK(cudaMemsetAsync(dw, 0, sizeof(float) * p.M * p.N, stream));
  launch_tiled_gemm<32, 16, 16, 2, 2>(p, splits_for(p.K, 512), stream);
  CHECK_LAUNCH("tiled conv1 backward weight", stream);
}

void conv2_backward_weight(const float* in, const float* dout, float* dw, int n,
                           cudaStream_t stream) {
  using P = ConvWeightGrad<kConv1Channels, kPool1Size, kConv2Channels>;
  const P p{in, dout, dw, kConv2Channels, kConv1Channels * kTaps, n * P::OH * P::OH};
  CUDA_CHECK(cudaMemsetAsync(dw, 0, sizeof(float) * p.M * p.N, stream));
  launch_tiled_gemm<64, 64, 16, 4, 4>(p, splits_for(p.K, 512), stream);
  CHECK_LAUNCH("tiled conv2 backward weight", stream);
}

void conv2_backward_input(const float* dout, const float* w, float* din, int n,
                          cudaStream_t stream) {
  using P = ConvInputGrad<kConv1Channels, kPool1Size, kConv2Channels>;
  launch_tiled_gemm<64, 32, 16, 4, 4>(P{dout, w, din, n * kPool1Size * kPool1Size}, 1, stream);
  CHECK_LAUNCH("tiled conv2 backward input", stream);
}

void dense_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream) {
  CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * n * kClasses, stream));
  launch_tiled_gemm<32, 16, 16, 2, 2>(DenseForward{in, w, b, out, n}, 8, stream);
  CHECK_LAUNCH("tiled dense forward", stream);
}

void dense_backward_weight(const float* dout, const float* in, float* dw, int n,
                           cudaStream_t stream) {
  launch_tiled_gemm<32, 16, 16, 2, 2>(DenseWeightGrad{dout, in, dw, kClasses, kFlat, n}, 1, stream);
  CHECK_LAUNCH("tiled dense backward weight", stream);
}

void dense_backward_input(const float* dout, const float* w, float* din, int n,
                          cudaStream_t stream) {
  launch_tiled_gemm<32, 16, 16, 2, 2>(DenseInputGrad{dout, w, din, n}, 1, stream);
  CHECK_LAUNCH("tiled dense backward input", stream);
}

void channel_sum(const float* x, float* out, int n, int channels, int pixels, cudaStream_t stream) {
  channel_sum_kernel<<<channels, kSumThreads, 0, stream>>>(x, out, n, channels, pixels);
  CHECK_LAUNCH("channel_sum_kernel", stream);
}

}  // namespace stage05::tiled
