#include "04_backprop/dropout_rows.h"

#include <algorithm>
#include <stdexcept>

#include "04_backprop/train_step.h"

namespace stage04 {

void draw_dropout_rows(std::span<float> mask, int row_length, mnist::Rng& rng,
                       const mnist::RngJump& row_jump) {
  if (row_length < 1 || mask.size() % static_cast<size_t>(row_length) != 0 ||
      row_jump.draws() != static_cast<uint64_t>(row_length)) {
    throw std::invalid_argument("draw_dropout_rows: the mask is not whole rows of the jump");
  }
  const int rows = static_cast<int>(mask.size() / static_cast<size_t>(row_length));
  for (int first = 0; first < rows; first += kMaskLanes) {
    const int lanes = std::min(kMaskLanes, rows - first);
    // Lane l starts at row first + l: one jump on from lane l - 1. State word w of every
    // lane sits in s[w], so that each word of the update is one vector operation.
    uint64_t s[4][kMaskLanes] = {};
    mnist::Rng::State state = rng.state();
    for (int l = 0; l < lanes; ++l) {
      if (l > 0) state = row_jump.apply(state);
      for (int w = 0; w < 4; ++w) s[w][l] = state[static_cast<size_t>(w)];
    }
    float* out = mask.data() + static_cast<size_t>(first) * row_length;
    for (int i = 0; i < row_length; ++i) {
#pragma omp simd
      for (int l = 0; l < kMaskLanes; ++l) {  // lanes past `lanes` run on zeros, unused
        const float value = dropout_mask_value(mnist::Rng::step(s[0][l], s[1][l], s[2][l], s[3][l]));
        if (l < lanes) out[l * row_length + i] = value;
      }
    }
    // The last row's generator ends where the one stream ends these rows.
    for (int w = 0; w < 4; ++w) state[static_cast<size_t>(w)] = s[w][lanes - 1];
    rng = mnist::Rng(state);
  }
}

}  // namespace stage04
