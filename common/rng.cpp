#include "common/rng.h"

#include <utility>

namespace mnist {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint32_t Rng::below(uint32_t n) {
  // Lemire's multiply-shift with rejection of the short final interval.
  uint64_t m = (next_u64() >> 32) * n;
  if (static_cast<uint32_t>(m) < n) {
    const uint32_t threshold = static_cast<uint32_t>(-n) % n;
    while (static_cast<uint32_t>(m) < threshold) m = (next_u64() >> 32) * n;
  }
  return static_cast<uint32_t>(m >> 32);
}

void shuffle(std::span<int> items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = rng.below(static_cast<uint32_t>(i));
    std::swap(items[i - 1], items[j]);
  }
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  Rng rng(seed);
  for (float& v : t.values()) v = rng.uniform(-1.0f, 1.0f);
  return t;
}

}  // namespace mnist
