#include "05_cuda/device_dataset.h"

namespace stage05 {

DeviceDataset::DeviceDataset(const mnist::Dataset& set)
    : images(static_cast<size_t>(set.images.size())), labels(set.labels.size()), size(set.size()) {
  images.upload(set.images.values());
  labels.upload(set.labels);
}

}  // namespace stage05
