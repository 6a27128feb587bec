/// \file
/// \brief Adam, the optimiser the Keras example trains with, in Keras's form.
#pragma once

#include "common/params.h"

namespace stage04 {

/// Adam's settings; the defaults are those of keras.optimizers.Adam, which the Keras MNIST
/// convnet example trains with.
struct AdamConfig {
  float lr = 1e-3f;       ///< learning rate
  float beta1 = 0.9f;     ///< decay of the running mean of gradients
  float beta2 = 0.999f;   ///< decay of the running mean of squared gradients
  float epsilon = 1e-7f;  ///< Keras's default (PyTorch's is 1e-8)
};

/// Adam (Kingma and Ba, 2015) with bias correction, written the way Keras computes it.
///
/// For every scalar parameter p with gradient g it keeps two numbers, m and v (so twice the
/// parameters' memory), and at step t = 1, 2, ...:
///
///     m = beta1 * m + (1 - beta1) * g           running mean of g
///     v = beta2 * v + (1 - beta2) * g^2         running mean of g^2
///     alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
///     p -= alpha_t * m / (sqrt(v) + epsilon)
///
/// alpha_t folds the bias correction (m and v start at 0, so early on they underestimate
/// the means) into the step size. This is Keras's form; the paper's form, which divides m
/// and v by (1 - beta^t) first, differs only in where epsilon sits: here it is added to
/// the uncorrected sqrt(v).
class Adam {
 public:
  /// An optimiser with these settings, at step 0 (no moments yet).
  explicit Adam(AdamConfig config = {});

  /// One update of every parameter from its gradient (t += 1). grads must have the shapes
  /// of params; the moments are created, as zeros, on the first step.
  void step(mnist::Params& params, const mnist::Params& grads);

  /// The first half of step(), for an update done in pieces: checks that grads has the
  /// shapes of params, creates the moments on the first step, counts the step (t += 1),
  /// and returns its step size alpha_t for update().
  float begin_step(const mnist::Params& params, const mnist::Params& grads);

  /// The second half of step() for part of one tensor: elements [begin, end) of tensor
  /// `index` (in Params::list() order) from its gradient `grad` (indexed like the tensor),
  /// with the alpha begin_step() returned. Threads may update disjoint parts at once.
  void update(mnist::Params& params, size_t index, int64_t begin, int64_t end, const float* grad,
              float alpha);

  /// Updates done so far (t).
  int steps() const { return t_; }

  /// The settings it was made with.
  const AdamConfig& config() const { return config_; }

 private:
  AdamConfig config_;
  int t_ = 0;
  mnist::Params m_;  // running mean of the gradient, per parameter
  mnist::Params v_;  // running mean of the squared gradient, per parameter
};

}  // namespace stage04
