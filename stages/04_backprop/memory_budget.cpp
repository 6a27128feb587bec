#include "04_backprop/memory_budget.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/cli.h"
#include "common/network.h"

namespace stage04 {

namespace {

using namespace mnist::net;

// Floats one image of a batch occupies during a step, layer by layer (train_step.h):
constexpr uint64_t kInput = kImageSize * kImageSize;                                 // 784
constexpr uint64_t kConv1Area = kConv1Size * kConv1Size;                             // 676
constexpr uint64_t kConv2Area = kConv2Size * kConv2Size;                             // 121
constexpr uint64_t kConv1Out = kConv1Channels * kConv1Area;                          // 21,632
constexpr uint64_t kConv1Columns = kKernel * kKernel * kConv1Area;                   // 6,084
constexpr uint64_t kPool1Out = kConv1Channels * kPool1Size * kPool1Size;             // 5,408
constexpr uint64_t kConv2Columns = kConv1Channels * kKernel * kKernel * kConv2Area;  // 34,848
constexpr uint64_t kConv2Out = kConv2Channels * kConv2Area;                          // 7,744
// The forward cache, plus the batch and its dropout mask [N,1600] and the features.
constexpr uint64_t kForward =
    kInput + kConv1Columns + kConv1Out + kPool1Out + kConv2Columns + kConv2Out + 3 * kFlat;
// The backward pass's gradients of the same activations, the unfolded columns' gradient
// (the largest) included. Counting them all as alive at once overestimates, the safe side
// for a refusal: 610 KB per image here, against 455 KB measured (stage04's peak resident
// memory at --batch 1024 and 4096 on 8192 images: 538 and 1871 MiB).
constexpr uint64_t kBackward = kFlat + kConv2Out + kConv2Columns + kPool1Out + kConv1Out;
constexpr uint64_t kFixedBytes = uint64_t{256} << 20;  // weights, Adam, packing, runtime

}  // namespace

uint64_t training_memory_bytes(int batch, int train_images, int test_images) {
  const uint64_t step_images = static_cast<uint64_t>(std::min(batch, train_images));
  const uint64_t data_floats = uint64_t(train_images + test_images) * kInput;
  return (data_floats + step_images * (kForward + kBackward)) * sizeof(float) + kFixedBytes;
}

uint64_t memory_limit_bytes(std::string* what) {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  uint64_t limit = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : UINT64_MAX;
  *what = "the physical memory of this machine";
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && as.rlim_cur < limit) {
    limit = as.rlim_cur;
    *what = "the address-space limit of this process (ulimit -v)";
  }
  return limit;
}

void check_training_memory(int batch, int train_images, int test_images) {
  std::string what;
  const uint64_t have = memory_limit_bytes(&what);
  const uint64_t need = training_memory_bytes(batch, train_images, test_images);
  if (need > have) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "--batch %d needs about %.1f GiB of memory to train, more than the %.1f GiB "
                  "of %s; use a smaller batch",
                  batch, static_cast<double>(need) / (1 << 30),
                  static_cast<double>(have) / (1 << 30), what.c_str());
    throw mnist::UsageError(text);
  }
}

}  // namespace stage04
