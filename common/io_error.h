/// \file
/// \brief Errors about files that say which file and why, in the system's words.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace mnist {

/// Throws std::runtime_error "<path>: <what>: <strerror(errnum)>", e.g.
/// "out/w.safetensors: cannot open for writing: Permission denied".
[[noreturn]] void throw_io_error(const std::filesystem::path& path, const std::string& what,
                                 int errnum);

/// "a directory", "a character device", "a FIFO", ... for a stat() st_mode that is not a
/// regular file ("a regular file" for one).
const char* file_type_name(mode_t mode);

/// Checks that path names a regular file that can be opened for reading; otherwise throws
/// std::runtime_error naming it and the reason: `<kind> not found` when nothing is there,
/// "is a directory, not a regular file" (or a device, a FIFO...), or the system's reason (a loop of
/// symbolic links, permission denied). `kind` is what the caller expects, e.g. "weights file".
void require_readable_file(const std::filesystem::path& path, const std::string& kind);

}  // namespace mnist
