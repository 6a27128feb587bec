// Google Benchmark for stage 04: one training step at batch 128, whole and in parts, and
// every layer's forward and backward on its own, so the time can be traced to a layer.
#include <benchmark/benchmark.h>

#include "03_blocked_simd/bench_roofline.h"
#include "03_blocked_simd/layers.h"
#include "04_backprop/adam.h"
#include "04_backprop/batch_parallel_step.h"
#include "04_backprop/batch_source.h"
#include "04_backprop/conv1_fused.h"
#include "04_backprop/conv2_channels_last.h"
#include "04_backprop/conv2_implicit.h"
#include "04_backprop/dropout_rows.h"
#include "04_backprop/heap.h"
#include "04_backprop/layers_backward.h"
#include "04_backprop/train_step.h"
#include "common/bench/stage_benchmarks.h"
#include "common/network.h"
#include "common/rng.h"

namespace {

using mnist::Tensor;
using namespace mnist::net;
constexpr int kBatch = 128;

/// One batch's worth of everything: parameters, images in [0,1), labels, a dropout mask,
/// and the forward cache and intermediate gradients of one step, for the layer benchmarks.
struct Step {
  mnist::Params params = mnist::init_params(1);
  Tensor images{kBatch, 1, kImageSize, kImageSize};
  std::vector<int> labels;
  Tensor mask;
  mnist::Dataset set;      // the same images and labels as a data set, for rungs 2 to 5,
  std::vector<int> order;  // which gather their batch from it, in this order
  stage04::ForwardCache cache;
  mnist::Params grads = mnist::zero_params();
  Tensor dlogits, dfeatures, dconv2, dpool1, dconv1;

  Step() {
    mnist::Rng rng(5);
    for (float& v : images.values()) v = rng.uniform();
    for (int n = 0; n < kBatch; ++n) labels.push_back(static_cast<int>(rng.below(kClasses)));
    mask = stage04::make_dropout_mask(kBatch, rng);
    set = {images.clone(), labels};
    for (int n = 0; n < kBatch; ++n) order.push_back(n);
    cache = stage04::forward_pass(params, images, mask);
    // The intermediate gradients, as backward_pass computes them.
    stage04::softmax_cross_entropy(cache.logits, labels, dlogits);
    stage04::dense_backward(cache.features, params.fc_weight, dlogits, grads.fc_weight,
                            grads.fc_bias, &dfeatures);
    stage04::apply_mask(dfeatures, mask);
    dconv2 = stage04::relu_maxpool2x2_backward_channel_major(cache.conv2_out, pool2_grad());
    stage04::conv2d_backward_channel_major(cache.pool1_out, params.conv2_weight, dconv2,
                                           grads.conv2_weight, grads.conv2_bias, &dpool1);
    dconv1 = stage04::relu_maxpool2x2_backward_channel_major(cache.conv1_out, dpool1);
  }

  /// d(pool2 output) [N,64,5,5]: dfeatures under its unflattened shape.
  Tensor pool2_grad() const {
    return dfeatures.clone().reshaped({kBatch, kConv2Channels, kPool2Size, kPool2Size});
  }
};

Step& step() {
  static Step s;  // built on first use, so --benchmark_list_tests stays instant
  return s;
}

/// The batch's conv2 input and output gradient cut into slices as rungs 2-5 cut it, in the
/// layouts rungs 4 and 5 take: pool1 [n,32,13,13] and channels-last [n,13,13,32], dconv2
/// [64,n,11,11].
struct Conv2Slices {
  std::vector<Tensor> pool1, pool1_cl, dconv2;

