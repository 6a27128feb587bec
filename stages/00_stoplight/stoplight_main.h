/// \file
/// \brief The main() both binaries share: flags, the initial weights, the report, the JSON.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "00_stoplight/stoplight.h"
#include "00_stoplight/training.h"

namespace stage00 {

/// What one run on some device produced.
struct Outcome {
  std::string device;                          ///< where it ran, e.g. "CPU" or the GPU's name
  TrainLog log;                                ///< errors and timings of every iteration
  std::array<float, kPatterns> predictions{};  ///< under the final weights
};

/// What to train: the command line, resolved.
struct RunSettings {
  Weights initial{};         ///< from --seed (or numpy's generator with --original)
  Targets walk{};            ///< --task: kWalkOriginal or kWalkXor
  bool per_pattern = false;  ///< --original: stoplight.py's update, one pattern at a time
  bool verbose = false;      ///< --verbose: print every iteration's error
};

/// Trains on one device as the settings say.
using RunFn = std::function<Outcome(const RunSettings& settings)>;

/// Parses --seed, --task, --verbose, --json, --help (and --original when
/// `offers_original`), draws the initial weights, calls run, and prints the report (and
/// writes the JSON). Returns the exit status.
int stoplight_main(int argc, char** argv, const std::string& program, const std::string& where,
                   const RunFn& run, bool offers_original);

}  // namespace stage00
