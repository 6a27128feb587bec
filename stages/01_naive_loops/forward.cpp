#include "01_naive_loops/forward.h"

#include "01_naive_loops/layers.h"

namespace stage01 {

mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images) {
  Tensor x = relu(conv2d(images, p.conv1_weight, p.conv1_bias));  // [N,32,26,26]
  x = maxpool2x2(x);                                              // [N,32,13,13]
  x = relu(conv2d(x, p.conv2_weight, p.conv2_bias));              // [N,64,11,11]
  x = maxpool2x2(x);                                              // [N,64,5,5]
  x = flatten(std::move(x));                                      // [N,1600]
  // Dropout is the identity at inference (inverted dropout scales during training instead).
  return dense(x, p.fc_weight, p.fc_bias);  // [N,10]
}

}  // namespace stage01
