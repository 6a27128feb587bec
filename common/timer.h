/// \file
/// \brief Wall-clock timing with a steady clock, and percentile summaries of many timings.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace mnist {

/// Measures elapsed wall-clock time from construction or the last restart().
class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  /// Starts measuring again from now.
  void restart() { start_ = Clock::now(); }
  /// Seconds since start.
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;  // never jumps, unlike the system clock
  Clock::time_point start_;
};

/// The shape of a distribution of timings, the way a benchmark report gives it.
struct Percentiles {
  double min = 0;  ///< fastest sample
  double p50 = 0;  ///< median: half the samples are faster
  double p90 = 0;  ///< 90% of the samples are faster
  double p99 = 0;  ///< 99% are faster: the tail a user notices
  double max = 0;  ///< slowest sample
  int count = 0;   ///< number of samples
};

/// Value at fraction q (0..1) of the sorted samples, interpolating linearly between ranks.
double percentile(std::span<const double> sorted, double q);

/// min, p50, p90, p99 and max of samples (any order; empty gives all zeros).
Percentiles summarize(std::vector<double> samples);

/// "p50 1.23 ms  p90 1.40 ms  p99 2.01 ms  (min 1.10, max 2.30)": seconds shown in ms.
std::string format_ms(const Percentiles& p);

}  // namespace mnist
