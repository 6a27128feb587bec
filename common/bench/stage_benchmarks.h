/// \file
/// \brief The benchmarks every forward stage runs, registered from one place.
///
/// Each stage's bench.cpp hands over its layer functions; this registers conv1, conv2,
/// dense and the whole forward pass on a batch (default 128), and the 10,000-image test
/// set, each with GFLOP/s and images/s counters. The same shapes for every stage make the
/// numbers comparable across stages.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>

#include "common/evaluate.h"
#include "common/rng.h"
#include "common/tensor.h"

namespace mnist::bench {

/// A convolution or dense layer: output for (input, weight, bias).
using LayerFn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

/// What a stage offers to benchmark.
struct StageBenchSpec {
  std::string stage;     ///< prefix of every benchmark name, e.g. "stage01"
  ForwardFn forward;     ///< the whole network
  LayerFn conv;          ///< conv + bias (the stage's own; ReLU not included)
  LayerFn dense;         ///< dense + bias
  int batch = 128;       ///< images per forward call
  bool test_set = true;  ///< also time the 10,000-image test set (needs `make data`)
};

/// Sets GFLOP/s and images/s rate counters from the work done in one iteration.
void set_rate_counters(benchmark::State& state, double flops_per_iteration,
                       double images_per_iteration);

using mnist::random_tensor;  // common/rng.h

/// Registers stage.conv1, stage.conv2, stage.dense, stage.forward and stage.test_set.
void register_stage_benchmarks(const StageBenchSpec& spec);

}  // namespace mnist::bench
