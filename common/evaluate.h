/// \file
/// \brief Run a forward pass over a data set in batches: accuracy and timing.
#pragma once

#include <functional>
#include <stdexcept>
#include <vector>

#include "common/mnist.h"
#include "common/params.h"
#include "common/tensor.h"
#include "common/timer.h"

namespace mnist {

/// Any stage's forward pass: logits [N,10] for images [N,1,28,28].
using ForwardFn = std::function<Tensor(const Params&, const Tensor&)>;

/// Index of the largest of n values (the first, on a tie): the predicted class.
int argmax(const float* values, int n);

/// Predicted class of every row of logits [N,10].
std::vector<int> predict(const Tensor& logits);

/// What evaluate() measured.
struct EvalResult {
  int images = 0;             ///< images classified
  int correct = 0;            ///< of which the prediction matched the label
  double seconds = 0;         ///< wall time of all forward calls
  Percentiles batch_seconds;  ///< distribution of one batch's forward time
  /// Fraction of images classified correctly.
  double accuracy() const { return images ? static_cast<double>(correct) / images : 0; }
  /// Images through the forward pass per second of forward time.
  double images_per_second() const { return seconds > 0 ? images / seconds : 0; }
};

/// Thrown by evaluate() when a logit is infinite or NaN: there is no prediction to count.
class NonFiniteLogits : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Classifies set in batches of `batch` (the last may be smaller) and times each call.
/// If `logits` is given it receives every image's logits, [N,10].
///
/// Throws NonFiniteLogits, naming the first image and its logit, when any logit is
/// infinite or NaN: finite weights can still overflow float32 on the way (values near
/// 3e38 do), and an accuracy counted from such logits would be a number that means nothing.
EvalResult evaluate(const ForwardFn& forward, const Params& params, const Dataset& set, int batch,
                    Tensor* logits = nullptr);

}  // namespace mnist
