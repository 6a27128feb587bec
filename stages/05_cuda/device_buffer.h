/// \file
/// \brief DeviceBuffer<T>: an array in GPU memory that frees itself (RAII), with checked copies.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "05_cuda/cuda_check.h"

namespace stage05 {

/// `count` elements of T in device memory, allocated with cudaMalloc and freed when the
/// buffer goes away. Move-only, like std::unique_ptr: a copy of GPU memory should be a
/// visible cudaMemcpy, never an accident.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  /// Allocates `count` elements (uninitialised, like malloc).
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count > 0) CUDA_CHECK(cudaMalloc(&data_, count * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);  // no throwing from a destructor
  }
  /// Takes other's memory; other is left empty.
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  /// Swaps memory with other (which frees ours when it goes).
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() { return data_; }                          ///< device pointer to the first element
  const T* data() const { return data_; }              ///< device pointer, read-only
  size_t size() const { return count_; }               ///< number of elements
  size_t bytes() const { return count_ * sizeof(T); }  ///< size in bytes

  /// Copies host values into the start of the buffer and waits for the copy.
  void upload(std::span<const T> host) {
    check_fits(host.size(), "upload");
    CUDA_CHECK(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  /// Copies the first `host.size()` elements back to the host and waits for the copy.
  void download(std::span<T> host) const {
    check_fits(host.size(), "download");
    CUDA_CHECK(cudaMemcpy(host.data(), data_, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
  }
  /// The whole buffer, copied to the host.
  std::vector<T> to_host() const {
    std::vector<T> host(count_);
    download(host);
    return host;
  }
  /// Sets every byte to zero (0.0f for floats), queued on `stream`.
  void zero(cudaStream_t stream) { CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), stream)); }

 private:
  void check_fits(size_t n, const char* what) const {
    if (n > count_) {
      throw std::out_of_range(std::string("DeviceBuffer ") + what + " of " + std::to_string(n) +
                              " elements into a buffer of " + std::to_string(count_));
    }
  }
  T* data_ = nullptr;
  size_t count_ = 0;
};

}  // namespace stage05
