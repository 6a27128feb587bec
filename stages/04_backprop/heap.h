/// \file
/// \brief Keep freed memory for reuse instead of returning it to the operating system.
#pragma once

namespace stage04 {

/// Tells the C library's allocator to keep large freed blocks in the process.
///
/// Every training step allocates and frees the same tensors again, some of them 10-20 MB.
/// By default glibc serves blocks that large straight from the operating system (mmap) and
/// hands them back when freed, so each step pays again for the kernel to map and zero
/// every page, which can make a step several times slower than its arithmetic. After this call such blocks come from the heap and are reused, the
/// way a framework's caching allocator does it. Call it once, at the start of main(); it
/// does nothing where the C library is not glibc.
void keep_freed_memory();

}  // namespace stage04
