#include "02_im2col/im2col.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace stage02 {

void im2col(const float* image, int channels, int height, int width, int kernel, float* columns) {
  im2col(image, channels, height, width, kernel, columns,
         int64_t{height - kernel + 1} * (width - kernel + 1));
}

void im2col(const float* image, int channels, int height, int width, int kernel, float* columns,
            int64_t row_stride) {
  const int OH = height - kernel + 1, OW = width - kernel + 1;
  if (channels < 1 || kernel < 1 || OH < 1 || OW < 1 || row_stride < int64_t{OH} * OW) {
    throw std::invalid_argument("im2col: kernel " + std::to_string(kernel) + " does not fit a " +
                                std::to_string(channels) + "x" + std::to_string(height) + "x" +
                                std::to_string(width) + " image (or row stride too small)");
  }
  float* row = columns;
  for (int c = 0; c < channels; ++c)
    for (int ky = 0; ky < kernel; ++ky)
      for (int kx = 0; kx < kernel; ++kx, row += row_stride)
        // For a fixed (c, ky, kx), output row y reads input row y+ky from column kx on:
        // OW contiguous floats, so each piece is one memcpy.
        for (int y = 0; y < OH; ++y)
          std::memcpy(row + int64_t{y} * OW, image + (int64_t{c} * height + y + ky) * width + kx,
                      sizeof(float) * OW);
}

}  // namespace stage02
