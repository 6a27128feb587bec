#include "00_stoplight/numpy_random.h"

namespace stage00 {

NumpyLegacyRandom::NumpyLegacyRandom(uint32_t seed) {
  state_[0] = seed;
  for (int i = 1; i < kStateSize; ++i) {
    const uint32_t previous = state_[i - 1];
    state_[i] = 1812433253u * (previous ^ (previous >> 30)) + static_cast<uint32_t>(i);
  }
}

uint32_t NumpyLegacyRandom::next_u32() {
  constexpr int kShift = 397;  // MT19937's middle word offset
  constexpr uint32_t kMatrix = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
  if (position_ == kStateSize) {  // twist: regenerate all 624 words at once
    for (int i = 0; i < kStateSize; ++i) {
      const uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % kStateSize] & kLower);
      state_[i] = state_[(i + kShift) % kStateSize] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
    }
    position_ = 0;
  }
  uint32_t y = state_[position_++];
  // Tempering: spreads the state's bits over the output.
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double NumpyLegacyRandom::random_sample() {
  const uint32_t a = next_u32() >> 5;  // 27 bits
  const uint32_t b = next_u32() >> 6;  // 26 bits
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

}  // namespace stage00
