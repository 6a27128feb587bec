/// \file
/// \brief The two ceilings of the roofline: peak multiply-add rate and memory bandwidth.
///
/// A kernel can go no faster than the arithmetic units allow (peak FLOP/s) nor faster than
/// memory can feed it (bytes/s times FLOPs per byte). These loops measure both ceilings on
/// this machine, so the GEMM numbers can be read against what the hardware can do at all.
/// Benchmark-only code: nothing in the forward pass uses it.
#pragma once

#include <cstdint>
#include <vector>

namespace stage03 {

/// One way to keep the FMA units busy: `rounds` rounds of independent fused multiply-adds
/// on the calling thread, compiled for one instruction set.
struct FmaLoop {
  const char* isa;  ///< "avx512", "avx2" or "portable"
  /// Runs the loop and returns a value that depends on every result (so that the compiler
  /// cannot drop the work); the FLOPs done are rounds * flops_per_round.
  float (*run)(int64_t rounds);
  double flops_per_round;  ///< floating-point operations in one round of the loop
};

/// The FMA loops this build has and this CPU can run, widest first.
std::vector<FmaLoop> fma_loops();

/// dst[i] = src[i] for i < n, on `threads` OpenMP threads (each copies one contiguous part).
void stream_copy(const float* src, float* dst, int64_t n, int threads);

/// a[i] = b[i] + s * c[i] for i < n, on `threads` OpenMP threads (STREAM's triad).
void stream_triad(float* a, const float* b, const float* c, float s, int64_t n, int threads);

}  // namespace stage03
