// The roofline's two ceilings as benchmarks: peak FMA GFLOP/s and memory bandwidth.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>

#include "03_blocked_simd/bench_roofline.h"
#include "03_blocked_simd/roofline.h"
#include "common/tensor.h"

namespace stage03::bench {

namespace {

constexpr int64_t kFmaRounds = int64_t{1} << 22;  // about 10 ms per thread on one core
// 64 Mi floats = 256 MB per array: far larger than any cache, so every byte comes from DRAM.
constexpr int64_t kStreamFloats = int64_t{1} << 26;

// The body of every FMA peak benchmark: `loop` on `threads` threads, GFLOP/s counted.
void run_fma_peak(benchmark::State& state, const FmaLoop& loop, int threads) {
  float sink = loop.run(kFmaRounds / 16);  // warm-up: wakes the core to full clock
  for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += loop.run(kFmaRounds);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOP/s"] = benchmark::Counter(
      loop.flops_per_round * kFmaRounds * threads * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
}

void register_peak(const FmaLoop& loop, const std::string& name, int threads) {
  benchmark::RegisterBenchmark(
      ("stage03.roofline/" + name + "/threads:" + std::to_string(threads)).c_str(),
      [=](benchmark::State& state) { run_fma_peak(state, loop, threads); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

// STREAM's convention: copy moves 8 bytes per element (one read, one write), triad 12. The
// hardware moves more, since a store first reads its cache line (write-allocate).
void register_stream(const std::string& kernel, int threads) {
  benchmark::RegisterBenchmark(
      ("stage03.roofline/bandwidth/" + kernel + "/threads:" + std::to_string(threads)).c_str(),
      [=](benchmark::State& state) {
        const int n = static_cast<int>(kStreamFloats);
        mnist::Tensor a({n}), b({n}), c({n});
        b.fill(1.0f);
        c.fill(2.0f);
        const bool copy = kernel == "copy";
        stream_copy(b.data(), a.data(), kStreamFloats, threads);  // warm-up: threads, pages
        for (auto _ : state) {
          if (copy)
            stream_copy(b.data(), a.data(), kStreamFloats, threads);
          else
            stream_triad(a.data(), b.data(), c.data(), 3.0f, kStreamFloats, threads);
          benchmark::ClobberMemory();
        }
        const double bytes = (copy ? 8.0 : 12.0) * kStreamFloats;
        state.counters["GB/s"] = benchmark::Counter(
            bytes * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
      })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace

void register_roofline_benchmarks() {
  const std::vector<FmaLoop> loops = fma_loops();
  benchmark::AddCustomContext("peak_fma", std::string("the ") + loops.front().isa + " loop");
  for (size_t i = 0; i < loops.size(); ++i)
    for (int threads : {1, 2})
      // The widest loop is this machine's peak; the narrower ones show what it would be
      // for code limited to that instruction set (such as OpenBLAS's Haswell kernels).
      register_peak(loops[i], i == 0 ? "peak_fma" : "peak_fma_" + std::string(loops[i].isa),
                    threads);
  for (const char* kernel : {"copy", "triad"})
    for (int threads : {1, 2}) register_stream(kernel, threads);
}

void register_fma_peak(const std::string& name, int threads) {
  const FmaLoop widest = fma_loops().front();
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    run_fma_peak(state, widest, threads);
  })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace stage03::bench
