#include "common/results.h"

#include <cmath>
#include <cstdio>

#include "common/atomic_file.h"

namespace mnist {

Results& Results::add(const std::string& key, double value) {
  char buf[64];
  if (std::isfinite(value)) {
    std::snprintf(buf, sizeof buf, "%.9g", value);
  } else {
    std::snprintf(buf, sizeof buf, "null");  // JSON has no NaN or infinity
  }
  fields_.emplace_back(key, buf);
  return *this;
}

Results& Results::add(const std::string& key, const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) quoted += c;
  }
  fields_.emplace_back(key, quoted + "\"");
  return *this;
}

std::string Results::json() const {
  std::string s = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    s += (i ? ",\n  \"" : "\n  \"") + fields_[i].first + "\": " + fields_[i].second;
  }
  return s + "\n}\n";
}

void Results::write(const std::filesystem::path& path) const {
  const std::string text = json();
  write_atomically(path, text);
}

}  // namespace mnist
