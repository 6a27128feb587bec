/// \file
/// \brief Write a file all-or-nothing: into a fresh temporary file, then rename over the target.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace mnist {

/// Writes `bytes` to `target` so that a reader sees either the old file or the complete new
/// one, never half a file, and never writes anywhere but a file this call created.
///
/// The bytes go into a temporary file beside the target, `.<16 hex digits>.tmp` (a fixed,
/// short name, so a target name that fits the file system's limit cannot push it over). That
/// file is created exclusively and without following links (O_CREAT | O_EXCL | O_NOFOLLOW),
/// so a link or file planted at its name is never written through; it gets the target's
/// permissions, or 0666 less the umask for a new file. The data is fsync'ed, the file renamed
/// over the target (atomic within one directory on POSIX), and the directory fsync'ed so the
/// rename survives a power cut.
///
/// Refuses, leaving everything as it was, a target that exists and is not a regular file (a
/// directory, a device such as /dev/null, a FIFO, a socket). On any failure the temporary
/// file is removed and std::runtime_error names the target and gives the system's reason;
/// on SIGINT or SIGTERM during the write it is removed before the process ends as the
/// signal says. (Only SIGKILL or a power cut can leave one behind; the target is intact.)
void write_atomically(const std::filesystem::path& target, std::string_view bytes);

/// Checks, before any long work, that write_atomically(target, ...) with about `bytes` bytes
/// would succeed: the target is a regular file or absent, and a temporary file can really be
/// created beside it (the directory exists and is writable, by this user, on a writable
/// file system; the probe file is removed at once) with `bytes` free on that file system.
/// Throws std::runtime_error naming the target and the system's reason otherwise.
void check_writable(const std::filesystem::path& target, size_t bytes);

}  // namespace mnist
