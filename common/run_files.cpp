#include "common/run_files.h"

#include <sys/stat.h>

#include <stdexcept>
#include <system_error>

#include "common/atomic_file.h"
#include "common/cli.h"
#include "common/mnist.h"
#include "common/params.h"

namespace mnist {

namespace fs = std::filesystem;

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {
  }, sb{};
  const bool a_exists = ::stat(a.c_str(), &sa) == 0, b_exists = ::stat(b.c_str(), &sb) == 0;
  if (a_exists && b_exists) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (a_exists != b_exists) return false;  // one file exists, the other does not
  std::error_code ec_a, ec_b;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a), ec_a);
  const fs::path cb = fs::weakly_canonical(fs::absolute(b), ec_b);
  if (ec_a || ec_b) return fs::absolute(a).lexically_normal() == fs::absolute(b).lexically_normal();
  return ca == cb;
}

void check_no_output_is_an_input(const std::vector<FileFlag>& inputs,
                                 const std::vector<FileFlag>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const FileFlag& out = outputs[i];
    for (const FileFlag& in : inputs) {
      if (same_file(out.path, in.path)) {
        throw UsageError(out.flag + " " + out.path.string() + " is the same file as " + in.flag +
                         " " + in.path.string() + ": an output must not overwrite an input");
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (same_file(out.path, outputs[j].path)) {
        throw UsageError(out.flag + " " + out.path.string() + " is the same file as " +
                         outputs[j].flag + " " + outputs[j].path.string() +
                         ": two outputs cannot share one file");
      }
    }
  }
}

void check_outputs_writable(const std::vector<FileFlag>& outputs) {
  for (const FileFlag& out : outputs) {
    try {
      check_writable(out.path, out.expected_bytes);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string(e.what()) + " (" + out.flag + ")");
    }
  }
}

void check_may_replace(const FileFlag& output, bool force) {
  std::error_code ec;
  if (!force && fs::exists(output.path, ec)) {
    throw UsageError(output.flag + " " + output.path.string() +
                     " already exists; pass --force to replace it, or choose another name");
  }
}

fs::path check_training_files(const Options& o) {
  std::vector<FileFlag> inputs;
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    inputs.push_back({"--data", find_mnist_file(o.data_dir, name)});
  }
  if (o.weights) inputs.push_back({"--weights", *o.weights});
  const size_t weights_bytes =  // the tensors, and room for the header
      static_cast<size_t>(count_scalars(zero_params())) * sizeof(float) + 4096;
  std::vector<FileFlag> outputs = {{"--out", o.out.value_or(kDefaultOut), weights_bytes}};
  if (o.json) outputs.push_back({"--json", *o.json, 4096});
  check_no_output_is_an_input(inputs, outputs);
  check_may_replace(outputs[0], o.force);
  check_outputs_writable(outputs);
  return outputs[0].path;
}

}  // namespace mnist
