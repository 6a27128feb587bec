/// \file
/// \brief The GEMM shapes of the network and the GEMM benchmark registrations of
/// stage03_bench (the roofline's are in bench_roofline.h).
///
/// Names a script can find: stage03.gemm/<step>/<shape>/threads:<n>,
/// stage03.openblas/<shape>/threads:<n>.
#pragma once

#include <string>
#include <vector>

namespace stage03::bench {

/// C [M,N] = op(A) [M,K] x op(B) [K,N], as one layer of the network calls it.
struct GemmShape {
  std::string name;  ///< e.g. "conv2", "conv2_dW"
  bool trans_a, trans_b;
  int M, N, K;
};

/// The forward pass's three products on a batch of 128 (B not transposed, as the ladder
/// takes it) and the 1024^3 square that libraries are usually quoted at.
std::vector<GemmShape> ladder_shapes();

/// The products sgemm really runs: the dense layer's (B transposed) and the backward
/// pass's of stage 04 (weight gradients and input gradients, transposed operands).
std::vector<GemmShape> sgemm_shapes();

/// Every step of gemm_ladder() at ladder_shapes(), and sgemm at sgemm_shapes(), each next
/// to OpenBLAS's cblas_sgemm (when the build found it) on 1 and 2 threads. Every benchmark
/// checks its own result against a double-precision reference and fails if it is wrong.
void register_gemm_benchmarks();

}  // namespace stage03::bench
