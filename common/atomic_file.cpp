#include "common/atomic_file.h"

#include <unistd.h>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mnist {

void write_atomically(const std::filesystem::path& target,
                      const std::function<void(const std::filesystem::path& tmp)>& write) {
  namespace fs = std::filesystem;
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec)
      throw std::runtime_error(target.string() + ": cannot rename into place: " + ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

}  // namespace mnist
