/// \file
/// \brief RngJump: moves an Rng n draws ahead without drawing them.
///
/// Why a generator can skip ahead. One draw of xoshiro256** changes its 256-bit state with
/// xors, shifts and rotations only, and each of those makes every bit of the new state the
/// xor of some bits of the old one. Read bits as numbers modulo 2 (xor is their
/// addition), and the update is a linear map: a 256 x 256 matrix of bits, M, times the
/// state. (The multiplications by 5 and 9 are not linear, but they only make the output
/// from the state; nothing of them feeds back into it.) n draws are then M^n, and M^n does
/// not take n products: square M again and again (M^2, M^4, M^8, ...) and multiply together
/// the powers whose bit is set in n, at most 2 log2(n) products.
///
/// What a jump costs. A matrix product is 256 x 256 xors of a selected 256-bit row, about
/// as long as ten thousand draws, and the jump over n draws takes up to 2 log2(n) of them:
/// building one pays when n is large, or when one matrix serves many jumps. Applying a
/// built matrix to a state is 256 parities of 256 bits, about as long as a hundred draws.
/// Stage 04 builds the matrix over one slice's rows of the dropout mask (8 x 1600 draws)
/// once, and applies it once a slice, about 1% of the slice's own draws: every slice then
/// draws its rows in parallel, and gets exactly the numbers the one serial stream would
/// have given it.
///
/// (The authors of xoshiro publish fixed jumps of 2^128 and 2^192 draws, to give threads
/// streams that never overlap. Those cannot reach draw number n, which is what a slice
/// needs to continue one stream.)
#pragma once

#include <array>
#include <cstdint>

#include "common/rng.h"

namespace mnist {

/// The jump of an Rng over a fixed number of draws.
class RngJump {
 public:
  /// The jump over n draws (n = 0 leaves a generator where it is). Builds M^n: at most
  /// 2 log2(n) matrix products.
  explicit RngJump(uint64_t n);

  /// The number of draws this jump skips.
  uint64_t draws() const { return draws_; }

  /// The state that draws() calls of next_u64() would leave, starting from `state`.
  Rng::State apply(const Rng::State& state) const;
  /// Moves rng on by draws(), as that many calls of next_u64() would.
  void apply(Rng& rng) const { rng = Rng(apply(rng.state())); }

  /// One row of bits of a matrix: bit b of word w is column 64*w + b.
  using Row = std::array<uint64_t, 4>;
  /// A 256 x 256 matrix of bits: row i says which bits of the old state are xor-ed into bit
  /// i of the new one (bit i is bit i % 64 of word i / 64).
  using Matrix = std::array<Row, 256>;

 private:
  Matrix matrix_;
  uint64_t draws_;
};

}  // namespace mnist
