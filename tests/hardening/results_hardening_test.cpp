// What a run reports must be true: integers in the JSON exactly as they are, and no
// accuracy counted from logits that are not numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/evaluate.h"
#include "common/network.h"
#include "common/results.h"

using namespace mnist;

// Regression: a seed of 1234567891 was written as 1.23456789e+09.
TEST(ResultsHardening, IntegersAreWrittenExactly) {
  const std::string json = Results()
                               .add("seed", uint64_t{1234567891})
                               .add("big", std::numeric_limits<uint64_t>::max())
                               .add("negative", -7)
                               .add("ratio", 0.5)
                               .json();
  EXPECT_NE(json.find("\"seed\": 1234567891,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"big\": 18446744073709551615"), std::string::npos) << json;
  EXPECT_NE(json.find("\"negative\": -7"), std::string::npos) << json;
  EXPECT_NE(json.find("\"ratio\": 0.5"), std::string::npos) << json;
}

// Regression: weights of 3e38 pass the loader (they are finite) but overflow to inf/NaN in
// the forward pass, and the stages printed an accuracy from those logits and exited 0.
TEST(ResultsHardening, NonFiniteLogitsAreAnErrorNamingTheImage) {
  Dataset set;
  set.images = Tensor({5, 1, net::kImageSize, net::kImageSize});
  set.labels = {0, 1, 2, 3, 4};
  const ForwardFn overflowing = [](const Params&, const Tensor& images) {
    Tensor logits({images.dim(0), net::kClasses});
    if (images.dim(0) == 2) logits[1 * net::kClasses + 7] = NAN;  // the second batch's 2nd
    return logits;
  };
  try {
    evaluate(overflowing, Params{}, set, 3);  // batches of 3 and 2: the NaN is image 4
    ADD_FAILURE() << "an accuracy was computed from a NaN logit";
  } catch (const NonFiniteLogits& e) {
    EXPECT_NE(std::string(e.what()).find("image 4: logit 7 is nan"), std::string::npos) << e.what();
  }
}
