/// \file
/// \brief A dropout mask's rows drawn eight at a time: eight copies of the generator, each
/// started at its own row, side by side in the vector registers.
///
/// One generator is a chain: every draw needs the state the draw before it left, so the
/// core waits a few cycles for each number and its vector unit has nothing to do. The rows
/// of a mask are stretches of one stream that do not depend on each other (row r is draws
/// r * row_length onward), so eight generators, each jumped to the start of its row
/// (rng_jump.h), draw exactly the numbers the one generator would, and one step of all
/// eight is a handful of vector instructions (Rng::step on each lane of a loop the compiler
/// vectorizes). With the seven jumps included, a slice's eight rows take about a fifth of
/// the time of drawing them one after the other.
#pragma once

#include <span>

#include "common/rng.h"
#include "common/rng_jump.h"

namespace stage04 {

/// Rows of generators drawn side by side.
constexpr int kMaskLanes = 8;

/// draw_dropout_mask(mask, rng) for a mask of whole rows of `row_length` values, drawn
/// kMaskLanes rows at a time: the same values, and rng left where that call leaves it.
/// row_jump must be the jump over row_length draws.
void draw_dropout_rows(std::span<float> mask, int row_length, mnist::Rng& rng,
                       const mnist::RngJump& row_jump);

}  // namespace stage04
