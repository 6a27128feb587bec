/// \file
/// \brief Hopper's bulk copy from global to shared memory (device code): one thread asks for
/// whole arrays, the copy engine moves them, and the block waits on a barrier in shared
/// memory that counts the bytes as they land.
///
/// A block that copies its inputs itself spends its threads' instructions on it, and each
/// thread waits on its loads before it can store: the copies of several arrays go out one
/// after another. `cp.async.bulk` (sm_90) hands the copying to the multiprocessor's tensor
/// memory accelerator (TMA; here without a tensor map, as plain byte ranges): one thread
/// issues every copy at once, none of them goes through registers, and the block waits
/// once, on an `mbarrier` told how many bytes to expect. Sizes and addresses must be
/// multiples of 16 bytes.
#pragma once

#include <cstdint>

#include "05_cuda/wgmma_tf32.cuh"  // STAGE05_WGMMA: this compiler pass targets sm_90a

namespace stage05 {

/// A barrier in shared memory that one set of bulk copies completes.
struct BulkCopies {
  uint64_t* barrier;  ///< 8 bytes of shared memory

  /// One thread: sets the barrier up for `bytes` bytes of copies. The block may wait on it
  /// after the next __syncthreads.
  __device__ void expect(uint32_t bytes) const {
#ifdef STAGE05_WGMMA
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(address(barrier)) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(address(barrier)),
                 "r"(bytes)
                 : "memory");
#else
    (void)bytes;
    __trap();  // never reached: set_kernel_attributes() refuses a GPU without sm_90a code
#endif
  }

  /// The same thread: copies `bytes` from global `from` to shared `to`.
  __device__ void copy(void* to, const void* from, uint32_t bytes) const {
#ifdef STAGE05_WGMMA
    asm volatile(
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, "
        "[%3];" ::"r"(address(to)),
        "l"(from), "r"(bytes), "r"(address(barrier))
        : "memory");
#else
    (void)to, (void)from, (void)bytes;
    __trap();
#endif
  }

  /// Every thread: returns once every byte expected has landed (and is visible).
  __device__ void wait() const {
#ifdef STAGE05_WGMMA
    asm volatile(
        "{\n.reg .pred done;\nwaiting:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], 0;\n"
        "@!done bra waiting;\n}\n" ::"r"(address(barrier))
        : "memory");
#else
    __trap();
#endif
  }

 private:
  __device__ static uint32_t address(const void* shared) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(shared));
  }
};

}  // namespace stage05
