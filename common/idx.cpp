#include "common/idx.h"

#include <zlib.h>

#include <bit>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/atomic_file.h"

namespace mnist {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxRank = 8;
constexpr int64_t kMaxElements = int64_t{1} << 32;  // far above MNIST; stops absurd headers
constexpr size_t kChunk = size_t{1} << 20;

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

/// Reads up to n bytes; returns how many arrived (fewer only at end of file).
size_t read_some(gzFile f, const fs::path& path, uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const unsigned ask = static_cast<unsigned>(std::min(n - got, kChunk));
    const int r = gzread(f, out + got, ask);
    if (r < 0) {
      int errnum = 0;
      // zlib starts its message with the path it was opened with; fail() names it already.
      std::string message = gzerror(f, &errnum);
      const std::string prefix = path.string() + ": ";
      if (message.starts_with(prefix)) message.erase(0, prefix.size());
      fail(path, "read error: " + message);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void put_big_endian_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

int64_t IdxArray::count() const {
  int64_t n = 1;
  for (int d : dims) n *= d;
  return n;
}

IdxArray read_idx(const std::filesystem::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "file not found");
  if (!fs::is_regular_file(path, ec)) fail(path, "not a regular file");
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open for reading");

  uint8_t magic[4];
  const size_t got = read_some(f.get(), path, magic, 4);
  if (got == 0) fail(path, "empty file");
  if (got < 4) fail(path, "truncated header (file ends inside the 4-byte magic)");
  if (magic[0] != 0 || magic[1] != 0) fail(path, "wrong magic: not an IDX file");
  IdxArray array;
  if (magic[2] == static_cast<uint8_t>(IdxType::u8)) {
    array.type = IdxType::u8;
  } else if (magic[2] == static_cast<uint8_t>(IdxType::f32)) {
    array.type = IdxType::f32;
  } else {
    fail(path, "unsupported IDX element type 0x" + std::to_string(magic[2]) +
                   " (this reader takes unsigned byte 0x08 and float32 0x0D)");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > kMaxRank) fail(path, "unsupported rank " + std::to_string(rank));

  std::vector<uint8_t> header(4 * static_cast<size_t>(rank));
  if (read_some(f.get(), path, header.data(), header.size()) < header.size()) {
    fail(path, "truncated header (file ends inside the dimensions)");
  }
  int64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    const uint32_t d = big_endian_u32(&header[4 * static_cast<size_t>(i)]);
    if (d > static_cast<uint32_t>(INT32_MAX)) fail(path, "dimension too large in header");
    array.dims.push_back(static_cast<int>(d));
    count *= d;
    if (count > kMaxElements) fail(path, "header claims an implausible number of elements");
  }

  // Grow the buffer only as bytes really arrive: a lying header cannot make us allocate.
  const size_t element_bytes = array.type == IdxType::u8 ? 1 : 4;
  const size_t want = static_cast<size_t>(count) * element_bytes;
  std::vector<uint8_t> payload;
  while (payload.size() < want) {
    const size_t old = payload.size();
    const size_t step = std::min(want - old, kChunk);
    payload.resize(old + step);
    const size_t n = read_some(f.get(), path, payload.data() + old, step);
    if (n < step) {
      fail(path, "truncated data: header claims " + std::to_string(count) + " elements (" +
                     std::to_string(want) + " bytes) but the file holds " +
                     std::to_string(old + n) + " bytes of data");
    }
  }

  uint8_t extra = 0;
  if (read_some(f.get(), path, &extra, 1) != 0) {
    fail(path, "trailing data: the file holds more than the " + std::to_string(count) +
                   " elements its header claims");
  }

  if (array.type == IdxType::u8) {
    array.u8 = std::move(payload);
  } else {
    array.f32.resize(static_cast<size_t>(count));
    for (size_t i = 0; i < array.f32.size(); ++i) {
      array.f32[i] = std::bit_cast<float>(big_endian_u32(&payload[4 * i]));
    }
  }
  return array;
}

void write_idx(const std::filesystem::path& path, const IdxArray& array) {
  const size_t n = static_cast<size_t>(array.count());
  const bool is_u8 = array.type == IdxType::u8;
  if ((is_u8 ? array.u8.size() : array.f32.size()) != n) {
    throw std::invalid_argument(path.string() + ": element count does not match dims");
  }
  std::vector<uint8_t> bytes(4 + 4 * array.dims.size() + n * (is_u8 ? 1 : 4));
  bytes[2] = static_cast<uint8_t>(array.type);
  bytes[3] = static_cast<uint8_t>(array.dims.size());
  uint8_t* p = bytes.data() + 4;
  for (int d : array.dims) {
    put_big_endian_u32(p, static_cast<uint32_t>(d));
    p += 4;
  }
  if (is_u8) {
    if (n > 0) std::memcpy(p, array.u8.data(), n);  // an empty vector's data() may be null
  } else {
    for (size_t i = 0; i < n; ++i)
      put_big_endian_u32(p + 4 * i, std::bit_cast<uint32_t>(array.f32[i]));
  }

  const bool gz = path.extension() == ".gz";
  write_atomically(path, [&](const fs::path& tmp) {
    // "wbT" writes plain bytes through the same gz interface; "wb" writes gzip.
    GzFile f(gzopen(tmp.c_str(), gz ? "wb" : "wbT"));
    if (!f) fail(path, "cannot open for writing");
    size_t done = 0;
    while (done < bytes.size()) {
      const unsigned ask = static_cast<unsigned>(std::min(bytes.size() - done, kChunk));
      if (gzwrite(f.get(), bytes.data() + done, ask) != static_cast<int>(ask)) {
        fail(path, "write error");
      }
      done += ask;
    }
    if (gzclose(f.release()) != Z_OK) fail(path, "write error on close");
  });
}

}  // namespace mnist
