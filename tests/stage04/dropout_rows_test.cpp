// dropout_rows.h: a mask's rows drawn eight generators at a time, against the one generator
// drawing them in order (draw_dropout_mask): the same bits, and the generator left in the
// same place, for any number of rows.
#include "04_backprop/dropout_rows.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "04_backprop/train_step.h"
#include "common/network.h"

namespace {

void expect_rows_as_drawn_in_order(int rows, int row_length, uint64_t seed) {
  SCOPED_TRACE(std::to_string(rows) + " rows of " + std::to_string(row_length));
  mnist::Rng serial(seed), lanes(seed);
  serial.next_u64();  // not at the start of the stream
  lanes.next_u64();
  const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(row_length);
  std::vector<float> want(n), got(n);
  stage04::draw_dropout_mask(want, serial);
  stage04::draw_dropout_rows(got, row_length, lanes, mnist::RngJump(row_length));
  EXPECT_EQ(std::memcmp(want.data(), got.data(), n * sizeof(float)), 0);
  EXPECT_EQ(lanes.state(), serial.state());
}

}  // namespace

TEST(DropoutRows, SameMaskAsOneGeneratorForAnyNumberOfRows) {
  // Fewer rows than lanes, exactly one group of lanes, one more, and several groups.
  for (const int rows : {1, 2, 7, 8, 9, 13, 16, 17, 128}) {
    expect_rows_as_drawn_in_order(rows, mnist::net::kFlat, 51 + rows);
  }
}

TEST(DropoutRows, SameMaskForOtherRowLengths) {
  for (const int length : {1, 3, 64}) expect_rows_as_drawn_in_order(11, length, 53);
}

TEST(DropoutRows, RejectsAMaskOfPartRowsOrTheWrongJump) {
  mnist::Rng rng(55);
  std::vector<float> mask(2 * 10 + 3);
  EXPECT_THROW(stage04::draw_dropout_rows(mask, 10, rng, mnist::RngJump(10)),
               std::invalid_argument);
  mask.resize(20);
  EXPECT_THROW(stage04::draw_dropout_rows(mask, 10, rng, mnist::RngJump(9)),
               std::invalid_argument);
}
