#include "03_blocked_simd/roofline.h"

#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace stage03 {

namespace {

// An FMA has a latency of 4 cycles and a core issues 2 per cycle, so at least 8 chains must
// be in flight to keep both units busy; 12 independent accumulators leave some slack and
// still fit the register file. Each chain converges to 10 (x = 0.9999 x + 0.001): no
// overflow, no denormals, nothing the compiler may simplify.
constexpr int kChains = 12;

#if defined(__x86_64__)
// `target` compiles just this function for the wider instruction set, whatever the rest of
// the build targets; fma_loops() only hands it out after CPUID said the CPU has it.
__attribute__((target("avx512f"))) float fma_avx512(int64_t rounds) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512 x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(0.001f);
  for (int64_t r = 0; r < rounds; r += 2) {  // two rounds per trip: less loop overhead
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm512_add_ps(acc[0], acc[c]);
  // (Not _mm512_reduce_add_ps: g++ 12 warns about an uninitialised value inside it.)
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc[0]);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}

__attribute__((target("avx2,fma"))) float fma_avx2(int64_t rounds) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(0.001f);
  for (int64_t r = 0; r < rounds; r += 2) {  // two rounds per trip: less loop overhead
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc[0]);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}
#endif

// Plain C++: as fast as the compiler's vectoriser makes it (scalar on a generic build).
constexpr int kPortableLanes = 16;
float fma_portable(int64_t rounds) {
  float acc[kChains][kPortableLanes];
  for (int c = 0; c < kChains; ++c)
    for (float& v : acc[c]) v = static_cast<float>(c);
  for (int64_t r = 0; r < rounds; ++r)  // the compiler unrolls this one by itself
    for (auto& chain : acc)
      for (float& v : chain) v = v * 0.9999f + 0.001f;
  float sum = 0;
  for (auto& chain : acc)
    for (float v : chain) sum += v;
  return sum;
}

}  // namespace

std::vector<FmaLoop> fma_loops() {
  std::vector<FmaLoop> loops;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) loops.push_back({"avx512", fma_avx512, 2.0 * kChains * 16});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    loops.push_back({"avx2", fma_avx2, 2.0 * kChains * 8});
#endif
  loops.push_back({"portable", fma_portable, 2.0 * kChains * kPortableLanes});
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
