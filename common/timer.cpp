#include "common/timer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mnist {

double percentile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (rank - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

Percentiles summarize(std::vector<double> samples) {
  Percentiles p;
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  p.count = static_cast<int>(samples.size());
  p.min = samples.front();
  p.max = samples.back();
  p.p50 = percentile(samples, 0.50);
  p.p90 = percentile(samples, 0.90);
  p.p99 = percentile(samples, 0.99);
  return p;
}

std::string format_ms(const Percentiles& p) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (min %.3f, max %.3f)",
                p.p50 * 1e3, p.p90 * 1e3, p.p99 * 1e3, p.min * 1e3, p.max * 1e3);
  return buf;
}

}  // namespace mnist
