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

/// Trains from `initial` on one device (printing every error when verbose).
using RunFn = std::function<Outcome(const Weights& initial, bool verbose)>;

/// Parses --seed, --verbose, --json and --help, draws the initial weights from the seed,
/// calls run, and prints the report (and writes the JSON). Returns the exit status.
int stoplight_main(int argc, char** argv, const std::string& program, const std::string& where,
                   const RunFn& run);

}  // namespace stage00
