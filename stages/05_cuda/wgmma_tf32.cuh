/// \file
/// \brief Hopper's warpgroup tensor-core instruction, wgmma, in TF32: A from registers, B
/// from shared memory through a descriptor (device code; the instructions exist on sm_90a
/// only, so the build names that architecture: see the top CMakeLists.txt).
///
/// mma.sync (mma_tf32.cuh) is one warp's instruction: every lane loads its pieces of A
/// and B into registers, and the warp waits for its product. wgmma is four warps' (a
/// "warpgroup", warps 4w .. 4w+3 of the block, one on each of the multiprocessor's four
/// schedulers): one instruction multiplies a 64-row tile of A by a tile of B up to 256
/// columns wide. The tensor cores read B straight from shared memory, and the instruction
/// is asynchronous: the warps go on (loading the next step's A, say) while it runs, and
/// wait for it only when they need its sums. No load instructions for B and no waiting
/// between products is what it buys; a fixed layout for B in shared memory is what it
/// costs.
///
/// A (64 x 8, m x k): warp w of the warpgroup holds rows 16w .. 16w+15, in mma.sync's
/// m16n8k8 layout (g = lane / 4, t = lane % 4): a[0] = A[16w+g][t], a[1] = A[16w+g+8][t],
/// a[2] = A[16w+g][t+4], a[3] = A[16w+g+8][t+4].
/// D (64 x N): warp w holds rows 16w+g and 16w+g+8 of every 8-column tile j:
/// d[4j] = D[16w+g][8j+2t], d[4j+1] = D[16w+g][8j+2t+1], d[4j+2] and d[4j+3] the same
/// columns of row 16w+g+8.
/// B (8 x N, k x n), in shared memory as "core matrices" of 8 columns n x 4 rows k, each
/// 128 contiguous bytes (n % 8 picks a 16-byte row of it, k % 4 a float in that row): see
/// CoreMatrices.
#pragma once

#include <cstdint>

namespace stage05::tc {

/// Whether the code this GPU runs has the wgmma instructions: only code built for sm_90a
/// (the build's default) on an sm_90 GPU (H100, H200) does. Host code; it runs a one-thread
/// kernel to ask (defined in tensor_core_kernels.cu).
bool gpu_runs_wgmma();

/// Where B's element (k, n) lies in shared memory (in floats from B's start), for a B of kN
/// columns, stored as its core matrices: those of one step of 4 along k side by side (the
/// kN / 8 groups of 8 columns, 128 bytes apart), then the next 4 along k. One wgmma step
/// (8 along k) thus reads one contiguous block of kN * 32 bytes.
template <int kN>
struct CoreMatrices {
  static_assert(kN % 8 == 0, "whole groups of 8 columns");
  static constexpr int kCoreFloats = 32;                    ///< 8 columns x 4 k, 128 bytes
  static constexpr int kStepFloats = kN / 8 * kCoreFloats;  ///< all columns, 4 k
  /// Offset of element (k, n).
  __host__ __device__ static constexpr int at(int k, int n) {
    return k / 4 * kStepFloats + n / 8 * kCoreFloats + n % 8 * 4 + k % 4;
  }
  /// The element (k, n) at `offset`: the inverse of at().
  __host__ __device__ static constexpr void element(int offset, int& k, int& n) {
    const int in_step = offset % kStepFloats;
    k = offset / kStepFloats * 4 + offset % 4;
    n = in_step / kCoreFloats * 8 + in_step % kCoreFloats / 4;
  }
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define STAGE05_WGMMA 1  ///< this pass of the compiler has the wgmma instructions
#endif

/// The descriptor of the B tile whose first element is at b (16-byte aligned shared
/// memory) in the layout of CoreMatrices<kN>: the start address and the two strides, all
/// in units of 16 bytes. "Leading" is the step along k (to the next core matrix of the same
/// columns), "stride" the step along n (to the next group of 8 columns); the layout type
/// 0 (bits 62-63) means no swizzle. Step s of 8 along k is the descriptor plus s times
/// wgmma_step<kN>().
template <int kN>
__device__ inline uint64_t wgmma_descriptor(const float* b) {
  const auto address = static_cast<uint32_t>(__cvta_generic_to_shared(b));
  constexpr uint64_t kLeading = CoreMatrices<kN>::kStepFloats * sizeof(float) / 16;
  constexpr uint64_t kStride = CoreMatrices<kN>::kCoreFloats * sizeof(float) / 16;
  return uint64_t{(address & 0x3FFFF) >> 4} | kLeading << 16 | kStride << 32;
}
/// How much a descriptor of CoreMatrices<kN> moves per step of 8 along k (two steps of 4).
template <int kN>
__host__ __device__ constexpr uint64_t wgmma_step() {
  return 2 * CoreMatrices<kN>::kStepFloats * sizeof(float) / 16;
}

#ifdef STAGE05_WGMMA
/// Orders this thread's earlier writes of registers that the next wgmma reads (its A
/// fragment, its sums) before that wgmma. Needed before every wgmma whose A was just loaded.
__device__ inline void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
/// Closes a group of wgmma instructions issued since the last commit.
__device__ inline void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
/// Waits until at most kPending committed groups are still running.
template <int kPending>
__device__ inline void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
/// Makes this thread's ordinary stores to shared memory visible to the tensor cores'
/// reads (they go through the "async proxy"): after staging B, before the barrier.
__device__ inline void fence_shared_for_wgmma() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
#endif

/// Keeps the compiler from moving reads of the sums above the wgmma_wait() that makes them
/// final: it cannot see that the asynchronous instruction writes them.
template <int kCount>
__device__ inline void wgmma_settle(float (&d)[kCount]) {
#pragma unroll
  for (int i = 0; i < kCount; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

/// d += A B for the warpgroup's 64 x 8 A (a: this lane's fragment, TF32 bits) and the
/// 8 x 64 B that `b` describes. (The predicate `accumulate` is wgmma's scale-d: true adds
/// the product to d, false would overwrite d; the two 1s scale A and B.)
__device__ inline void wgmma_tf32_n64(float (&d)[32], const uint32_t (&a)[4], uint64_t b) {
#ifdef STAGE05_WGMMA
  asm volatile(
      "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "{%32, %33, %34, %35}, %36, accumulate, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
        "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]),
        "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
        "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
#else
  (void)d, (void)a, (void)b;
  __trap();  // never reached: set_kernel_attributes() refuses a GPU without wgmma
#endif
}

/// d += A B for the warpgroup's 64 x 8 A and an 8 x 32 B.
__device__ inline void wgmma_tf32_n32(float (&d)[16], const uint32_t (&a)[4], uint64_t b) {
#ifdef STAGE05_WGMMA
  asm volatile(
      "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n32k8.f32.tf32.tf32 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
      "{%16, %17, %18, %19}, %20, accumulate, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
        "+f"(d[14]), "+f"(d[15])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
#else
  (void)d, (void)a, (void)b;
  __trap();
#endif
}

}  // namespace stage05::tc