  Conv2Slices() {
    const Step& s = step();
    constexpr int n = stage04::kSliceImages, kPixels = kPool1Size * kPool1Size;
    constexpr int kOut = kConv2Size * kConv2Size;
    for (int first = 0; first < kBatch; first += n) {
      Tensor in({n, kConv1Channels, kPool1Size, kPool1Size});
      Tensor in_cl({n, kPool1Size, kPool1Size, kConv1Channels});
      Tensor d({kConv2Channels, n, kConv2Size, kConv2Size});
      const float* from = s.cache.pool1_out.data() + int64_t{first} * kConv1Channels * kPixels;
      std::copy_n(from, in.size(), in.data());
      for (int i = 0; i < n; ++i)
        for (int c = 0; c < kConv1Channels; ++c)
          for (int p = 0; p < kPixels; ++p)
            in_cl[(int64_t{i} * kPixels + p) * kConv1Channels + c] =
                from[(int64_t{i} * kConv1Channels + c) * kPixels + p];
      for (int o = 0; o < kConv2Channels; ++o)
        std::copy_n(s.dconv2.data() + (int64_t{o} * kBatch + first) * kOut, n * kOut,
                    d.data() + int64_t{o} * n * kOut);
      pool1.push_back(std::move(in));
      pool1_cl.push_back(std::move(in_cl));
      dconv2.push_back(std::move(d));
    }
  }
};

Conv2Slices& conv2_slices() {
  static Conv2Slices s;
  return s;
}

/// Registers a benchmark of fn(), which does `flops` of arithmetic on one batch of 128.
template <typename Fn>
void add(const char* name, double flops, Fn fn) {
  benchmark::RegisterBenchmark(name,
                               [=](benchmark::State& state) {
                                 step();
                                 // Untimed: the first call allocates the static caches and
                                 // Adam's moments, which would make the first repetition
                                 // several times slower than the rest.
                                 fn();
                                 for (auto _ : state) fn();
                                 mnist::bench::set_rate_counters(state, flops, kBatch);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

void register_benchmarks() {
  const double B = kBatch;
  const double forward = kForwardFlops * B, train = kTrainFlops * B;

  // The cores' FMA peak (stage 03's roofline loop) just before the training steps: on a
  // shared machine the peak moves from minute to minute, so the steps' share of it is
  // taken against this one, measured in the same run beside them.
  stage03::bench::register_fma_peak("stage04.fma_peak/threads:2", 2);
  // The whole step, and its three parts, as the training loop runs them: one ForwardCache kept from
  // step to step (a fresh one per step would time the page faults of 40 MB of new tensors, as much
  // as the arithmetic on this virtual machine), the forward pass, the backward pass, Adam.
  add("stage04.train_step", train, [] {
    Step& s = step();
    static mnist::Params params = s.params.clone();  // leave the shared weights alone
    static stage04::Adam adam;
    static stage04::ForwardCache cache;
    stage04::forward_pass(params, s.images, s.mask, cache);
    benchmark::DoNotOptimize(
        stage04::backward_pass(params, s.images, cache, s.labels, s.mask, s.grads));
    adam.step(params, s.grads);
  });
  // Rungs 2 to 5, the same step with the threads splitting the batch instead of each layer
  // (batch_parallel_step.h), rung 3 with conv1 and the head fused (fused_slice.h), rung 4
  // with conv2 as implicit GEMMs too (conv2_implicit.h), rung 5 with conv2's backward
  // channels-last (conv2_channels_last.h): as they train, each slice gathering its images
  // and drawing its rows of the dropout mask (batch_source.h), then forward and backward of
  // every slice, the sums and Adam, in one parallel region. (Rung 1's step above is given
  // its batch and mask ready-made: it prepares them before the step.)
  for (const char* name : {"stage04.rung2.train_step", "stage04.rung3.train_step",
                           "stage04.rung4.train_step", "stage04.rung5.train_step"}) {
    const int rung = name[12] - '0';  // the digit after "stage04.rung"
    add(name, train, [rung] {
      Step& s = step();
      static mnist::Params params[4] = {s.params.clone(), s.params.clone(), s.params.clone(),
                                        s.params.clone()};
      static stage04::Adam adam[4];
      static stage04::BatchParallelStep batch_parallel[4] = {
          stage04::BatchParallelStep(2), stage04::BatchParallelStep(3),
          stage04::BatchParallelStep(4), stage04::BatchParallelStep(5)};
      static mnist::Rng dropout[4] = {mnist::Rng(7), mnist::Rng(7), mnist::Rng(7), mnist::Rng(7)};
      const int i = rung - 2;
      const stage04::BatchSource batch{
          .set = s.set, .order = s.order, .begin = 0, .count = kBatch, .dropout = &dropout[i]};
      float loss = 0;
      batch_parallel[i].train_step(params[i], batch, adam[i], loss);
      benchmark::DoNotOptimize(loss);
    });
  }
  // A batch's dropout mask (128 x 1600 draws) on one thread: one generator drawing it in
  // order (rung 1's way), and eight generators side by side, each jumped to its row
  // (dropout_rows.h, as rungs 2 to 5 draw each slice's rows), the jumps included.
  add("stage04.dropout_mask.one_generator", 0, [] {
    static mnist::Rng rng(9);
    static std::vector<float> mask(size_t{kBatch} * kFlat);
    stage04::draw_dropout_mask(mask, rng);
    benchmark::DoNotOptimize(mask.data());
  });
  add("stage04.dropout_mask.eight_generators", 0, [] {
    static mnist::Rng rng(9);
    static const mnist::RngJump row_jump(kFlat);
    static std::vector<float> mask(size_t{kBatch} * kFlat);
    stage04::draw_dropout_rows(mask, kFlat, rng, row_jump);
    benchmark::DoNotOptimize(mask.data());
  });
  // conv2's forward alone, as rungs 4 and 5 run it (implicit GEMM, conv2_implicit.h), slice
  // after slice on one thread.
  add("stage04.rung5.conv2_forward", 2.0 * kConv2Macs * B, [] {
    Conv2Slices& c = conv2_slices();
    static Tensor out;
    for (const Tensor& input : c.pool1) {
      stage04::conv2d_implicit_forward(input, step().params.conv2_weight, step().params.conv2_bias,
                                       out);
    }
    benchmark::DoNotOptimize(out.data());
  });
  // conv2's backward alone, rung 4's and rung 5's, slice after slice on one thread: the
  // change between the two rungs without the rest of the step.
  for (const char* name : {"stage04.rung4.conv2_backward", "stage04.rung5.conv2_backward"}) {
    const bool channels_last = name[12] == '5';  // the digit after "stage04.rung"
    add(name, 4.0 * kConv2Macs * B, [channels_last] {
      Conv2Slices& c = conv2_slices();
      const auto& inputs = channels_last ? c.pool1_cl : c.pool1;
      const auto backward = channels_last ? stage04::conv2d_channels_last_backward
                                          : stage04::conv2d_implicit_backward;
      Tensor dw, db, din;
      for (size_t i = 0; i < inputs.size(); ++i)
        backward(inputs[i], step().params.conv2_weight, c.dconv2[i], dw, db, din);
      benchmark::DoNotOptimize(din.data());
    });
  }
  // Rung 5's fused conv1 (conv1_fused.h), forward and backward, on the whole batch on one
  // thread: bias, ReLU and pooling included, the backward reading its gradient channels-last.
  add("stage04.rung5.conv1_forward", 2.0 * kConv1Macs * B, [] {
    Step& s = step();
    static Tensor pooled, pooled_cl;
    static std::vector<int32_t> winner;
    stage04::conv1_relu_pool_forward(s.images, s.params.conv1_weight, s.params.conv1_bias, pooled,
                                     winner, &pooled_cl);
    benchmark::DoNotOptimize(pooled_cl.data());
  });
  add("stage04.rung5.conv1_backward", 2.0 * kConv1Macs * B, [] {
    Step& s = step();
    static Tensor pooled, pooled_cl, dweight, dbias;
    static std::vector<int32_t> winner;
    if (winner.empty()) {
      stage04::conv1_relu_pool_forward(s.images, s.params.conv1_weight, s.params.conv1_bias, pooled,
                                       winner, &pooled_cl);
    }
    // dpool1 [128,32,13,13] seen channels-last: any values of that size will do for the time.
    static const Tensor dpooled_cl =
        s.dpool1.clone().reshaped({kBatch, kPool1Size, kPool1Size, kConv1Channels});
    stage04::conv1_relu_pool_backward(s.images, winner, dpooled_cl, dweight, dbias,
                                      /*channels_last=*/true);
    benchmark::DoNotOptimize(dweight.data());
  });
  add("stage04.step.forward", forward, [] {
    Step& s = step();
    static stage04::ForwardCache cache;
    stage04::forward_pass(s.params, s.images, s.mask, cache);
    benchmark::DoNotOptimize(cache.logits.data());
  });
  add("stage04.step.backward", train - forward, [] {
    Step& s = step();
    benchmark::DoNotOptimize(
        stage04::backward_pass(s.params, s.images, s.cache, s.labels, s.mask, s.grads));
  });
  add("stage04.step.optimiser", 0, [] {
    Step& s = step();
    static mnist::Params params = s.params.clone();
    static stage04::Adam adam;
    adam.step(params, s.grads);
  });

  // Forward, layer by layer: stage 03's layers, as forward_pass calls them.
  add("stage04.forward.conv1", 2.0 * kConv1Macs * B, [] {
    Step& s = step();
    Tensor t = stage03::conv2d_channel_major(s.images, s.params.conv1_weight, s.params.conv1_bias);
    benchmark::DoNotOptimize(t.data());
  });
  add("stage04.forward.relu_pool1", 0, [] {
    Tensor t = stage03::relu_maxpool2x2_channel_major(step().cache.conv1_out);
    benchmark::DoNotOptimize(t.data());
  });
  add("stage04.forward.conv2", 2.0 * kConv2Macs * B, [] {
    Step& s = step();
    Tensor t = stage03::conv2d_channel_major(s.cache.pool1_out, s.params.conv2_weight,
                                             s.params.conv2_bias);
    benchmark::DoNotOptimize(t.data());
  });
  add("stage04.forward.relu_pool2", 0, [] {
    Tensor t = stage03::relu_maxpool2x2_channel_major(step().cache.conv2_out);
    benchmark::DoNotOptimize(t.data());
  });
  add("stage04.forward.dense", 2.0 * kDenseMacs * B, [] {
    Step& s = step();
    Tensor t = stage03::dense(s.cache.features, s.params.fc_weight, s.params.fc_bias);
    benchmark::DoNotOptimize(t.data());
  });

  // Backward, layer by layer, in the order backward_pass runs them (the convolutions with
  // the forward pass's unfolded inputs, as in training).
  add("stage04.backward.softmax_ce", 0, [] {
    Step& s = step();
    Tensor d;
    benchmark::DoNotOptimize(stage04::softmax_cross_entropy(s.cache.logits, s.labels, d));
  });
  add("stage04.backward.dense", 4.0 * kDenseMacs * B, [] {
    Step& s = step();
    Tensor dw, db, din;
    stage04::dense_backward(s.cache.features, s.params.fc_weight, s.dlogits, dw, db, &din);
    benchmark::DoNotOptimize(din.data());
  });
  add("stage04.backward.relu_pool2", 0, [] {
    Step& s = step();
    Tensor d = stage04::relu_maxpool2x2_backward_channel_major(s.cache.conv2_out, s.pool2_grad());
    benchmark::DoNotOptimize(d.data());
  });
  add("stage04.backward.conv2", 4.0 * kConv2Macs * B, [] {
    Step& s = step();
    Tensor dw, db, din;
    stage04::conv2d_backward_channel_major(s.cache.pool1_out, s.params.conv2_weight, s.dconv2, dw,
                                           db, &din, &s.cache.conv2_columns);
    benchmark::DoNotOptimize(din.data());
  });
  add("stage04.backward.relu_pool1", 0, [] {
    Step& s = step();
    Tensor d = stage04::relu_maxpool2x2_backward_channel_major(s.cache.conv1_out, s.dpool1);
    benchmark::DoNotOptimize(d.data());
  });
  add("stage04.backward.conv1", 2.0 * kConv1Macs * B, [] {
    Step& s = step();
    Tensor dw, db;
    stage04::conv2d_backward_channel_major(s.images, s.params.conv1_weight, s.dconv1, dw, db,
                                           nullptr, &s.cache.conv1_columns);
    benchmark::DoNotOptimize(dw.data());
  });
}

}  // namespace

int main(int argc, char** argv) {
  stage04::keep_freed_memory();  // as the training binary does
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
