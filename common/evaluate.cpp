#include "common/evaluate.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/network.h"

namespace mnist {

int argmax(const float* values, int n) {
  return static_cast<int>(std::max_element(values, values + n) - values);
}

std::vector<int> predict(const Tensor& logits) {
  const int n = logits.dim(0), classes = logits.dim(1);
  std::vector<int> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    out[static_cast<size_t>(i)] = argmax(logits.data() + int64_t{i} * classes, classes);
  return out;
}

EvalResult evaluate(const ForwardFn& forward, const Params& params, const Dataset& set, int batch,
                    Tensor* all_logits) {
  EvalResult r;
  if (all_logits) *all_logits = Tensor({set.size(), net::kClasses});
  std::vector<double> times;
  for (int begin = 0; begin < set.size(); begin += batch) {
    const int count = std::min(batch, set.size() - begin);
    Batch b = slice_batch(set, begin, count);  // copying is outside the timed region
    Stopwatch watch;
    Tensor logits = forward(params, b.images);
    const double t = watch.seconds();
    expect_shape(logits, {count, net::kClasses}, "forward pass output");
    for (int64_t i = 0; i < logits.size(); ++i) {
      if (!std::isfinite(logits[i])) {
        throw NonFiniteLogits("image " + std::to_string(begin + i / net::kClasses) + ": logit " +
                              std::to_string(i % net::kClasses) + " is " +
                              std::to_string(logits[i]) + ", not a finite number");
      }
    }
    times.push_back(t);
    if (all_logits) {
      std::copy_n(logits.data(), logits.size(),
                  all_logits->data() + int64_t{begin} * net::kClasses);
    }
    r.seconds += t;
    const std::vector<int> predicted = predict(logits);
    for (int i = 0; i < count; ++i)
      r.correct += predicted[static_cast<size_t>(i)] == b.labels[static_cast<size_t>(i)];
    r.images += count;
  }
  r.batch_seconds = summarize(std::move(times));
  return r;
}

}  // namespace mnist
