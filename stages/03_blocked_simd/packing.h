/// \file
/// \brief Packing: copy a block of A or B into the exact order the micro-kernel reads it.
///
/// The micro-kernel walks k and wants, at every step, mr consecutive floats of A and nr
/// consecutive floats of B. Packing copies a block once into that order (slivers of mr
/// rows of A, nr columns of B, zero-padded at the edges), so the hot loop reads memory
/// strictly in sequence, whatever the strides or transposes of the original matrices.
/// The copy costs O(rows*k) and is reused for O(rows*k*cols) multiply-adds.
#pragma once

#include <cstdint>

namespace stage03 {

/// A read-only matrix seen through strides: element (i, j) is data[i*rs + j*cs]. A row-major
/// matrix with row stride ld is {data, ld, 1}; its transpose is {data, 1, ld}.
struct MatrixView {
  const float* data;  ///< element (0, 0)
  int64_t rs;         ///< distance between rows
  int64_t cs;         ///< distance between columns
  /// The view of the block starting at (i, j).
  MatrixView at(int i, int j) const { return {data + i * rs + j * cs, rs, cs}; }
  /// The same data read as its transpose.
  MatrixView transposed() const { return {data, cs, rs}; }
};

/// A writable matrix seen through strides: element (i, j) is data[i*rs + j*cs].
struct OutView {
  float* data;  ///< element (0, 0)
  int64_t rs;   ///< distance between rows
  int64_t cs;   ///< distance between columns
  /// Element (i, j).
  float& operator()(int i, int j) const { return data[i * rs + j * cs]; }
  /// The same data written as its transpose.
  OutView transposed() const { return {data, cs, rs}; }
};

/// The packing buffers a thread keeps: for A's block, B's panel, and the skinny path's copy.
enum class PackingBuffer { a, b, skinny };

/// A 64-byte aligned buffer of at least `floats` floats, one of each kind per calling thread,
/// that only grows: packing buffers are reused from call to call instead of being allocated,
/// and page-faulted in, every time. Its contents are whatever the last user left there.
float* packing_buffer(PackingBuffer which, int64_t floats);

/// Packs the mc x kc block of A into slivers of mr rows: sliver s holds, for each p, the
/// mr floats A(s*mr + i, p) for i < mr (zero past row mc); out holds ceil(mc/mr)*mr*kc floats.
void pack_a(const MatrixView& A, int mc, int kc, int mr, float* out);

/// Packs the kc x nc block of B into slivers of nr columns: sliver s holds, for each p, the
/// nr floats B(p, s*nr + j) for j < nr (zero past column nc); out holds kc*ceil(nc/nr)*nr floats.
void pack_b(const MatrixView& B, int kc, int nc, int nr, float* out);

}  // namespace stage03
