/// \file
/// \brief numpy's legacy generator (np.random.seed / np.random.random), bit for bit, so
/// that stage 00 can start from the very weights the original stoplight.py draws.
#pragma once

#include <array>
#include <cstdint>

namespace stage00 {

/// MT19937 seeded as `np.random.seed(seed)` seeds it, and doubles drawn as
/// `np.random.random()` draws them (numpy's legacy RandomState, which seeded programs
/// written before numpy 1.17 use, and which numpy keeps unchanged for them).
class NumpyLegacyRandom {
 public:
  /// The state after np.random.seed(seed): Matsumoto and Nishimura's init_genrand.
  explicit NumpyLegacyRandom(uint32_t seed);

  /// The next np.random.random(): a uniform double in [0, 1) with 53 random bits, the top
  /// 27 bits of one 32-bit draw and the top 26 of the next: (a * 2^26 + b) / 2^53.
  double random_sample();

  /// The next raw 32-bit MT19937 output.
  uint32_t next_u32();

 private:
  static constexpr int kStateSize = 624;
  std::array<uint32_t, kStateSize> state_{};
  int position_ = kStateSize;  // the whole state is regenerated on the first draw
};

}  // namespace stage00
