/// \file
/// \brief Tensor: a shape plus contiguous, 64-byte aligned float32 storage (NCHW).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mnist {

/// Dimensions of a tensor, outermost first (NCHW for images: batch, channel, height, width).
using Shape = std::vector<int>;

/// "[128,1,28,28]": a shape as text, for error messages and logs.
std::string to_string(const Shape& shape);

/// Number of elements a shape holds (1 for the empty shape, a scalar).
int64_t element_count(const Shape& shape);

/// A dense float32 array with a shape.
///
/// Storage is one contiguous block aligned to 64 bytes (a cache line, and the width of an
/// AVX-512 register), so SIMD code can use aligned loads on the first element; 2 MiB and
/// larger blocks are aligned to 2 MiB and advised to use huge pages (tensor.cpp). Moving a
/// Tensor is free; copying is deliberate: call clone(). Element access through operator()
/// is bounds-checked in debug builds and compiles to plain index arithmetic in release.
class Tensor {
 public:
  /// An empty tensor (no shape, no storage).
  Tensor() = default;
  /// A zero-filled tensor of the given shape.
  explicit Tensor(Shape shape);
  /// A zero-filled tensor, written as Tensor({128, 1, 28, 28}).
  Tensor(std::initializer_list<int> shape) : Tensor(Shape(shape)) {}

  Tensor(Tensor&&) noexcept = default;             ///< Moves take the storage: no copy.
  Tensor& operator=(Tensor&&) noexcept = default;  ///< Moves take the storage: no copy.
  Tensor(const Tensor&) = delete;                  ///< Copies are explicit: use clone().
  Tensor& operator=(const Tensor&) = delete;

  /// A deep copy.
  Tensor clone() const;

  /// The dimensions, outermost first.
  const Shape& shape() const { return shape_; }
  /// Size of dimension i (negative i counts from the end, as in Python).
  int dim(int i) const;
  /// Number of dimensions (4 for NCHW).
  int rank() const { return static_cast<int>(shape_.size()); }
  /// Number of elements.
  int64_t size() const { return size_; }
  /// Whether the tensor holds no elements.
  bool empty() const { return size_ == 0; }

  /// The first element; the rest follow contiguously in row-major order.
  float* data() { return data_.get(); }
  /// The first element, read-only.
  const float* data() const { return data_.get(); }
  /// Every element, as a span (for range-for loops).
  std::span<float> values() { return {data_.get(), static_cast<size_t>(size_)}; }
  /// Every element, read-only.
  std::span<const float> values() const { return {data_.get(), static_cast<size_t>(size_)}; }

  /// Flat element i.
  float& operator[](int64_t i) { return data_.get()[checked_flat(i)]; }
  /// Flat element i, read-only.
  float operator[](int64_t i) const { return data_.get()[checked_flat(i)]; }

  /// Element at a multi-index, e.g. t(n, c, y, x) for an NCHW tensor.
  template <typename... Index>
  float& operator()(Index... index) {
    return data_.get()[offset({static_cast<int>(index)...})];
  }
  /// Element at a multi-index, read-only.
  template <typename... Index>
  float operator()(Index... index) const {
    return data_.get()[offset({static_cast<int>(index)...})];
  }

  /// The same elements under a new shape with the same element count (e.g. flatten).
  Tensor reshaped(Shape shape) &&;

  /// Set every element to v.
  void fill(float v);

 private:
  struct AlignedFree {
    void operator()(float* p) const;
  };
  // Inline so that t(n, c, y, x) in a hot loop compiles to index arithmetic; the checks
  // exist only in debug builds (NDEBUG unset).
  int64_t checked_flat(int64_t i) const {
#ifndef NDEBUG
    check_flat(i);
#endif
    return i;
  }
  int64_t offset(std::initializer_list<int> index) const {
#ifndef NDEBUG
    check_index(index);
#endif
    int64_t flat = 0;
    const int* extent = shape_.data();
    for (int i : index) flat = flat * *extent++ + i;
    return flat;
  }
  void check_flat(int64_t i) const;
  void check_index(std::initializer_list<int> index) const;

  Shape shape_;
  int64_t size_ = 0;
  std::unique_ptr<float[], AlignedFree> data_;
};

/// Throws std::invalid_argument naming `what` unless t has exactly the expected shape.
void expect_shape(const Tensor& t, const Shape& expected, const std::string& what);

/// Gives t the shape `shape` (a fresh zero-filled tensor) unless it already has it, in which
/// case t and its contents are left as they are: buffers kept from one training step to the
/// next are then allocated once.
void ensure_shape(Tensor& t, const Shape& shape);

}  // namespace mnist
