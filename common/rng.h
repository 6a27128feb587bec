/// \file
/// \brief Rng: a small, portable, seeded random generator (xoshiro256**).
///
/// Why not std::mt19937 with std::uniform_real_distribution? The engine is portable but
/// the distributions are not: libstdc++ and libc++ turn the same bits into different floats.
/// Everything here is written out, so the same seed gives the same numbers on every machine,
/// which is what makes initialisation, shuffling and dropout masks repeatable.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

#include "common/tensor.h"

namespace mnist {

/// xoshiro256** seeded through splitmix64 (Blackman and Vigna).
class Rng {
 public:
  /// The generator's whole state: 256 bits, as four words.
  using State = std::array<uint64_t, 4>;

  /// A generator whose whole sequence is fixed by seed.
  explicit Rng(uint64_t seed);
  /// A generator that continues from `state`, as state() gave it (or as rng_jump.h moved it).
  explicit Rng(const State& state) : s_(state) {}

  /// Where the generator stands: Rng(state()) draws what this one would draw next.
  const State& state() const { return s_; }

  /// 64 uniformly random bits. (Defined here, not in rng.cpp, so that it inlines into the
  /// loops that draw millions of numbers, such as stage 04's dropout masks.)
  uint64_t next_u64() { return step(s_[0], s_[1], s_[2], s_[3]); }
  /// One draw of xoshiro256** from a state held as four loose words: returns the 64 bits and
  /// moves the words on. next_u64() is this on the generator's own state; a loop over
  /// several states at once (stage 04's dropout_rows.h) calls it on each, and the compiler
  /// turns the loop into vector instructions.
  static uint64_t step(uint64_t& s0, uint64_t& s1, uint64_t& s2, uint64_t& s3) {
    const uint64_t result = std::rotl(s1 * 5, 7) * 9;
    const uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = std::rotl(s3, 45);
    return result;
  }
  /// Uniform float in [0, 1), 24 random bits (every float32 in range is a multiple of 2^-24).
  float uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  /// Uniform float in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), without modulo bias. n must be positive.
  uint32_t below(uint32_t n);

 private:
  State s_;
};

/// Fisher-Yates shuffle of `items` driven by rng (portable, unlike std::shuffle).
void shuffle(std::span<int> items, Rng& rng);

/// A tensor of the given shape filled with U(-1, 1) numbers from Rng(seed): the inputs of the
/// tests and benchmarks (never zeros: zeros can hide wrong indexing and run faster than real
/// data).
Tensor random_tensor(const Shape& shape, uint64_t seed);

}  // namespace mnist
