/// \file
/// \brief IDX files (the format MNIST ships in): read and write, raw or gzip-compressed.
///
/// An IDX file is a 4-byte magic (0, 0, element type, rank), `rank` big-endian uint32
/// dimensions, then the elements in row-major order, big-endian.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace mnist {

/// The IDX element types this project reads and writes.
enum class IdxType : uint8_t {
  u8 = 0x08,   ///< unsigned byte (MNIST images and labels)
  f32 = 0x0D,  ///< IEEE float32
};

/// The contents of an IDX file, elements converted to host byte order.
struct IdxArray {
  IdxType type = IdxType::u8;  ///< element type
  std::vector<int> dims;       ///< dimensions, outermost first
  std::vector<uint8_t> u8;     ///< elements when type == u8
  std::vector<float> f32;      ///< elements when type == f32
  int rows_in_file = 0;        ///< dims[0] as the file declares it (read_idx may read fewer)

  /// Number of elements the dims describe.
  int64_t count() const;
};

/// Reads an IDX file; a gzip file (whatever its name) is decompressed on the fly and must be
/// complete (see InputFile).
///
/// Throws std::runtime_error naming the file for: a missing or unreadable file (with the
/// system's reason), an empty file, a truncated header, a wrong magic, an unsupported
/// element type, fewer or more elements than the header claims, or a damaged gzip stream.
/// The payload is read in bounded chunks, so a header that lies about its size fails at the
/// end of the real data instead of allocating what it claims.
///
/// `max_rows` > 0 reads only the first max_rows entries of the outermost dimension (dims[0]
/// becomes at most max_rows; rows_in_file keeps the declared count) and stops reading
/// there, so memory and time follow what was asked, not what the header declares. The
/// rest of the file, a gzip trailer included, is then not checked.
IdxArray read_idx(const std::filesystem::path& path, int max_rows = 0);

/// Writes an IDX file atomically; compressed with gzip when the name ends in .gz.
void write_idx(const std::filesystem::path& path, const IdxArray& array);

}  // namespace mnist
