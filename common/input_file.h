/// \file
/// \brief Read a file's bytes in order, gunzipping on the way when it is gzip.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace mnist {

/// A file opened for reading, raw or gzip (recognised by its first two bytes, 1f 8b).
///
/// A gzip file must be complete: every member ends with its trailer (CRC-32 and size, both
/// checked), and nothing but another gzip member may follow, as `gzip -d` reads a
/// concatenation of members. Errors throw std::runtime_error naming the file: the system's
/// reason for an open or read failure, damaged compressed data, a CRC-32 or size mismatch,
/// a stream cut short (a missing trailer included), and trailing bytes that are not gzip.
class InputFile {
 public:
  /// Opens path; throws naming it when it is missing, not a regular file, or unreadable.
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// Reads up to n bytes into out; fewer only at the end of the (decompressed) data.
  size_t read(uint8_t* out, size_t n);

 private:
  size_t read_raw(uint8_t* out, size_t n);
  size_t read_gzip(uint8_t* out, size_t n);
  /// Makes at least `want` compressed bytes available in buffer_ (fewer at end of file).
  void fill(size_t want);
  [[noreturn]] void fail(const std::string& what) const;

  std::filesystem::path path_;
  int fd_ = -1;
  bool gzip_ = false;
  bool stream_ended_ = false;  // the last member ended and nothing follows
  bool at_eof_ = false;        // the file itself has no more bytes
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0, end_ = 0;  // unread bytes of buffer_ (raw and compressed alike)
  z_stream z_{};
};

}  // namespace mnist
