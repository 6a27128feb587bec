// Stage 02: classify the MNIST test set with convolution as im2col + a plain GEMM.
#include "02_im2col/forward.h"
#include "common/forward_stage.h"

int main(int argc, char** argv) {
  return mnist::forward_stage_main(
      argc, argv,
      {"02", "im2col + GEMM", "convolution unfolded (im2col) into one plain matrix product", false},
      stage02::forward);
}
