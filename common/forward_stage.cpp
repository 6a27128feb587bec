#include "common/forward_stage.h"

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "common/cli.h"
#include "common/idx.h"
#include "common/network.h"
#include "common/results.h"
#include "common/run_files.h"
#include "common/safetensors.h"

namespace mnist {

int forward_stage_main(int argc, char** argv, const StageInfo& stage, const ForwardFn& forward,
                       const std::string& extra_lines) {
  return run_main([&] {
    CliSpec spec{
        "stage" + stage.id,
        "Stage " + stage.id + " (" + stage.name + "): " + stage.summary +
            "\nClassifies the MNIST test set and reports accuracy and speed.",
        {Flag::data, Flag::weights, Flag::batch, Flag::seed, Flag::threads, Flag::limit,
         Flag::json},
        {{Flag::weights, "trained weights (safetensors); without it, random init from --seed"}},
        {{"logits", "FILE", "also write every image's logits [N,10] as an IDX float32 file", ""}}};
    auto options = parse_cli(argc, argv, spec);
    if (!options) return 0;
    const Options& o = *options;

    // Every file this run reads and writes, checked before any work.
    const std::string logits_path = o.extra.at("logits");
    std::vector<FileFlag> inputs = {
        {"--data", find_mnist_file(o.data_dir, "t10k-images-idx3-ubyte")},
        {"--data", find_mnist_file(o.data_dir, "t10k-labels-idx1-ubyte")}};
    if (o.weights) inputs.push_back({"--weights", *o.weights});
    std::vector<FileFlag> outputs;
    const size_t test_images = static_cast<size_t>(o.limit > 0 ? o.limit : 10000);
    if (!logits_path.empty()) {
      outputs.push_back({"--logits", logits_path, test_images * net::kClasses * sizeof(float)});
    }
    if (o.json) outputs.push_back({"--json", *o.json, 4096});
    check_no_output_is_an_input(inputs, outputs);
    check_outputs_writable(outputs);

    std::printf("stage %s - %s: %s\n", stage.id.c_str(), stage.name.c_str(), stage.summary.c_str());
    if (!extra_lines.empty()) std::printf("%s\n", extra_lines.c_str());
    const Dataset test = load_mnist(o.data_dir, Split::test, o.limit);
    Params params;
    if (o.weights) {
      params = load_params(*o.weights);
      std::printf("  weights   %s\n", o.weights->c_str());
    } else {
      params = init_params(o.seed);
      std::printf("  weights   random (glorot-uniform, seed %llu): expect chance accuracy, ~10%%\n",
                  static_cast<unsigned long long>(o.seed));
    }
    const int threads = stage.threaded ? thread_count() : 1;
    std::printf("  data      %d test images from %s, batch %d, %d thread%s\n", test.size(),
                o.data_dir.c_str(), o.batch, threads,
                stage.threaded ? "(s)" : " (this stage is single-threaded by design)");
    std::fflush(stdout);

    Tensor logits;
    EvalResult r;
    try {
      r = evaluate(forward, params, test, o.batch, logits_path.empty() ? nullptr : &logits);
    } catch (const NonFiniteLogits& e) {
      const std::string source =
          o.weights ? "the weights in " + o.weights->string() : "the random weights";
      throw std::runtime_error(source + " overflow float32: " + e.what() +
                               "; no accuracy is reported");
    }
    const double gflops = r.images * net::kForwardFlops / r.seconds / 1e9;
    std::printf("  accuracy  %.2f%% (%d/%d)\n", 100.0 * r.accuracy(), r.correct, r.images);
    std::printf("  speed     %.0f images/s, %.2f GFLOP/s, %.3f s in forward passes\n",
                r.images_per_second(), gflops, r.seconds);
    std::printf("  per batch %s\n", format_ms(r.batch_seconds).c_str());

    if (!logits_path.empty()) {
      IdxArray out;
      out.type = IdxType::f32;
      out.dims = logits.shape();
      out.f32.assign(logits.values().begin(), logits.values().end());
      write_idx(logits_path, out);
    }
    if (o.json) {
      Results()
          .add("stage", stage.id)
          .add("name", stage.name)
          .add("images", r.images)
          .add("accuracy", r.accuracy())
          .add("images_per_second", r.images_per_second())
          .add("gflops", gflops)
          .add("seconds", r.seconds)
          .add("batch", o.batch)
          .add("threads", threads)
          .add("batch_p50_ms", r.batch_seconds.p50 * 1e3)
          .add("batch_p90_ms", r.batch_seconds.p90 * 1e3)
          .add("batch_p99_ms", r.batch_seconds.p99 * 1e3)
          .write(*o.json);
    }
    return 0;
  });
}

}  // namespace mnist
