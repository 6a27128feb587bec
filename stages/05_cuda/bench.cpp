// Google Benchmark for stage 05: every kernel of every rung's training step at batch 128,
// the whole step, and cuBLAS's SGEMM on conv2's shape as the yardstick. Each kernel shows
// GFLOP/s and GB/s and their share of this GPU's measured ceilings (bench_peaks.h).
#include <benchmark/benchmark.h>
#include <cublas_v2.h>

#include <cstdio>
#include <memory>
#include <string>

#include "05_cuda/bench_peaks.h"
#include "05_cuda/cuda_check.h"
#include "05_cuda/device_buffer.h"
#include "05_cuda/device_dataset.h"
#include "05_cuda/event_timer.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/gpu.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/plans.h"
#include "05_cuda/sizes.h"
#include "common/bench/stage_benchmarks.h"
#include "common/network.h"
#include "common/rng.h"

namespace {

using namespace stage05;
constexpr int kBatch = 128;
constexpr int kLaunchesPerIteration = 20;  // a kernel of a few microseconds: time 20 at once

struct Peaks {
  double gflops = 0, gbs = 0;
};
Peaks g_peaks;

// MNIST-like random images: U(0,1) pixels, those under 0.4 blank, as most of a digit is.
mnist::Tensor digit_like_images(int n, uint64_t seed) {
  mnist::Tensor images = mnist::bench::random_tensor({n, 1, 28, 28}, seed);
  for (float& p : images.values()) p = p > 0.4f ? p : 0.0f;
  return images;
}

// A training set of such images, as big as MNIST's, on the GPU: rungs 3 and 4 draw their
// batches from it. Built once, for every benchmark that needs it.
constexpr int kSetSize = 60000;
const DeviceDataset& digit_like_set() {
  static const DeviceDataset set(
      mnist::Dataset{digit_like_images(kSetSize, 5), std::vector<int>(kSetSize, 3)});
  return set;
}

// Step 0 of an epoch of digit_like_set(), seed 1.
fused::BatchSource first_batch_source() {
  const DeviceDataset& set = digit_like_set();
  const int steps = (kSetSize + kBatch - 1) / kBatch;
  return {set.images.data(), set.labels.data(), kSetSize, steps, 0, 1, 0, 0};
}

// A workspace holding a realistic batch: random parameters, MNIST-like random images,
// labels and a dropout mask, and one full step already run so every buffer is valid. Rungs
// 3 and 4 draw their batches from a training set of 60,000 such images on the GPU.
struct Setup {
  Rung rung;
  Workspace ws{kBatch};
  cudaStream_t stream = nullptr;
  explicit Setup(Rung r) : rung(r) {
    CUDA_CHECK(cudaStreamCreate(&stream));
    set_kernel_attributes(r);
    ws.params.upload(flatten(mnist::init_params(1)));
    const mnist::Tensor images = digit_like_images(kBatch, 3);
    ws.images.upload(images.values());
    std::vector<int> labels(kBatch);
    for (int i = 0; i < kBatch; ++i) labels[size_t(i)] = i % 10;
    ws.labels.upload(labels);
    naive::dropout_mask(ws.mask.data(), kBatch * mnist::net::kFlat, 1, ws.clock.data(), stream);
    enqueue(step(), stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  ~Setup() { cudaStreamDestroy(stream); }

  // The training step as the trainer runs it: on rungs 3 and 4, step 0 of an epoch of the
  // set, its batch drawn by conv1's kernel; on rungs 1 and 2, the batch in the workspace.
  Plan step() {
    if (!runs_on_device_data(rung)) return training_plan(rung, ws, kBatch, true, {});
    return training_plan(rung, ws, first_batch_source(), kBatch, {});
  }
};

void set_counters(benchmark::State& state, double flops, double bytes, double images) {
  const double per_second = double(state.iterations());  // manual time: seconds per iteration
  using C = benchmark::Counter;
  state.counters["GFLOP/s"] = C(flops * per_second / 1e9, C::kIsRate);
  state.counters["GB/s"] = C(bytes * per_second / 1e9, C::kIsRate);
  state.counters["%peak_flops"] = C(100 * flops * per_second / 1e9 / g_peaks.gflops, C::kIsRate);
  state.counters["%peak_bw"] = C(100 * bytes * per_second / 1e9 / g_peaks.gbs, C::kIsRate);
  if (images > 0) state.counters["images/s"] = C(images * per_second, C::kIsRate);
}

// Times `body` (which queues work on `stream`) with events, `per_iteration` times per
// iteration, reporting the time of one.
template <typename Body>
void time_with_events(benchmark::State& state, cudaStream_t stream, int per_iteration, Body body) {
  EventTimer timer;
  for (auto _ : state) {
    timer.start(stream);
    for (int i = 0; i < per_iteration; ++i) body();
    timer.stop(stream);
    state.SetIterationTime(timer.seconds() / per_iteration);
  }
}

void register_rung(Rung rung) {
  auto setup = std::make_shared<std::unique_ptr<Setup>>();  // created on first use
  auto get = [=]() -> Setup& {
    if (!*setup) *setup = std::make_unique<Setup>(rung);
    return **setup;
  };
  const std::string prefix =
      std::string("stage05.rung") + std::to_string(int(rung)) + "_" + rung_name(rung) + ".";
  // Every launch of the training step, one benchmark each (a plan for one image has the
  // same launches as one for 128: it is only asked for their names here).
  Workspace names_only(1);
  const Plan names = runs_on_device_data(rung)
                         ? training_plan(rung, names_only, fused::BatchSource{}, 1, {})
                         : training_plan(rung, names_only, 1, true, {});
  const size_t launches = names.size();
  for (size_t k = 0; k < launches; ++k) {
    const std::string name = prefix + names[k].name;
    benchmark::RegisterBenchmark(name.c_str(),
                                 [=](benchmark::State& state) {
                                   Setup& s = get();
                                   const Plan plan = s.step();
                                   const Launch& launch = plan[k];
                                   time_with_events(state, s.stream, kLaunchesPerIteration,
                                                    [&] { launch.enqueue(s.stream); });
                                   set_counters(state, launch.flops, launch.bytes, 0);
                                 })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  // The whole step, launch by launch (rungs 1 and 2 run this way) ...
  benchmark::RegisterBenchmark((prefix + "step").c_str(),
                               [=](benchmark::State& state) {
                                 Setup& s = get();
                                 const Plan plan = s.step();
                                 double flops = 0, bytes = 0;
                                 for (const Launch& l : plan) flops += l.flops, bytes += l.bytes;
                                 time_with_events(state, s.stream, 5,
                                                  [&] { enqueue(plan, s.stream); });
                                 set_counters(state, flops, bytes, kBatch);
                               })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  // ... and captured once in a CUDA graph and replayed (how rung 3 trains).
  benchmark::RegisterBenchmark(
      (prefix + "step_graph").c_str(),
      [=](benchmark::State& state) {
        Setup& s = get();
        const Plan plan = s.step();
        double flops = 0, bytes = 0;
        for (const Launch& l : plan) flops += l.flops, bytes += l.bytes;
        cudaGraph_t graph;
        cudaGraphExec_t exec;
        CUDA_CHECK(cudaStreamBeginCapture(s.stream, cudaStreamCaptureModeThreadLocal));
        enqueue(plan, s.stream);
        CUDA_CHECK(cudaStreamEndCapture(s.stream, &graph));
        CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
        time_with_events(state, s.stream, 5, [&] { CUDA_CHECK(cudaGraphLaunch(exec, s.stream)); });
        CUDA_CHECK(cudaGraphExecDestroy(exec));
        CUDA_CHECK(cudaGraphDestroy(graph));
        set_counters(state, flops, bytes, kBatch);
      })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

// Rung 3's batch preparation as its own kernel (stage 06 and the tests run it; the training
// step of rungs 3 and 4 does its work in conv1's kernel).
void register_prepare_batch() {
  benchmark::RegisterBenchmark(
      "stage05.rung3_fused.prepare batch (shuffle, gather, mask)",
      [](benchmark::State& state) {
        Workspace ws(kBatch);
        const fused::BatchSource source = first_batch_source();
        time_with_events(state, nullptr, kLaunchesPerIteration, [&] {
          fused::prepare_batch(source, kBatch, ws.clock.data(), true, ws.images.data(),
                               ws.labels.data(), ws.mask.data(), nullptr);
        });
        const double bytes = kBatch * (2.0 * sizes::kImage * 4 + 8 + 4.0 * mnist::net::kFlat);
        set_counters(state, 0, bytes, kBatch);
      })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

// The yardstick: cuBLAS SGEMM (float32, no tensor cores) on the shape of conv2's forward
// product, [n*121 x 288] x [288 x 64], as rung 2 multiplies it.
void register_cublas() {
  benchmark::RegisterBenchmark(
      "stage05.cublas.sgemm conv2 forward shape",
      [](benchmark::State& state) {
        const int M = kBatch * mnist::net::kConv2Size * mnist::net::kConv2Size, N = 64, K = 288;
        DeviceBuffer<float> a(size_t(M) * K), b(size_t(K) * N), c(size_t(M) * N);
        const mnist::Tensor ha = mnist::bench::random_tensor({M, K}, 1),
                            hb = mnist::bench::random_tensor({K, N}, 2);
        a.upload(ha.values());
        b.upload(hb.values());
        cublasHandle_t handle;
        if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
          state.SkipWithError("cublasCreate failed");
          return;
        }
        cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH);  // true float32: no TF32 tensor cores
        const float one = 1, zero = 0;
        time_with_events(state, nullptr, kLaunchesPerIteration, [&] {
          // Column-major: C^T [N x M] = B^T [N x K] * A^T [K x M].
          cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, b.data(), N, a.data(), K,
                      &zero, c.data(), N);
        });
        cublasDestroy(handle);
        set_counters(state, 2.0 * M * N * K, 4.0 * (double(M) * K + double(K) * N + double(M) * N),
                     0);
      })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::string why;
  if (!gpu_available(&why)) {
    std::printf("stage05_bench skipped: no CUDA GPU (%s)\n", why.c_str());
    return 0;
  }
  std::printf("gpu: %s\n", describe_gpu().c_str());
  g_peaks.gbs = bench::measure_copy_bandwidth_gbs();
  g_peaks.gflops = bench::measure_fp32_peak_gflops();
  std::printf(
      "measured ceilings: %.0f GB/s device-memory copy (read + write), %.0f GFLOP/s "
      "float32 FMA\n",
      g_peaks.gbs, g_peaks.gflops);
  benchmark::AddCustomContext("peak_copy_GBps", std::to_string(g_peaks.gbs));
  benchmark::AddCustomContext("peak_fp32_GFLOPps", std::to_string(g_peaks.gflops));
  benchmark::AddCustomContext("gpu", describe_gpu());
  for (Rung r : {Rung::naive, Rung::tiled, Rung::fused, Rung::tensor}) register_rung(r);
  register_prepare_batch();
  register_cublas();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
