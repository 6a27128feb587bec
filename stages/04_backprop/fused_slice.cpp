#include "04_backprop/fused_slice.h"

#include "03_blocked_simd/layers.h"
#include "04_backprop/conv1_fused.h"
#include "04_backprop/conv2_channels_last.h"
#include "04_backprop/conv2_implicit.h"
#include "04_backprop/dense_head.h"
#include "04_backprop/layers_backward.h"
#include "04_backprop/pool2_winners.h"
#include "common/network.h"

namespace stage04 {

using namespace mnist::net;

float fused_slice_loss_and_gradients(const mnist::Params& params, const mnist::Tensor& images,
                                     std::span<const int> labels, const mnist::Tensor& mask,
                                     int rung, FusedSliceCache& c, mnist::Params& grads) {
  const int n = images.dim(0);
  const bool channels_last = rung >= 5;  // conv2's backward on pool1 channels-last
  // Forward: conv1 with ReLU and pooling fused, then conv2.
  conv1_relu_pool_forward(images, params.conv1_weight, params.conv1_bias, c.pool1, c.pool1_winner,
                          channels_last ? &c.pool1_cl : nullptr);
  if (rung >= 4) {
    conv2d_implicit_forward(c.pool1, params.conv2_weight, params.conv2_bias, c.conv2_out);
  } else {
    stage03::conv2d_channel_major(c.pool1, params.conv2_weight, params.conv2_bias, c.conv2_columns,
                                  c.conv2_out);
  }
  relu_maxpool2x2_forward_winners(c.conv2_out, c.pool2, c.pool2_winner);
  // The head, forward and backward. [n,64,5,5] and [n,1600] are the same memory, so the
  // features are pool2 seen flat for the call.
  mnist::Tensor features = std::move(c.pool2).reshaped({n, kFlat});
  const float loss = dropout_dense_softmax(features, mask, params.fc_weight, params.fc_bias, labels,
                                           c.logits, grads.fc_weight, grads.fc_bias, c.dfeatures);
  c.pool2 = std::move(features).reshaped({n, kConv2Channels, kPool2Size, kPool2Size});
  // Backward through pool2 from the forward's winners, conv2, then conv1's fused backward.
  c.dfeatures = std::move(c.dfeatures).reshaped({n, kConv2Channels, kPool2Size, kPool2Size});
  relu_maxpool2x2_backward_winners(c.pool2_winner, c.dfeatures, c.conv2_out.shape(), c.dconv2);
  c.dfeatures = std::move(c.dfeatures).reshaped({n, kFlat});
  const mnist::Tensor& dconv2 = c.dconv2;
  if (channels_last) {
    conv2d_channels_last_backward(c.pool1_cl, params.conv2_weight, dconv2, grads.conv2_weight,
                                  grads.conv2_bias, c.dpool1);
  } else if (rung == 4) {
    conv2d_implicit_backward(c.pool1, params.conv2_weight, dconv2, grads.conv2_weight,
                             grads.conv2_bias, c.dpool1);
  } else {
    conv2d_backward_channel_major(c.pool1, params.conv2_weight, dconv2, grads.conv2_weight,
                                  grads.conv2_bias, &c.dpool1, &c.conv2_columns);
  }
  conv1_relu_pool_backward(images, c.pool1_winner, c.dpool1, grads.conv1_weight, grads.conv1_bias,
                           channels_last);
  return loss;
}

}  // namespace stage04
