// libFuzzer target: the shared command-line parser on arbitrary argument lists (the input
// split at NUL bytes, at most 16 arguments).
//
// Promises checked: parse_cli either throws UsageError, or returns options whose every
// value is inside its documented range (the ranges common/cli.h promises). A crash, a
// sanitizer report, or any other exception is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/cli.h"
#include "tests/fuzz/fuzz_support.h"

using namespace mnist;
using mnist::fuzz::require;

namespace {
const CliSpec kSpec{"fuzz",
                    "every shared flag",
                    {Flag::data, Flag::weights, Flag::out, Flag::force, Flag::epochs, Flag::batch,
                     Flag::seed, Flag::threads, Flag::limit, Flag::lr, Flag::json, Flag::verbose},
                    {},
                    {{"rung", "N", "an extra flag", "3"}, {"fast", "", "an extra switch", ""}}};
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // --help prints the usage on stdout; keep the fuzzer's output readable.
  if (!std::freopen("/dev/null", "w", stdout)) return 1;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"fuzz"};
  std::string current;
  for (size_t i = 0; i < size && args.size() <= 16; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (args.size() <= 16) args.push_back(current);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  try {
    const auto o = parse_cli(static_cast<int>(args.size()), argv.data(), kSpec);
    if (!o) return 0;  // --help
    require(o->epochs >= 1 && o->epochs <= 1000, "--epochs outside 1..1000");
    require(o->batch >= 1 && o->batch <= 60000, "--batch outside 1..60000");
    require(o->threads >= 0 && o->threads <= 1024, "--threads outside 1..1024");
    require(o->limit >= 0 && o->limit <= 60000, "--limit outside 1..60000");
    require(std::isfinite(o->lr) && o->lr >= 1e-9f && o->lr <= 10.0f, "--lr outside 1e-9..10");
    require(!o->data_dir.empty(), "empty --data accepted");
    require(!o->weights || !o->weights->empty(), "empty --weights accepted");
    require(!o->json || !o->json->empty(), "empty --json accepted");
    require(!o->out || !o->out->empty(), "empty --out accepted");
    try {
      (void)o->extra_int("rung");
    } catch (const UsageError&) {
    }
  } catch (const UsageError&) {
  }
  return 0;
}
