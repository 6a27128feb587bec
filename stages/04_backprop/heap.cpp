#include "04_backprop/heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace stage04 {

void keep_freed_memory() {
#if defined(__GLIBC__)
  // Blocks under 64 MB come from the heap (a step's largest tensor is about 18 MB; the
  // 188 MB training set is still mapped on its own), and the heap is only trimmed when
  // over 256 MB of it is free. Setting these also turns off glibc's own adjustment of them.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace stage04
