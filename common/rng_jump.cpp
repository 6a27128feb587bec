#include "common/rng_jump.h"

#include <bit>

namespace mnist {

namespace {

using Row = RngJump::Row;
using Matrix = RngJump::Matrix;

bool bit(const Row& row, int i) {
  return (row[i / 64] >> (i % 64)) & 1;
}
void set_bit(Row& row, int i) {
  row[i / 64] |= uint64_t{1} << (i % 64);
}

Matrix identity() {
  Matrix m{};
  for (int i = 0; i < 256; ++i) set_bit(m[i], i);
  return m;
}

/// The matrix of one draw, read off the generator itself rather than written out from its
/// code: column j is where one draw takes the state whose only set bit is bit j (a linear
/// map is known once it is known on every unit vector).
Matrix one_draw() {
  Matrix m{};
  for (int j = 0; j < 256; ++j) {
    Rng::State unit{};
    set_bit(unit, j);
    Rng rng(unit);
    rng.next_u64();
    for (int i = 0; i < 256; ++i) {
      if (bit(rng.state(), i)) set_bit(m[i], j);
    }
  }
  return m;
}

/// All ones when bit i of row is set, else zero: a mask that selects without a branch (a
/// branch on random bits is mispredicted half the time, and made jumps several times slower).
uint64_t all_if(const Row& row, int i) {
  return uint64_t{0} - ((row[i / 64] >> (i % 64)) & 1);
}

/// The product a * b: the map that applies b, then a. Row i of it is the xor of the rows of
/// b that row i of a selects.
Matrix product(const Matrix& a, const Matrix& b) {
  Matrix c{};
  for (int i = 0; i < 256; ++i) {
    for (int j = 0; j < 256; ++j) {
      const uint64_t take = all_if(a[i], j);
      for (int w = 0; w < 4; ++w) c[i][w] ^= b[j][w] & take;
    }
  }
  return c;
}

}  // namespace

RngJump::RngJump(uint64_t n) : matrix_(identity()), draws_(n) {
  // Square-and-multiply: `power` runs through M, M^2, M^4, ...; those whose bit is set in
  // n are multiplied in. Powers of one matrix commute, so their order does not matter.
  Matrix power = one_draw();
  for (uint64_t rest = n; rest != 0; rest >>= 1) {
    if (rest & 1) matrix_ = product(power, matrix_);
    if (rest > 1) power = product(power, power);
  }
}

Rng::State RngJump::apply(const Rng::State& state) const {
  // Bit i of the new state: the parity of the old bits that row i selects (set without a
  // branch, for the reason all_if gives).
  Rng::State out{};
  for (int i = 0; i < 256; ++i) {
    const Row& row = matrix_[static_cast<size_t>(i)];
    int ones = 0;
    for (int w = 0; w < 4; ++w) ones += std::popcount(row[w] & state[w]);
    out[i / 64] |= static_cast<uint64_t>(ones & 1) << (i % 64);
  }
  return out;
}

}  // namespace mnist
