/// \file
/// \brief Byte-level builders for malformed files: IDX headers and safetensors containers.
///
/// The hardening tests and the bad-file generator write broken files byte by byte, so that
/// a bug in the project's own writers cannot hide a bug in its readers.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnist::hardening {

/// IDX header bytes: the magic (0, 0, type, rank) and the big-endian dimensions.
inline std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string h = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) h += static_cast<char>((d >> shift) & 0xFF);
  }
  return h;
}

/// A safetensors file: the header length as u64 little-endian, the header text, the data.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

/// The whole content of a file ("" if it cannot be read).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// Writes bytes to path, replacing what was there.
inline void put_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// gzip-compresses bytes with zlib directly (not through the project's writer).
inline std::string gzip(const std::string& bytes) {
  z_stream s{};
  // windowBits 15 + 16: a gzip wrapper rather than a zlib one.
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&s, bytes.size()), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int r = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  if (r != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

}  // namespace mnist::hardening
