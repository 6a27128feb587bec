/// \file
/// \brief The winner code of a ReLU + 2x2 max pooling window, shared by the fused pools of
/// rungs 3 to 5 (conv1_fused.h, pool2_winners.h): which of the four positions passes the
/// window's gradient back, found once in the forward pass.
#pragma once

#include <cstdint>

namespace stage04 {

/// The code of a window whose maximum was not positive: ReLU lets no gradient through.
constexpr int32_t kNoGradient = 4;

/// The code of a window whose maximum is `max`, given its top-left a0, top-right a1 and
/// bottom-left a2: the first position in reading order that holds the maximum (0 to 2, or
/// 3, the bottom-right, when none of those does), as rung 1 picks it, or kNoGradient where
/// max <= 0. Counted and masked rather than chosen with branches or `?:`: the loops that
/// call this vectorise, but a row of pool2 holds 5 windows, and the one the vectors leave
/// over runs as scalar code, where GCC 12 turned selects into branches that the random
/// winners mispredict (measured: the pool2 forward 1.6 times as slow as without codes).
inline int32_t pool_winner(float a0, float a1, float a2, float max) {
  // past_i: the maximum lies past position i. The code counts the positions it lies past.
  const bool past0 = a0 != max, past1 = past0 && a1 != max, past2 = past1 && a2 != max;
  const int32_t code = int32_t{past0} + int32_t{past1} + int32_t{past2};
  const int32_t open = -int32_t{max > 0.0f};  // all ones where ReLU lets the gradient through
  return (code & open) | (kNoGradient & ~open);
}

}  // namespace stage04
