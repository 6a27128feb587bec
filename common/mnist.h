/// \file
/// \brief MNIST: load the four IDX files, images scaled to [0,1]; shuffling and batching.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/tensor.h"

namespace mnist {

/// Which half of MNIST.
enum class Split { train, test };

/// A set of labelled images.
struct Dataset {
  Tensor images;            ///< [N,1,28,28], pixel / 255
  std::vector<int> labels;  ///< N labels in 0..9
  /// Number of examples.
  int size() const { return static_cast<int>(labels.size()); }
};

/// The path of one MNIST file in dir: `name` if present, else `name.gz`.
/// Throws, naming both, when neither exists.
std::filesystem::path find_mnist_file(const std::filesystem::path& dir, const std::string& name);

/// Loads the train or test split from dir (raw or .gz files alike).
///
/// Checks everything a wrong file could get wrong and names the file: element type, rank,
/// 28x28 images, labels in 0..9, at least one image, and that images and labels agree in
/// count. `limit` > 0 reads and keeps only the first `limit` examples (nothing after them is
/// read); a limit above the set's size throws UsageError (a usage mistake: exit status 2).
Dataset load_mnist(const std::filesystem::path& dir, Split split, int limit = 0);

/// Builds a Dataset from an image and a label file (what load_mnist does for one split).
Dataset load_mnist_files(const std::filesystem::path& images, const std::filesystem::path& labels,
                         int limit = 0);

/// 0..n-1 in an order drawn from seed (the same on every machine).
std::vector<int> shuffled_indices(int n, uint64_t seed);

/// One mini-batch: images [B,1,28,28] and their labels.
struct Batch {
  Tensor images;            ///< [B,1,28,28]
  std::vector<int> labels;  ///< B labels in 0..9
};

/// Copies examples order[begin .. begin+count) of set into a batch.
Batch gather_batch(const Dataset& set, std::span<const int> order, int begin, int count);

/// gather_batch into `batch`, reusing its storage when it already has the size: a loop
/// that keeps one Batch allocates it once.
void gather_batch(const Dataset& set, std::span<const int> order, int begin, int count,
                  Batch& batch);

/// Copies the contiguous examples [begin, begin+count) of set into a batch.
Batch slice_batch(const Dataset& set, int begin, int count);

}  // namespace mnist
