#include "common/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mnist {

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int d : shape) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + to_string(shape));
    n *= d;
  }
  return n;
}

void Tensor::AlignedFree::operator()(float* p) const {
  std::free(p);
}

namespace {
// Storage for `bytes` (> 0), aligned to at least 64 bytes. A large block is aligned to 2 MiB
// and the kernel is asked to back it with transparent huge pages: the first touch of a
// fresh block then takes one page fault per 2 MiB instead of one per 4 KiB.
void* allocate(size_t bytes) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  bytes = (bytes + alignment - 1) / alignment * alignment;  // aligned_alloc wants a multiple
  void* p = std::aligned_alloc(alignment, bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p && alignment == kHugePage) madvise(p, bytes, MADV_HUGEPAGE);  // advice: may be ignored
#endif
  return p;
}
}  // namespace

Tensor::Tensor(Shape shape) : shape_(std::move(shape)), size_(element_count(shape_)) {
  const size_t bytes = static_cast<size_t>(size_) * sizeof(float);
  if (bytes == 0) return;
  void* p = allocate(bytes);
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
  std::fill_n(data_.get(), size_, 0.0f);
}

Tensor Tensor::clone() const {
  Tensor copy(shape_);
  std::copy_n(data(), size_, copy.data());
  return copy;
}

int Tensor::dim(int i) const {
  const int r = rank();
  const int j = i < 0 ? i + r : i;
  if (j < 0 || j >= r) {
    throw std::out_of_range("dim " + std::to_string(i) + " of tensor " + to_string(shape_));
  }
  return shape_[j];
}

Tensor Tensor::reshaped(Shape shape) && {
  if (element_count(shape) != size_) {
    throw std::invalid_argument("cannot reshape " + to_string(shape_) + " to " + to_string(shape));
  }
  Tensor t;
  t.shape_ = std::move(shape);
  t.size_ = size_;
  t.data_ = std::move(data_);
  shape_.clear();
  size_ = 0;
  return t;
}

void Tensor::fill(float v) {
  std::fill_n(data(), size_, v);
}

void Tensor::check_flat(int64_t i) const {
  if (i < 0 || i >= size_) {
    throw std::out_of_range("index " + std::to_string(i) + " outside tensor " + to_string(shape_));
  }
}

void Tensor::check_index(std::initializer_list<int> index) const {
  if (static_cast<int>(index.size()) != rank()) {
    throw std::out_of_range(std::to_string(index.size()) + " indices for tensor " +
                            to_string(shape_));
  }
  int axis = 0;
  for (int i : index) {
    if (i < 0 || i >= shape_[axis]) {
      throw std::out_of_range("index " + std::to_string(i) + " on axis " + std::to_string(axis) +
                              " outside tensor " + to_string(shape_));
    }
    ++axis;
  }
}

void expect_shape(const Tensor& t, const Shape& expected, const std::string& what) {
  if (t.shape() != expected) {
    throw std::invalid_argument(what + ": expected shape " + to_string(expected) + ", got " +
                                to_string(t.shape()));
  }
}

void ensure_shape(Tensor& t, const Shape& shape) {
  if (t.shape() != shape) t = Tensor(shape);
}

}  // namespace mnist
