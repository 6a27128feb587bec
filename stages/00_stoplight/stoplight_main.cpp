#include "00_stoplight/stoplight_main.h"

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "common/cli.h"
#include "common/results.h"
#include "common/run_files.h"

namespace stage00 {

int stoplight_main(int argc, char** argv, const std::string& program, const std::string& where,
                   const RunFn& run, bool offers_original) {
  return mnist::run_main([&] {
    std::vector<mnist::ExtraFlag> extra = {
        {"task", "NAME",
         "original: walk when light 0 or 1 is on, as the original stoplight programs; xor: "
         "walk when exactly one is on",
         "original"}};
    if (offers_original) {
      extra.push_back({"original", "",
                       "run as the original stoplight.py: numpy's initial weights for --seed "
                       "(np.random.seed), one pattern at a time, alpha 0.2, summed error",
                       ""});
    }
    const mnist::CliSpec spec{
        program,
        "Stage 00 (stoplight, " + where +
            "): a 3 -> 4 (ReLU) -> 1 network learns when to walk\n"
            "from four streetlight patterns, by gradient descent (lr 0.1, mean squared error).",
        {mnist::Flag::seed, mnist::Flag::verbose, mnist::Flag::json},
        {{mnist::Flag::seed, "seed for the initial weights, uniform in [-1, 1) (default 1)"},
         {mnist::Flag::verbose, "print the error of every iteration"}},
        extra};
    const auto options = mnist::parse_cli(argc, argv, spec);
    if (!options) return 0;
    if (options->json) mnist::check_outputs_writable({{"--json", *options->json, 4096}});

    RunSettings settings;
    const std::string task = options->extra.at("task");
    try {
      settings.walk = task_targets(task);
    } catch (const std::invalid_argument& e) {
      throw mnist::UsageError(std::string("--task: ") + e.what());
    }
    settings.per_pattern = offers_original && options->extra_switch("original");
    settings.verbose = options->verbose;
    if (settings.per_pattern && options->seed > 0xffffffffu) {
      throw mnist::UsageError("--seed: numpy seeds are 0 to 4294967295 (--original)");
    }
    settings.initial = settings.per_pattern
                           ? init_weights_numpy(static_cast<uint32_t>(options->seed))
                           : init_weights(options->seed);

    std::printf(
        "stage 00 - stoplight (%s): task %s, seed %llu%s, lr %.1f, stop below error %.3f or "
        "after %d iterations\n",
        where.c_str(), task.c_str(), static_cast<unsigned long long>(options->seed),
        settings.per_pattern ? " (numpy), one pattern at a time" : "",
        settings.per_pattern ? kOriginalAlpha : kLearningRate, kTargetError, kMaxIterations);
    std::fflush(stdout);
    const Outcome out = run(settings);
    std::printf("  device      %s\n%s", out.device.c_str(),
                report(out.log, out.predictions, settings.walk).c_str());

    if (options->json) {
      const mnist::Percentiles p = mnist::summarize(out.log.seconds);
      mnist::Results r;
      r.add("stage", "00")
          .add("name", "stoplight")
          .add("device", out.device)
          .add("seed", options->seed)
          .add("task", task)
          .add("iterations", out.log.iterations())
          .add("final_error", out.log.errors.empty() ? 0.0 : out.log.errors.back());
      for (int n = 0; n < kPatterns; ++n) {
        r.add("prediction_" + std::to_string(n), out.predictions[n]);
      }
      r.add("iteration_p50_us", p.p50 * 1e6)
          .add("iteration_p90_us", p.p90 * 1e6)
          .add("iteration_p99_us", p.p99 * 1e6)
          .add("iteration_min_us", p.min * 1e6)
          .add("iteration_max_us", p.max * 1e6);
      // One line for the tour's summary table, where both binaries appear as stage 00.
      char note[200];
      std::snprintf(note, sizeof note, "%s: %d iterations, p50 %.3f us per iteration",
                    out.device.c_str(), out.log.iterations(), p.p50 * 1e6);
      r.add("note", note).write(*options->json);
    }
    return 0;
  });
}

}  // namespace stage00
