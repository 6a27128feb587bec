/// \file
/// \brief A double-precision reference of the network's layers and loss, written from the
/// definitions, for finite-difference gradient checks.
///
/// Finite differences divide a tiny change in the loss by a tiny step; in float the change
/// drowns in rounding, in double it does not. Everything here is plain loops over flat
/// arrays, independent of the code under test.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/params.h"
#include "common/tensor.h"

namespace reference {

using Array = std::vector<double>;

/// A float tensor's values as doubles.
Array to_double(const mnist::Tensor& t);

/// out[n,o,y,x] = b[o] + sum over c,ky,kx of in[n,c,y+ky,x+kx] * w[o,c,ky,kx] (NCHW out).
Array conv2d(const Array& in, int N, int C, int H, int W, const Array& w, const Array& b, int O,
             int K);

/// max(0, v) for every element.
Array relu(Array x);

/// 2x2 max pooling, stride 2, odd edge dropped, NCHW.
Array maxpool2x2(const Array& in, int N, int C, int H, int W);

/// out[n,j] = b[j] + sum over i of in[n,i] * w[j,i].
Array dense(const Array& in, int N, int I, const Array& w, const Array& b, int J);

/// Mean over rows of -log softmax(z)[label], for logits [N,K].
double mean_cross_entropy(const Array& logits, int N, int K, std::span<const int> labels);

/// The network's six parameters in double.
struct Params {
  Array conv1_weight, conv1_bias, conv2_weight, conv2_bias, fc_weight, fc_bias;
  explicit Params(const mnist::Params& p);
  /// The tensor at mnist::Params::list() position i.
  Array& at(size_t i);
};

/// Mean cross-entropy of the whole network on images [N,1,28,28] (as doubles), flattened
/// features multiplied by mask [N,1600] when it is not empty.
double network_loss(const Params& p, const Array& images, int N, std::span<const int> labels,
                    const Array& mask);

/// Central difference (f(x+h) - f(x-h)) / 2h of f with respect to x[i], x restored after.
double central_difference(Array& x, int64_t i, double h, const std::function<double()>& f);

}  // namespace reference
