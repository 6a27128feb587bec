#include "03_blocked_simd/kernel_dispatch.h"

#include <cstdlib>
#include <stdexcept>

namespace stage03 {

#if !defined(MNIST_X86_KERNELS)
// Not an x86-64 build: only the portable kernel exists.
const MicroKernel* avx2_kernel() {
  return nullptr;
}
const MicroKernel* avx512_kernel() {
  return nullptr;
}
#endif

std::vector<const MicroKernel*> available_kernels() {
  std::vector<const MicroKernel*> kernels;
#if defined(MNIST_X86_KERNELS)
  // __builtin_cpu_supports reads CPUID (and checks that the OS saves the wide registers).
  if (__builtin_cpu_supports("avx512f")) kernels.push_back(avx512_kernel());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    kernels.push_back(avx2_kernel());
#endif
  kernels.push_back(&portable_kernel());
  return kernels;
}

namespace {
const MicroKernel& choose_kernel() {
  const std::vector<const MicroKernel*> kernels = available_kernels();
  const char* wanted = std::getenv("MNIST_GEMM_KERNEL");
  if (wanted == nullptr || *wanted == '\0') return *kernels.front();
  for (const MicroKernel* k : kernels)
    if (std::string(k->name) == wanted) return *k;
  std::string names;
  for (const MicroKernel* k : kernels) names += std::string(" ") + k->name;
  throw std::runtime_error("MNIST_GEMM_KERNEL=" + std::string(wanted) +
                           ": not a kernel this build and CPU can run (available:" + names + ")");
}
}  // namespace

const MicroKernel& selected_kernel() {
  static const MicroKernel& kernel = choose_kernel();  // thread-safe, runs once
  return kernel;
}

std::string describe_selected_kernel() {
  const MicroKernel& k = selected_kernel();
  std::string names;
  for (const MicroKernel* a : available_kernels()) names += std::string(" ") + a->name;
  return "  gemm      " + std::string(k.name) + " micro-kernel (" + std::to_string(k.mr) + "x" +
         std::to_string(k.nr) + " tile), chosen at run time; available:" + names +
         " (MNIST_GEMM_KERNEL picks one)";
}

}  // namespace stage03
