/// \file
/// \brief The files a run reads and writes, checked before any work: no output may be an
/// input or another output, and every output must be writable.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mnist {

struct Options;

/// A file named on the command line, with the flag that named it (for messages).
struct FileFlag {
  std::string flag;            ///< e.g. "--json", "--data" for a file found in the data directory
  std::filesystem::path path;  ///< as given
  size_t expected_bytes = 0;   ///< for an output: about how much will be written
};

/// Whether two paths name the same file: the same device and inode when both exist (so a
/// hard link or a symbolic link to the file counts), else the same absolute path with
/// every dot, dot-dot and symbolic link of its existing part resolved.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

/// Refuses, with UsageError (exit status 2) naming both flags and the file, an output that is
/// the same file as an input or as another output: a run must never destroy what it reads,
/// nor write two results into one file.
void check_no_output_is_an_input(const std::vector<FileFlag>& inputs,
                                 const std::vector<FileFlag>& outputs);

/// check_writable() (common/atomic_file.h) for each output, the flag added to the message:
/// a run fails in its first second, not after minutes of work, when a result cannot be saved.
void check_outputs_writable(const std::vector<FileFlag>& outputs);

/// Refuses (UsageError) an `--out` that already exists unless `--force` was given, so a
/// training run never silently replaces weights someone keeps (the shipped ones, say).
void check_may_replace(const FileFlag& output, bool force);

/// All of the above for a training binary (stages 04 and 05), before it loads anything:
/// its inputs are the four MNIST files in --data and the starting --weights, if given; its
/// outputs --out (default kDefaultOut; refused if it exists, unless --force) and --json.
/// Returns the path --out resolves to.
std::filesystem::path check_training_files(const Options& options);

}  // namespace mnist
