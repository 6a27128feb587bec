#include "common/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "common/io_error.h"

namespace mnist {

namespace {
constexpr size_t kBufferBytes = size_t{1} << 16;
constexpr uint8_t kGzipMagic[2] = {0x1f, 0x8b};
}  // namespace

InputFile::InputFile(const std::filesystem::path& path) : path_(path), buffer_(kBufferBytes) {
  require_readable_file(path, "file");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_io_error(path, "cannot open for reading", errno);
  fill(2);
  gzip_ = end_ - begin_ >= 2 && buffer_[begin_] == kGzipMagic[0] &&
          buffer_[begin_ + 1] == kGzipMagic[1];
  if (gzip_ && inflateInit2(&z_, 15 + 16) != Z_OK) {  // 15 + 16: a gzip wrapper, 32 KiB window
    ::close(fd_);
    throw std::bad_alloc();
  }
}

InputFile::~InputFile() {
  if (gzip_) inflateEnd(&z_);
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::fail(const std::string& what) const {
  throw std::runtime_error(path_.string() + ": " + what);
}

void InputFile::fill(size_t want) {
  if (begin_ > 0) {  // move what is left to the front, making room behind it
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < want && end_ < buffer_.size() && !at_eof_) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error(path_, "read error", errno);
    if (n == 0) at_eof_ = true;
    end_ += static_cast<size_t>(n);
  }
}

size_t InputFile::read(uint8_t* out, size_t n) {
  return gzip_ ? read_gzip(out, n) : read_raw(out, n);
}

size_t InputFile::read_raw(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    if (begin_ == end_) fill(1);
    if (begin_ == end_) break;  // end of file
    const size_t take = std::min(n - got, end_ - begin_);
    std::memcpy(out + got, buffer_.data() + begin_, take);
    begin_ += take;
    got += take;
  }
  return got;
}

size_t InputFile::read_gzip(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n && !stream_ended_) {
    if (begin_ == end_) fill(1);
    if (begin_ == end_) {
      fail(
          "truncated gzip stream: the file ends before the compressed data and its "
          "trailer (CRC-32 and size) are complete");
    }
    z_.next_in = buffer_.data() + begin_;
    z_.avail_in = static_cast<uInt>(end_ - begin_);
    z_.next_out = out + got;
    z_.avail_out = static_cast<uInt>(std::min<size_t>(n - got, UINT32_MAX));
    const int r = inflate(&z_, Z_NO_FLUSH);
    got = static_cast<size_t>(z_.next_out - out);
    begin_ = end_ - z_.avail_in;
    if (r == Z_MEM_ERROR) throw std::bad_alloc();
    if (r == Z_DATA_ERROR || r == Z_NEED_DICT || r == Z_STREAM_ERROR) {
      const std::string why = z_.msg ? z_.msg : "damaged data";
      if (why == "incorrect data check") fail("read error: incorrect data check (CRC-32 mismatch)");
      if (why == "incorrect length check")
        fail("read error: incorrect length check (size mismatch)");
      fail("read error: " + why);
    }
    if (r == Z_STREAM_END) {  // this member's trailer matched; what follows?
      fill(2);
      if (begin_ == end_) {
        stream_ended_ = true;
      } else if (end_ - begin_ >= 2 && buffer_[begin_] == kGzipMagic[0] &&
                 buffer_[begin_ + 1] == kGzipMagic[1]) {
        inflateReset(&z_);  // another member: decompressed data continue
      } else {
        fail("trailing data after the end of the gzip stream");
      }
    }
  }
  return got;
}

}  // namespace mnist
