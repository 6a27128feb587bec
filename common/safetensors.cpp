#include "common/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "common/atomic_file.h"
#include "common/io_error.h"

namespace mnist {

namespace fs = std::filesystem;

namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr uint64_t kMaxHeader = uint64_t{100} << 20;  // the format's own limit is 100 MB

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}

/// What the header says about one tensor.
struct Entry {
  std::string dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

/// Just enough JSON for a safetensors header: objects, arrays, strings, non-negative
/// integers. Anything else is an error (the files this project writes never contain it;
/// "__metadata__" holds only strings and is skipped).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const fs::path& path) : s_(text), path_(path) {}

  std::map<std::string, Entry> parse() {
    std::map<std::string, Entry> entries;
    expect('{');
    if (!peek('}')) {
      do {
        const std::string name = string();
        expect(':');
        if (name == "__metadata__") {
          skip_string_object();
        } else {
          if (entries.count(name)) bad("tensor '" + name + "' appears twice");
          entries[name] = entry(name);
        }
      } while (accept(','));
    }
    expect('}');
    ws();
    if (pos_ != s_.size()) bad("trailing characters after the JSON header");
    return entries;
  }

 private:
  Entry entry(const std::string& name) {
    Entry e;
    bool have_dtype = false, have_shape = false, have_offsets = false;
    expect('{');
    do {
      const std::string key = string();
      expect(':');
      if (key == "dtype") {
        e.dtype = string();
        have_dtype = true;
      } else if (key == "shape") {
        for (uint64_t d : integer_array()) {
          if (d > INT32_MAX) bad("tensor '" + name + "' has a dimension too large");
          e.shape.push_back(static_cast<int>(d));
        }
        have_shape = true;
      } else if (key == "data_offsets") {
        const auto offsets = integer_array();
        if (offsets.size() != 2) bad("tensor '" + name + "': data_offsets needs 2 numbers");
        e.begin = offsets[0];
        e.end = offsets[1];
        have_offsets = true;
      } else {
        bad("tensor '" + name + "': unexpected key '" + key + "'");
      }
    } while (accept(','));
    expect('}');
    if (!have_dtype || !have_shape || !have_offsets) {
      bad("tensor '" + name + "' lacks dtype, shape or data_offsets");
    }
    return e;
  }

  void skip_string_object() {
    expect('{');
    if (accept('}')) return;
    do {
      string();
      expect(':');
      string();
    } while (accept(','));
    expect('}');
  }

  std::vector<uint64_t> integer_array() {
    std::vector<uint64_t> values;
    expect('[');
    if (accept(']')) return values;
    do values.push_back(integer());
    while (accept(','));
    expect(']');
    return values;
  }

  uint64_t integer() {
    ws();
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') bad("expected a number");
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (v > (UINT64_MAX - 9) / 10) bad("number too large");
      v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
    }
    return v;
  }

  std::string string() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') bad("escape sequences are not supported in names");
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) bad("unterminated string");
    ++pos_;
    return out;
  }

  void ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool peek(char c) {
    ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c))
      bad(std::string("malformed JSON header: expected '") + c + "' at byte " +
          std::to_string(pos_));
  }
  [[noreturn]] void bad(const std::string& what) { fail(path_, "header: " + what); }

  std::string_view s_;
  const fs::path& path_;
  size_t pos_ = 0;
};

}  // namespace

void save_safetensors(const std::filesystem::path& path, std::span<const NamedTensorRef> tensors) {
  std::string header = "{";
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (header.size() > 1) header += ",";
    const uint64_t bytes = static_cast<uint64_t>(tensor->size()) * sizeof(float);
    std::string shape;
    for (int d : tensor->shape()) {
      if (!shape.empty()) shape += ',';
      shape += std::to_string(d);
    }
    header += "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  header.append((8 - header.size() % 8) % 8, ' ');

  const uint64_t n = header.size();
  std::string bytes(reinterpret_cast<const char*>(&n), sizeof n);
  bytes += header;
  for (const auto& named : tensors) {
    bytes.append(reinterpret_cast<const char*>(named.tensor->data()),
                 static_cast<size_t>(named.tensor->size()) * sizeof(float));
  }
  write_atomically(path, bytes);
}

