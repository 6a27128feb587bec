/// \file
/// \brief Weights on disk as safetensors: an 8-byte header length, a JSON header, raw float32.
///
/// The format PyTorch (`safetensors.torch.load_file`), NumPy and Hugging Face tools read:
/// `u64 little-endian N | N bytes of JSON | data`. The JSON maps each tensor name to
/// {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}, offsets relative to the data.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>

#include "common/params.h"
#include "common/tensor.h"

namespace mnist {

/// A tensor to save, under its name.
struct NamedTensorRef {
  std::string name;      ///< the name in the file, e.g. "fc.bias"
  const Tensor* tensor;  ///< the data to write
};

/// Writes tensors as a safetensors file, atomically (temporary file, then rename).
void save_safetensors(const std::filesystem::path& path, std::span<const NamedTensorRef> tensors);

/// Reads every tensor of a safetensors file (F32 only).
///
/// Refuses, naming the file and the tensor: a file cut short, a header that is not valid
/// JSON or lies about offsets (outside the data, overlapping, or not matching the shape),
/// a shape larger than the data, a dtype other than F32, and any NaN or infinite value.
std::map<std::string, Tensor> load_safetensors(const std::filesystem::path& path);

/// Saves the network's parameters under their PyTorch names.
void save_params(const std::filesystem::path& path, const Params& params);

/// Loads the network's parameters; refuses a missing or unexpected tensor or a wrong shape,
/// naming it.
Params load_params(const std::filesystem::path& path);

}  // namespace mnist
