/// \file
/// \brief Rungs 1 and 2 run the step layer by layer, one launch per layer and every tensor in
/// global memory: the tensors such a step reads and writes, and the launches the two rungs
/// share. Internal to plans.cpp, plans_naive.cpp and plans_tiled.cpp.
///
/// The two rungs differ only in the kernels behind the convolutions and the dense layer; for
/// those, the functions below give the launch's name and work, and each rung's plan passes the
/// kernel call (plans_naive.cpp, plans_tiled.cpp).
#pragma once

#include "05_cuda/param_layout.h"
#include "05_cuda/plans.h"

namespace stage05 {

/// Rung 1's inference on n images at `images`: logits into ws.logits.
Plan naive_forward_plan(Workspace& ws, const float* images, int n);
/// Rung 1's loss and gradients of the first n images of ws.images, with dropout where `mask`
/// is not null.
Plan naive_gradient_plan(Workspace& ws, int n, const float* mask);
/// Rung 2's inference, as naive_forward_plan.
Plan tiled_forward_plan(Workspace& ws, const float* images, int n);
/// Rung 2's loss and gradients, as naive_gradient_plan.
Plan tiled_gradient_plan(Workspace& ws, int n, const float* mask);

namespace layer_by_layer {

/// Every buffer a layer-by-layer step reads or writes (device pointers into a workspace).
struct LayerTensors {
  ParamPointers<const float> params;  ///< the weights
  ParamPointers<float> grads;         ///< their gradients
  const float* images;                ///< the batch's images [n,1,28,28]
  const int* labels;                  ///< its labels [n]
  const float* mask;                  ///< the dropout mask [n,1600]; null: no dropout
  float* conv1;                       ///< conv1's output [n,32,26,26], ReLU in place
  float* pool1;                       ///< [n,32,13,13]
  float* conv2;                       ///< conv2's output [n,64,11,11], ReLU in place
  float* pool2;                       ///< [n,64,5,5] = [n,1600]
  float* features;                    ///< what the dense layer reads: pool2, or pool2 x mask
  float* logits;                      ///< [n,10]
  float* loss;                        ///< the batch's mean loss (one float)
  float* dlogits;                     ///< [n,10]
  float* dfeatures;                   ///< the gradient of `features` (dpool2 without dropout)
  float* dpool2;                      ///< [n,1600]
  float* dconv2;                      ///< [n,64,11,11]
  float* dpool1;                      ///< [n,32,13,13]
  float* dconv1;                      ///< [n,32,26,26]

  /// The workspace's buffers, for a step on `images` with dropout mask `mask` (or none).
  static LayerTensors of(Workspace& ws, const float* images, const float* mask);
};

/// A launch's kernel call, queued on the stream it is given.
using Kernel = std::function<void(cudaStream_t)>;

/// Appends the launches of `more` to `plan`.
void append(Plan& plan, Plan more);

// The launches both rungs run with the same kernel (naive_kernels.h).

Launch zero_loss_launch(const LayerTensors& t);       ///< the loss kernel adds every image's share
Launch relu1_launch(const LayerTensors& t, int n);    ///< ReLU on conv1, in place
Launch pool1_launch(const LayerTensors& t, int n);    ///< 2x2 max pooling of conv1
Launch relu2_launch(const LayerTensors& t, int n);    ///< ReLU on conv2, in place
Launch pool2_launch(const LayerTensors& t, int n);    ///< 2x2 max pooling of conv2
Launch dropout_launch(const LayerTensors& t, int n);  ///< features = pool2 x mask
Launch softmax_cross_entropy_launch(const LayerTensors& t, int n);  ///< loss and dlogits
Launch dropout_backward_launch(const LayerTensors& t, int n);       ///< dpool2 = dfeatures x mask
Launch pool2_backward_launch(const LayerTensors& t, int n);         ///< dconv2 from dpool2
Launch relu2_backward_launch(const LayerTensors& t, int n);         ///< dconv2 where conv2 > 0
Launch pool1_backward_launch(const LayerTensors& t, int n);         ///< dconv1 from dpool1
Launch relu1_backward_launch(const LayerTensors& t, int n);         ///< dconv1 where conv1 > 0

// The launches whose kernel is the rung's: name and work here, the kernel call from the rung.

Launch conv1_forward_launch(int n, Kernel kernel);          ///< conv1 + bias
Launch conv2_forward_launch(int n, Kernel kernel);          ///< conv2 + bias
Launch dense_forward_launch(int n, Kernel kernel);          ///< dense + bias
Launch dense_backward_weight_launch(int n, Kernel kernel);  ///< d(fc.weight)
Launch dense_backward_bias_launch(int n, Kernel kernel);    ///< d(fc.bias)
Launch dense_backward_input_launch(int n, Kernel kernel);   ///< dfeatures
Launch conv2_backward_weight_launch(int n, Kernel kernel);  ///< d(conv2.weight)
Launch conv2_backward_bias_launch(int n, Kernel kernel);    ///< d(conv2.bias)
Launch conv2_backward_input_launch(int n, Kernel kernel);   ///< dpool1
Launch conv1_backward_weight_launch(int n, Kernel kernel);  ///< d(conv1.weight)
Launch conv1_backward_bias_launch(int n, Kernel kernel);    ///< d(conv1.bias)

}  // namespace layer_by_layer

}  // namespace stage05
