#include "00_stoplight/training.h"

#include <cstdio>

namespace stage00 {

TrainLog train(const StepFn& step, bool verbose) {
  TrainLog log;
  log.errors.reserve(kMaxIterations);
  log.seconds.reserve(kMaxIterations);
  mnist::Stopwatch watch;
  for (int it = 1; it <= kMaxIterations; ++it) {
    watch.restart();
    const float error = step();
    log.seconds.push_back(watch.seconds());
    log.errors.push_back(error);
    if (verbose) std::printf("  iteration %4d  error %.6f\n", it, error);
    if (error < kTargetError) break;
  }
  return log;
}

std::string format_us(const mnist::Percentiles& p) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.3f us  p90 %.3f us  p99 %.3f us  (min %.3f, max %.3f)",
                p.p50 * 1e6, p.p90 * 1e6, p.p99 * 1e6, p.min * 1e6, p.max * 1e6);
  return buf;
}

std::string report(const TrainLog& log, const std::array<float, kPatterns>& predictions,
                   const Targets& walk) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "  iterations  %d (%s, final error %.6f)\n", log.iterations(),
                log.converged() ? "error below 0.001" : "stopped at the iteration limit",
                log.errors.empty() ? 0.0 : log.errors.back());
  out += line;
  for (int n = 0; n < kPatterns; ++n) {
    std::snprintf(line, sizeof line, "  lights %.0f%.0f%.0f  prediction %8.5f -> %-4s (want %s)\n",
                  kLights[n][0], kLights[n][1], kLights[n][2], predictions[n],
                  predictions[n] > 0.5f ? "walk" : "stop", walk[n] > 0.5f ? "walk" : "stop");
    out += line;
  }
  out += "  per iteration  " + format_us(mnist::summarize(log.seconds)) + "\n";
  if (!log.seconds.empty()) {
    std::snprintf(line, sizeof line, "  first iteration %.3f us (included above)\n",
                  log.seconds.front() * 1e6);
    out += line;
  }
  return out;
}

}  // namespace stage00
