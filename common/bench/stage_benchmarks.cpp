#include "common/bench/stage_benchmarks.h"

#include <memory>

#include "common/mnist.h"
#include "common/network.h"
#include "common/params.h"

#ifndef MNIST_DEFAULT_DATA_DIR
#define MNIST_DEFAULT_DATA_DIR "data/mnist"
#endif

namespace mnist::bench {

void set_rate_counters(benchmark::State& state, double flops_per_iteration,
                       double images_per_iteration) {
  const double iterations = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration * iterations / 1e9, benchmark::Counter::kIsRate);
  state.counters["images/s"] =
      benchmark::Counter(images_per_iteration * iterations, benchmark::Counter::kIsRate);
}

void register_stage_benchmarks(const StageBenchSpec& spec) {
  using namespace net;
  // Shared, created once on first use so that `--benchmark_list_tests` stays instant.
  auto params = std::make_shared<Params>(init_params(1));
  const int B = spec.batch;

  auto layer = [=](const std::string& name, LayerFn fn, Shape input_shape, const Tensor* w,
                   const Tensor* b, double flops_per_image) {
    benchmark::RegisterBenchmark((spec.stage + "." + name).c_str(),
                                 [=](benchmark::State& state) {
                                   const Tensor input = random_tensor(input_shape, 7);
                                   fn(input, *w, *b);  // warm-up (see forward below)
                                   for (auto _ : state) {
                                     Tensor out = fn(input, *w, *b);
                                     benchmark::DoNotOptimize(out.data());
                                   }
                                   set_rate_counters(state, flops_per_image * B, B);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  layer("conv1", spec.conv, {B, 1, kImageSize, kImageSize}, &params->conv1_weight,
        &params->conv1_bias, 2.0 * kConv1Macs);
  layer("conv2", spec.conv, {B, kConv1Channels, kPool1Size, kPool1Size}, &params->conv2_weight,
        &params->conv2_bias, 2.0 * kConv2Macs);
  layer("dense", spec.dense, {B, kFlat}, &params->fc_weight, &params->fc_bias, 2.0 * kDenseMacs);

  benchmark::RegisterBenchmark(
      (spec.stage + ".forward").c_str(),
      [=](benchmark::State& state) {
        const Tensor images = random_tensor({B, 1, kImageSize, kImageSize}, 11);
        // One untimed call first: it allocates the buffers a stage keeps between calls and
        // faults in their pages, a one-off cost that would otherwise land in the first
        // repetition (or be all of it, when one iteration fills the minimum time).
        spec.forward(*params, images);
        for (auto _ : state) {
          Tensor logits = spec.forward(*params, images);
          benchmark::DoNotOptimize(logits.data());
        }
        set_rate_counters(state, kForwardFlops * B, B);
      })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();

  if (!spec.test_set) return;
  benchmark::RegisterBenchmark((spec.stage + ".test_set").c_str(),
                               [=](benchmark::State& state) {
                                 Dataset test;
                                 try {
                                   test = load_mnist(MNIST_DEFAULT_DATA_DIR, Split::test);
                                 } catch (const std::exception& e) {
                                   state.SkipWithError(e.what());
                                   return;
                                 }
                                 for (auto _ : state) {
                                   EvalResult r = evaluate(spec.forward, *params, test, B);
                                   benchmark::DoNotOptimize(r.correct);
                                 }
                                 set_rate_counters(state, kForwardFlops * test.size(), test.size());
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
}

}  // namespace mnist::bench
