#include "common/idx.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/atomic_file.h"
#include "common/input_file.h"

namespace mnist {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxRank = 8;
constexpr int64_t kMaxElements = int64_t{1} << 32;  // far above MNIST; stops absurd headers
constexpr size_t kChunk = size_t{1} << 20;

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}

/// Reads up to n bytes; returns how many arrived (fewer only at the end of the data).
size_t read_some(InputFile& f, uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const size_t r = f.read(out + got, std::min(n - got, kChunk));
    if (r == 0) break;
    got += r;
  }
  return got;
}

std::string hex_byte(uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", b);
  return text;
}

/// gzip-compresses bytes in memory (windowBits 15 + 16: a gzip wrapper, not zlib's).
std::string gzip_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = const_cast<Bytef*>(bytes.data());
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int r = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (r != Z_STREAM_END) fail(path, "gzip compression failed");
  return out;
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

IdxArray read_idx(const std::filesystem::path& path, int max_rows) {
  InputFile f(path);

  uint8_t magic[4];
  const size_t got = read_some(f, magic, 4);
  if (got == 0) fail(path, "empty file");
  if (got < 4) fail(path, "truncated header (file ends inside the 4-byte magic)");
  if (magic[0] != 0 || magic[1] != 0) fail(path, "wrong magic: not an IDX file");
  IdxArray array;
  if (magic[2] == static_cast<uint8_t>(IdxType::u8)) {
    array.type = IdxType::u8;
  } else if (magic[2] == static_cast<uint8_t>(IdxType::f32)) {
    array.type = IdxType::f32;
  } else {
    fail(path, "unsupported IDX element type " + hex_byte(magic[2]) +
                   " (this reader takes unsigned byte 0x08 and float32 0x0D)");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > kMaxRank) fail(path, "unsupported rank " + std::to_string(rank));

  std::vector<uint8_t> header(4 * static_cast<size_t>(rank));
  if (read_some(f, header.data(), header.size()) < header.size()) {
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

  // With max_rows, read only the first rows of the outermost dimension.
  array.rows_in_file = array.dims[0];
  const bool partial = max_rows > 0 && max_rows < array.dims[0];
  if (partial) {
    count = count / array.dims[0] * max_rows;
    array.dims[0] = max_rows;
  }

  // Grow the buffer only as bytes really arrive: a lying header cannot make us allocate.
  const size_t element_bytes = array.type == IdxType::u8 ? 1 : 4;
  const size_t want = static_cast<size_t>(count) * element_bytes;
  std::vector<uint8_t> payload;
  while (payload.size() < want) {
    const size_t old = payload.size();
    const size_t step = std::min(want - old, kChunk);
    payload.resize(old + step);
    const size_t n = read_some(f, payload.data() + old, step);
    if (n < step) {
      fail(path, "truncated data: header claims " + std::to_string(count) + " elements (" +
                     std::to_string(want) + " bytes) but the file holds " +
                     std::to_string(old + n) + " bytes of data");
    }
  }

  uint8_t extra = 0;
  if (!partial && read_some(f, &extra, 1) != 0) {
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

  if (path.extension() == ".gz") {
    write_atomically(path, gzip_bytes(path, bytes));
  } else {
    write_atomically(path,
                     std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
}

}  // namespace mnist