std::map<std::string, Tensor> load_safetensors(const std::filesystem::path& path) {
  require_readable_file(path, "weights file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read size: " + ec.message());

  uint64_t header_size = 0;
  if (file_size < sizeof header_size) fail(path, "file cut short: no header length");
  in.read(reinterpret_cast<char*>(&header_size), sizeof header_size);
  if (header_size > kMaxHeader)
    fail(path, "header length " + std::to_string(header_size) +
                   " is implausible (not a safetensors file?)");
  if (header_size > file_size - sizeof header_size) {
    fail(path, "file cut short: the header claims more bytes than the file holds");
  }
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  if (!in) fail(path, "read error in header");
  const uint64_t data_size = file_size - sizeof header_size - header_size;

  auto entries = HeaderParser(header, path).parse();

  // Check every entry's offsets before reading any data; sort by begin to catch overlaps.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, e] : entries) {
    if (e.dtype != "F32") fail(path, "tensor '" + name + "' has dtype " + e.dtype + ", want F32");
    if (e.end < e.begin || e.end > data_size) {
      fail(path, "tensor '" + name + "' has data_offsets outside the data (file cut short?)");
    }
    // Multiply the shape out against the bytes there are, so that a lying shape can
    // neither overflow the count nor make us allocate for it.
    uint64_t count = std::count(e.shape.begin(), e.shape.end(), 0) ? 0 : 1;
    for (int d : e.shape) {
      if (count != 0 && count > data_size / sizeof(float) / static_cast<uint64_t>(d)) {
        fail(path, "tensor '" + name + "' has shape " + to_string(e.shape) +
                       ", more than the file's " + std::to_string(data_size) + " bytes of data");
      }
      count *= static_cast<uint64_t>(d);
    }
    const uint64_t want = count * sizeof(float);
    if (e.end - e.begin != want) {
      fail(path, "tensor '" + name + "' has " + std::to_string(e.end - e.begin) +
                     " bytes, its shape " + to_string(e.shape) + " needs " + std::to_string(want));
    }
    spans.emplace_back(e.begin, e.end);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) fail(path, "header has overlapping tensors");
  }

  std::map<std::string, Tensor> tensors;
  const uint64_t data_start = sizeof header_size + header_size;
  for (const auto& [name, e] : entries) {
    Tensor t(e.shape);
    in.seekg(static_cast<std::streamoff>(data_start + e.begin));
    in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(e.end - e.begin));
    if (!in) fail(path, "read error in tensor '" + name + "'");
    for (int64_t i = 0; i < t.size(); ++i) {
      if (!std::isfinite(t[i])) {
        fail(path,
             "tensor '" + name + "' holds a non-finite value at element " + std::to_string(i));
      }
    }
    tensors.emplace(name, std::move(t));
  }
  return tensors;
}

void save_params(const std::filesystem::path& path, const Params& params) {
  std::vector<NamedTensorRef> refs;
  for (auto [name, tensor] : params.list()) refs.push_back({std::string(name), tensor});
  save_safetensors(path, refs);
}

Params load_params(const std::filesystem::path& path) {
  auto tensors = load_safetensors(path);
  Params p;
  for (auto [name, tensor] : p.list()) {
    auto it = tensors.find(std::string(name));
    if (it == tensors.end()) fail(path, "missing tensor '" + std::string(name) + "'");
    const Shape& want = param_shape(name);
    if (it->second.shape() != want) {
      fail(path, "tensor '" + std::string(name) + "' has shape " + to_string(it->second.shape()) +
                     ", want " + to_string(want));
    }
    *tensor = std::move(it->second);
    tensors.erase(it);
  }
  // Whatever is left is not part of this network: a file of another model that happens to
  // share some names must not load as if it were ours.
  if (!tensors.empty()) {
    fail(path, "unexpected tensor '" + tensors.begin()->first + "' (this network has only " +
                   std::to_string(p.list().size()) + " tensors)");
  }
  return p;
}

}  // namespace mnist
