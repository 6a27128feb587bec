/// \file
/// \brief The main() of every forward-only stage: flags, data, weights, evaluate, report.
#pragma once

#include <string>

#include "common/evaluate.h"

namespace mnist {

/// How a stage introduces itself.
struct StageInfo {
  std::string id;        ///< "01"
  std::string name;      ///< "naive loops"
  std::string summary;   ///< one line: what this stage does differently
  bool threaded = true;  ///< false for a stage that runs on one thread whatever --threads says
};

/// Parses the shared flags (--data --weights --batch --seed --threads --limit --json, and
/// --logits FILE to save every logit as IDX float32),
/// loads the test set and the weights (or initialises from --seed, warning that accuracy
/// will be chance), evaluates `forward`, and prints accuracy, images/s, GFLOP/s and the
/// per-batch p50/p90/p99. `extra_lines` are printed in the header (e.g. the SIMD path).
/// Returns the process exit status; call it from main().
int forward_stage_main(int argc, char** argv, const StageInfo& stage, const ForwardFn& forward,
                       const std::string& extra_lines = "");

}  // namespace mnist
