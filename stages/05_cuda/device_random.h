/// \file
/// \brief Randomness the GPU can compute anywhere, in any order: a shuffle that is a function
/// of the position, and a dropout mask that is a function of (step, element).
///
/// A sequential generator (stage 04's Rng) hands out numbers one after another, so thread
/// 5,000 cannot have its number without the 4,999 before it. A counter-based generator is a
/// hash of (key, counter): every thread computes its own number independently, and the same
/// inputs always give the same output. These functions compile for host and device, so the
/// tests check on the CPU what the kernels compute.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define STAGE05_HOST_DEVICE __host__ __device__
#else
#define STAGE05_HOST_DEVICE
#endif

namespace stage05 {

/// splitmix64's finaliser: a bijective mix of 64 bits in which every input bit affects every
/// output bit (Steele, Lea and Flood, 2014).
STAGE05_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// A key for one purpose and one counter (e.g. the shuffle of epoch 3) from the run's seed.
STAGE05_HOST_DEVICE inline uint64_t derive_key(uint64_t seed, uint64_t purpose, uint64_t counter) {
  return mix64(mix64(seed ^ (purpose * 0x9E3779B97F4A7C15ull)) + counter);
}

/// The key of the dropout mask of global step `step`.
STAGE05_HOST_DEVICE inline uint64_t dropout_key(uint64_t seed, uint64_t step) {
  return derive_key(seed, 1, step);
}

/// 64 bits of the mask with `key`: bit b says whether element 64 * word + b is kept.
STAGE05_HOST_DEVICE inline uint64_t dropout_bits(uint64_t key, uint64_t word) {
  return mix64(key + word);
}

/// Whether inverted dropout (p = 0.5) keeps element `index` of the batch at global step
/// `step`: one random bit. One 64-bit hash gives the bits of 64 consecutive elements.
STAGE05_HOST_DEVICE inline bool dropout_keeps(uint64_t seed, uint64_t step, uint64_t index) {
  return ((dropout_bits(dropout_key(seed, step), index / 64) >> (index % 64)) & 1) != 0;
}

/// A random permutation of 0..n-1 that maps any position to its element in O(1), with no
/// table: positions are encrypted by a small Feistel network over the smallest square power
/// of two >= n (2^(2h) values), and results that land outside 0..n-1 are encrypted again
/// until they land inside ("cycle walking"; fewer than 4 rounds on average, 1.1 for MNIST).
///
/// A Feistel network is a bijection whatever its round function is, and cycle walking keeps
/// a bijection on the smaller range, so every epoch visits every image exactly once. Batch
/// b of an epoch is simply positions b*B .. b*B+B-1: shuffling costs no pass and no memory.
struct ShufflePermutation {
  uint32_t n;     ///< size of the set
  uint32_t half;  ///< h: the Feistel network works on two halves of h bits
  uint64_t key;   ///< from derive_key(seed, 2, epoch): a new order every epoch

  /// The permutation of 0..n-1 for `key`. n must be at least 1.
  static STAGE05_HOST_DEVICE ShufflePermutation make(uint32_t n, uint64_t key) {
    uint32_t half = 1;
    while ((uint64_t{1} << (2 * half)) < n) ++half;
    return {n, half, key};
  }

  /// The element at `position` (0..n-1).
  STAGE05_HOST_DEVICE uint32_t operator()(uint32_t position) const {
    uint32_t x = position;
    do {
      x = encrypt(x);
    } while (x >= n);
    return x;
  }

  /// One pass of the Feistel network: a bijection of 0 .. 2^(2h)-1.
  STAGE05_HOST_DEVICE uint32_t encrypt(uint32_t x) const {
    const uint32_t mask = (1u << half) - 1;
    uint32_t left = x >> half, right = x & mask;
    for (uint32_t round = 0; round < 4; ++round) {
      const uint32_t f = static_cast<uint32_t>(mix64(key + (uint64_t{round} << 32) + right)) & mask;
      const uint32_t next = left ^ f;
      left = right;
      right = next;
    }
    return (left << half) | right;
  }
};

}  // namespace stage05
