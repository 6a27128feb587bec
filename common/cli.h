/// \file
/// \brief The one command-line parser every binary uses: the same flags, the same errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnist {

/// Where a training binary saves its weights when --out is not given.
inline constexpr const char* kDefaultOut = "trained.safetensors";

/// The flags shared by the project's binaries; each binary accepts the subset it needs.
enum class Flag {
  data,
  weights,
  out,
  force,
  epochs,
  batch,
  seed,
  threads,
  limit,
  lr,
  json,
  verbose
};

/// A flag one binary adds for itself, such as stage 05's `--rung`.
struct ExtraFlag {
  std::string name;           ///< without the dashes, e.g. "rung"
  std::string value_name;     ///< e.g. "N"; empty for a switch that takes no value
  std::string help;           ///< one line for --help
  std::string default_value;  ///< used when the flag is absent ("" for switches: off)
};

/// What a binary is and which flags it takes, for parsing and for --help.
struct CliSpec {
  std::string program;               ///< e.g. "stage01"
  std::string summary;               ///< one line for --help
  std::vector<Flag> flags;           ///< the shared flags it accepts
  std::map<Flag, std::string> help;  ///< per-binary help text that replaces the default
  std::vector<ExtraFlag> extra;      ///< flags of its own
};

/// Parsed flag values, with the project-wide defaults.
struct Options {
  std::filesystem::path data_dir;                ///< --data DIR (default: the repo's data/mnist)
  std::optional<std::filesystem::path> weights;  ///< --weights FILE: always read, never written
  std::optional<std::filesystem::path> out;      ///< --out FILE: where a training run saves
  bool force = false;                            ///< --force: --out may replace an existing file
  std::optional<std::filesystem::path> json;     ///< --json FILE: machine-readable results
  int epochs = 5;                                ///< --epochs N (>= 1)
  int batch = 128;                               ///< --batch N (>= 1)
  uint64_t seed = 1;                             ///< --seed N
  int threads = 0;                               ///< --threads N (>= 1); 0: not given, all cores
  int limit = 0;                                 ///< --limit N (>= 1); 0: not given, whole set
  float lr = 1e-3f;                              ///< --lr X (> 0)
  bool verbose = false;                          ///< --verbose
  std::map<std::string, std::string> extra;      ///< values of the spec's extra flags

  /// An extra flag's value as an integer; throws UsageError naming the flag if it is not one.
  int extra_int(const std::string& name) const;
  /// Whether an extra switch was given.
  bool extra_switch(const std::string& name) const;
};

/// A mistake in the command line (exit status 2), as opposed to a failure while running (1).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses argv against spec. Returns nullopt after printing help for --help.
/// Throws UsageError naming the flag for an unknown flag, a missing value, a value that is
/// not a number, or a number out of range. Applies --threads to OpenMP.
std::optional<Options> parse_cli(int argc, char** argv, const CliSpec& spec);

/// Runs body and turns exceptions into one `error: ...` line on stderr and an exit status:
/// 2 for a UsageError, 1 for anything else. Use it as the whole of main().
int run_main(const std::function<int()>& body);

/// Threads OpenMP will use (1 in a build without OpenMP).
int thread_count();

}  // namespace mnist
