/// \file
/// \brief What the fuzz targets share: a scratch file to hand the readers (they take a
/// path, not bytes), and the check that turns a broken promise into a crash libFuzzer sees.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace mnist::fuzz {

/// A file owned by this process (in /dev/shm when there is one, so it stays in memory).
class ScratchFile {
 public:
  /// `tag` tells the files of one target apart, e.g. "idx".
  explicit ScratchFile(const std::string& tag) {
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                          ? "/dev/shm"
                                          : std::filesystem::temp_directory_path();
    path_ = dir / ("mnist_fuzz_" + std::to_string(::getpid()) + "_" + tag);
  }
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  /// Replaces the file's contents with these bytes.
  void write(const uint8_t* data, size_t size) const {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::perror(path_.c_str());
      std::abort();  // the harness itself failed: not a finding, but never a silent pass
    }
  }
  /// Where the file is.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Aborts with a message when a promise of the code under test is broken: libFuzzer then
/// saves the input as a crash, like any sanitizer report.
inline void require(bool ok, std::string_view what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: broken promise: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    std::abort();
  }
}

/// A refusal must name the file it refuses (every reader's contract).
inline void require_names_file(const std::exception& e, const std::filesystem::path& path) {
  require(std::string_view(e.what()).find(path.string()) != std::string_view::npos,
          std::string("error message does not name the file: ") + e.what());
}

}  // namespace mnist::fuzz
