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
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() {
  return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f;
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

}  // namespace mnist
