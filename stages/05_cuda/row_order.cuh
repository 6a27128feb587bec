/// \file
/// \brief Which output each row of a tensor-core tile computes, chosen at compile time so
/// that a warp's A-fragment loads from shared memory fall in 32 different banks.
///
/// In an m16n8k8 A fragment, lane (g, q) = (lane / 4, lane % 4) holds row g (and g + 8) at
/// columns q and q + 4, so one load instruction reads 8 rows x 4 columns. When a row is an
/// output whose inputs are gathered from an image in shared memory (a pooling window's
/// patch in pool1, a pool1 position's taps in the output-gradient planes), lane (g, q)
/// reads start(row g) + q * column_stride + (the same offset for every lane). The 32
/// addresses fall in 32 banks only if the 8 rows' starts leave room for each other, and in
/// their natural order they often do not: rung 4's conv2 forward read its A fragments at
/// 1.75 shared-memory wavefronts per load on average, its input gradient at 1.55, where 1
/// is the least.
///
/// Any order of the outputs over the rows computes the same sums (each row is its own dot
/// product), so the kernels take their rows in the order order_rows() chooses: a greedy
/// pass that puts each output into the first group of 8 rows whose banks it does not share.
/// That made every forward A load conflict-free, and all but one group of the input
/// gradient's (23 of its 169 positions share one bank pattern, and there are 22 groups).
#pragma once

#include <cstdint>

namespace stage05::tc {

/// Row r of the tiles computes output[r]; a padding row (past the last output) holds
/// -1 - o and repeats output o's loads, o being of its own group of 8, so its addresses add
/// no bank conflict (lanes that read the same word share one read).
template <int kRows>
struct RowOrder {
  int16_t output[kRows];  ///< per row: its output, or -1 - o for a padding row
};

/// The order for kOutputs outputs over kRows rows (whole groups of 8). banks(o, q) is the
/// shared-memory word lane q of output o's row reads, up to an offset common to all lanes.
template <int kRows, int kOutputs, typename Banks>
constexpr RowOrder<kRows> order_rows(Banks banks) {
  static_assert(kRows % 8 == 0 && kOutputs <= kRows, "whole groups of 8 rows, enough of them");
  constexpr int kGroups = kRows / 8;
  RowOrder<kRows> order{};
  int count[kGroups] = {};
  uint32_t taken[kGroups] = {};  // bit b: a row of the group so far reads bank b
  for (int o = 0; o < kOutputs; ++o) {
    uint32_t mine = 0;
    for (int q = 0; q < 4; ++q) mine |= 1u << (banks(o, q) % 32);
    int group = -1;
    for (int g = 0; g < kGroups && group < 0; ++g) {
      if (count[g] < 8 && (taken[g] & mine) == 0) group = g;
    }
    // No group has all four banks free: the first with a row left takes it, conflict and all.
    for (int g = 0; g < kGroups && group < 0; ++g) {
      if (count[g] < 8) group = g;
    }
    order.output[group * 8 + count[group]++] = static_cast<int16_t>(o);
    taken[group] |= mine;
  }
  for (int g = 0; g < kGroups; ++g) {
    const int repeated = count[g] > 0 ? order.output[g * 8] : 0;
    for (int r = count[g]; r < 8; ++r)
      order.output[g * 8 + r] = static_cast<int16_t>(-1 - repeated);
  }
  return order;
}

/// What row r computes, as (the output whose addresses it reads, whether its sums are kept).
template <int kRows>
__device__ inline int row_output(const RowOrder<kRows>& order, int r, bool& kept) {
  const int o = order.output[r];
  kept = o >= 0;
  return kept ? o : -1 - o;
}

}  // namespace stage05::tc
