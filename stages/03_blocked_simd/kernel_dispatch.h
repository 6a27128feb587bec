/// \file
/// \brief Which micro-kernel runs: chosen at run time from what the CPU can do.
///
/// The binary is built once and carries every kernel its compiler can emit; CPUID decides
/// at start-up. A build for a CPU without AVX2 (or not x86 at all) still has the portable
/// kernel, so the code runs, and passes the tests, everywhere.
#pragma once

#include <string>
#include <vector>

#include "03_blocked_simd/microkernel.h"

namespace stage03 {

/// The kernels this build has AND this CPU can run, fastest first; portable is always last.
std::vector<const MicroKernel*> available_kernels();

/// The kernel sgemm uses: the first of available_kernels(), unless the environment variable
/// MNIST_GEMM_KERNEL names another (portable, avx2, avx512). Chosen once, on first use.
/// Throws std::runtime_error naming the variable for an unknown or unavailable kernel.
const MicroKernel& selected_kernel();

/// One line for a binary's header, e.g.
/// "  gemm      avx512 micro-kernel (8x32 tile), chosen at run time; available: avx512 avx2
/// portable".
std::string describe_selected_kernel();

}  // namespace stage03
