#include "03_blocked_simd/roofline.h"

#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace stage03 {

namespace {

// An FMA has a latency of 4 cycles and a core issues 2 per cycle, so at least 8 chains must
// be in flight to keep both units busy; 16 independent accumulators leave some slack and
// still fit the register file. Each chain converges to 10 (x = 0.9999 x + 0.001): no
// overflow, no denormals, nothing the compiler may simplify.
constexpr int kChains = 16;
constexpr int kLanes = 16;  // floats per chain of the plain loop: one 512-bit register

// The loop, plain C++: compiled for a wider instruction set, the compiler turns each chain
// into vector FMAs on its own, and ran 5% faster than the same loop written with AVX-512
// intrinsics (measured). Inlined into the per-instruction-set functions below.
[[gnu::always_inline]] inline float fma_chains(int64_t rounds) {
  float acc[kChains][kLanes];
  for (int c = 0; c < kChains; ++c)
    for (float& v : acc[c]) v = static_cast<float>(c);
  for (int64_t r = 0; r < rounds; ++r)
    for (auto& chain : acc)
      for (float& v : chain) v = v * 0.9999f + 0.001f;
  float sum = 0;
  for (auto& chain : acc)
    for (float v : chain) sum += v;
  return sum;
}

#if defined(__x86_64__)
// `target` compiles just this function for the wider instruction set, whatever the rest of
// the build targets; fma_loops() only hands it out after CPUID said the CPU has it.
__attribute__((target("avx512f"))) float fma_avx512(int64_t rounds) {
  return fma_chains(rounds);
}

// The AVX2 ceiling (what code limited to 256-bit vectors can reach, such as OpenBLAS's
// Haswell kernels) needs intrinsics: `target` can add an instruction set but not take one
// away, so in a -march=native build the plain loop would use 512-bit registers here too.
__attribute__((target("avx2,fma"))) float fma_avx2(int64_t rounds) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(0.001f);
  for (int64_t r = 0; r < rounds; ++r)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
  alignas(32) float lanes[8];
  float sum = 0;
  for (int c = 0; c < kChains; ++c) {
    _mm256_store_ps(lanes, acc[c]);
    for (float v : lanes) sum += v;
  }
  return sum;
}
#endif

// For whatever the build targets (scalar on a generic x86-64 build).
float fma_portable(int64_t rounds) {
  return fma_chains(rounds);
}

}  // namespace

std::vector<FmaLoop> fma_loops() {
  std::vector<FmaLoop> loops;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f"))
    loops.push_back({"avx512", fma_avx512, 2.0 * kChains * kLanes});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    loops.push_back({"avx2", fma_avx2, 2.0 * kChains * 8});
#endif
  loops.push_back({"portable", fma_portable, 2.0 * kChains * kLanes});
  return loops;
}

void stream_copy(const float* src, float* dst, int64_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

void stream_triad(float* a, const float* b, const float* c, float s, int64_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace stage03
