/// \file
/// \brief Write a file all-or-nothing: into a temporary name, then rename over the target.
#pragma once

#include <filesystem>
#include <functional>

namespace mnist {

/// Calls write(tmp) with a temporary path beside `target`, then renames tmp to target.
///
/// rename() within one directory is atomic on POSIX, so a reader sees either the old file
/// or the complete new one, never half a file. If write throws, the temporary file is
/// removed and the exception passes on; the previous target is left untouched.
void write_atomically(const std::filesystem::path& target,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

}  // namespace mnist
