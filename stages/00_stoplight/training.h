/// \file
/// \brief The training loop both versions share: the stopping rule, the per-iteration timing,
/// and the report they print, so the CPU and the GPU runs differ only in what one step is.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "00_stoplight/stoplight.h"
#include "common/timer.h"

namespace stage00 {

/// Training stops once the mean error falls below this...
inline constexpr float kTargetError = 0.001f;
/// ...or after this many iterations, whichever comes first.
inline constexpr int kMaxIterations = 1000;

/// One gradient-descent step on some device; returns the error its forward pass measured.
using StepFn = std::function<float()>;

/// What a training run did.
struct TrainLog {
  std::vector<float> errors;    ///< the error of every iteration, in order
  std::vector<double> seconds;  ///< wall-clock time of every iteration (steady clock)
  /// Number of iterations run.
  int iterations() const { return static_cast<int>(errors.size()); }
  /// Whether the last error is below kTargetError.
  bool converged() const { return !errors.empty() && errors.back() < kTargetError; }
};

/// Calls step() until its error is below kTargetError or kMaxIterations steps have run,
/// timing each call. With verbose, prints every iteration's error (outside the timed part).
TrainLog train(const StepFn& step, bool verbose);

/// The lines both binaries print at the end: iterations, final error, predictions (and the
/// decision each one means), then the per-iteration time percentiles.
std::string report(const TrainLog& log, const std::array<float, kPatterns>& predictions,
                   const Targets& walk);

/// "p50 0.081 us  p90 ..." : like mnist::format_ms, in microseconds, because one CPU
/// iteration takes well under the 1 us that format_ms's three decimals of a millisecond show.
std::string format_us(const mnist::Percentiles& p);

}  // namespace stage00
