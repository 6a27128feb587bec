/// \file
/// \brief A flat record of a run's results, written as JSON for scripts (the tour, the scoreboard).
#pragma once

#include <concepts>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace mnist {

/// Ordered key/value pairs; numbers stay numbers in the JSON.
class Results {
 public:
  /// Appends a number (NaN and infinity become JSON null); returns *this for chaining.
  Results& add(const std::string& key, double value);
  /// Appends an integer, written exactly (a double would round a seed like 12345678901234567).
  template <std::integral T>
  Results& add(const std::string& key, T value) {
    fields_.emplace_back(key, std::to_string(value));
    return *this;
  }
  /// Appends a string; returns *this for chaining.
  Results& add(const std::string& key, const std::string& value);
  /// The record as one JSON object.
  std::string json() const;
  /// Writes json() to path atomically.
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // value already JSON-encoded
};

}  // namespace mnist
