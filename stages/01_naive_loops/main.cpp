// Stage 01: classify the MNIST test set with the naive-loop forward pass.
#include "01_naive_loops/forward.h"
#include "common/forward_stage.h"

int main(int argc, char** argv) {
  return mnist::forward_stage_main(
      argc, argv, {"01", "naive loops", "every layer written straight from its definition", false},
      stage01::forward);
}
