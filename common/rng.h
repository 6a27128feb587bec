/// \file
/// \brief Rng: a small, portable, seeded random generator (xoshiro256**).
///
/// Why not std::mt19937 with std::uniform_real_distribution? The engine is portable but
/// the distributions are not: libstdc++ and libc++ turn the same bits into different floats.
/// Everything here is written out, so the same seed gives the same numbers on every machine,
/// which is what makes initialisation, shuffling and dropout masks repeatable.
#pragma once

#include <cstdint>
#include <span>

namespace mnist {

/// xoshiro256** seeded through splitmix64 (Blackman and Vigna).
class Rng {
 public:
  /// A generator whose whole sequence is fixed by seed.
  explicit Rng(uint64_t seed);

  /// 64 uniformly random bits.
  uint64_t next_u64();
  /// Uniform float in [0, 1), 24 random bits (every float32 in range is a multiple of 2^-24).
  float uniform();
  /// Uniform float in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), without modulo bias. n must be positive.
  uint32_t below(uint32_t n);

 private:
  uint64_t s_[4];
};

/// Fisher-Yates shuffle of `items` driven by rng (portable, unlike std::shuffle).
void shuffle(std::span<int> items, Rng& rng);

}  // namespace mnist
