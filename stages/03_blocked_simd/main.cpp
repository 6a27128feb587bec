// Stage 03: classify the MNIST test set with the blocked, vectorised, threaded GEMM.
#include "03_blocked_simd/forward.h"
#include "03_blocked_simd/kernel_dispatch.h"
#include "common/cli.h"
#include "common/forward_stage.h"

int main(int argc, char** argv) {
  // run_main turns a bad MNIST_GEMM_KERNEL into one `error:` line, like a bad flag.
  return mnist::run_main([&] {
    return mnist::forward_stage_main(
        argc, argv,
        {"03", "blocked SIMD GEMM",
         "one batch-wide GEMM per layer on a packed, vectorised, threaded sgemm"},
        stage03::forward, stage03::describe_selected_kernel());
  });
}
