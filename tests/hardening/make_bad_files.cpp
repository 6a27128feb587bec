// Writes the files the standard command-line cases (standard_cli_tests.cmake) feed to each
// binary: a tiny valid MNIST and weights file, and variants that each have one defect.
//   make_bad_files <dir>
// Each data variant is a directory holding all four MNIST files, so that forward stages
// (test split) and training stages (train split first) meet the same defect.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>

#include "common/params.h"
#include "common/safetensors.h"
#include "tests/hardening/bad_bytes.h"

using namespace mnist;
using namespace mnist::hardening;
namespace fs = std::filesystem;

namespace {

std::string images(uint32_t n) {
  std::string pixels(n * 784, '\0');
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i * 7 % 256);
  return idx_header(0x08, {n, 28, 28}) + pixels;
}
std::string labels(uint32_t n, char first = 0) {
  std::string values(n, '\0');
  for (uint32_t i = 0; i < n; ++i) values[i] = static_cast<char>((i + 1) % 10);
  if (n > 0) values[0] = first;
  return idx_header(0x08, {n}) + values;
}

/// One data variant: the same image and label bytes for both splits.
void data_dir(const fs::path& dir, const std::string& image_bytes, const std::string& label_bytes) {
  fs::create_directories(dir);
  for (const char* split : {"train", "t10k"}) {
    put_file(dir / (std::string(split) + "-images-idx3-ubyte"), image_bytes);
    put_file(dir / (std::string(split) + "-labels-idx1-ubyte"), label_bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_bad_files DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  if (fs::exists(root / "read_only")) fs::permissions(root / "read_only", fs::perms::owner_all);
  fs::remove_all(root);

  // Data: 3 valid images, then one defect per directory.
  data_dir(root / "good", images(3), labels(3));
  fs::create_directories(root / "empty");
  data_dir(root / "swapped", labels(3), images(3));
  data_dir(root / "count_mismatch", images(3), labels(4));
  data_dir(root / "truncated", images(3).substr(0, 16 + 2 * 784 + 100), labels(3));
  data_dir(root / "no_images", images(0), labels(0));
  data_dir(root / "label_out_of_range", images(3), labels(3, 10));
  // gzip files without their 8-byte trailer (CRC-32 and size), and with bytes after it.
  const std::string gz_images = gzip(images(3)), gz_labels = gzip(labels(3));
  for (const auto& [name, cut, tail] :
       {std::tuple{"gz_no_trailer", 8, ""}, std::tuple{"gz_trailing", 0, "trailing garbage"}}) {
    fs::create_directories(root / name);
    for (const char* split : {"train", "t10k"}) {
      put_file(root / name / (std::string(split) + "-images-idx3-ubyte.gz"),
               gz_images.substr(0, gz_images.size() - cut) + tail);
      put_file(root / name / (std::string(split) + "-labels-idx1-ubyte.gz"),
               gz_labels.substr(0, gz_labels.size() - cut) + tail);
    }
  }
  // Each MNIST name a symbolic link to itself: a loop, which is not "not found".
  fs::create_directories(root / "symlink_loop");
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    fs::create_symlink(name, root / "symlink_loop" / name);
  }
  // Outputs that must never be replaced: a FIFO, and a directory nobody may write in.
  if (mkfifo((root / "fifo").c_str(), 0644) != 0) {
    std::perror("mkfifo");
    return 1;
  }
  fs::create_directories(root / "read_only");
  fs::permissions(root / "read_only", fs::perms::owner_read | fs::perms::owner_exec |
                                          fs::perms::group_read | fs::perms::group_exec |
                                          fs::perms::others_read | fs::perms::others_exec);

  // Weights: valid ones, then one defect per file.
  const fs::path w = root / "weights";
  fs::create_directories(w / "directory.safetensors");
  const Params good = init_params(1);
  save_params(w / "good.safetensors", good);
  Params p = good.clone();
  p.conv2_weight[5] = NAN;
  save_params(w / "nan.safetensors", p);
  p = good.clone();
  p.fc_weight[123] = -INFINITY;
  save_params(w / "inf.safetensors", p);
  p = good.clone();
  p.fc_bias = Tensor({11});
  save_params(w / "wrong_shape.safetensors", p);
  std::vector<NamedTensorRef> renamed;
  for (auto [name, t] : good.list()) renamed.push_back({"model." + std::string(name), t});
  save_safetensors(w / "wrong_names.safetensors", renamed);

  const std::string good_bytes = file_bytes(w / "good.safetensors");
  put_file(w / "truncated.safetensors", good_bytes.substr(0, good_bytes.size() / 2));
  put_file(w / "wrong_dtype.safetensors",
           safetensors_bytes(R"({"fc.bias":{"dtype":"F16","shape":[10],"data_offsets":[0,20]}})",
                             std::string(20, '\0')));
  put_file(w / "lying_offsets.safetensors",
           safetensors_bytes(R"({"fc.bias":{"dtype":"F32","shape":[10],"data_offsets":[0,4000]}})",
                             std::string(40, '\0')));
  put_file(w / "idx_file.safetensors", labels(3));
  // Finite, so the loader takes them, but every product overflows float32 to inf or NaN.
  p = good.clone();
  for (auto [name, t] : p.list()) t->fill(3e38f);
  save_params(w / "huge.safetensors", p);
  fs::create_symlink("loop.safetensors", w / "loop.safetensors");
  std::printf("bad files written to %s\n", root.c_str());
  return 0;
}
