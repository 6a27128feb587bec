#include "04_backprop/col2im.h"

namespace stage04 {

void col2im(const float* columns, int channels, int height, int width, int kernel,
            int64_t row_stride, float* image) {
  const int out_h = height - kernel + 1, out_w = width - kernel + 1;
  const float* row = columns;
  // The loops of im2col, with the copy turned around and `=` turned into `+=`.
  for (int c = 0; c < channels; ++c)
    for (int ky = 0; ky < kernel; ++ky)
      for (int kx = 0; kx < kernel; ++kx, row += row_stride)
        for (int y = 0; y < out_h; ++y) {
          float* pixels = image + (int64_t{c} * height + y + ky) * width + kx;
          const float* from = row + int64_t{y} * out_w;
          for (int x = 0; x < out_w; ++x) pixels[x] += from[x];  // contiguous: vectorises
        }
}

}  // namespace stage04
