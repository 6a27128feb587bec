/// \file
/// \brief The stoplight network: four streetlight patterns, a 3 -> 4 (ReLU) -> 1 network,
/// and one step of plain gradient descent on the mean squared error, written out by hand.
///
/// Each pattern is three lights (1 on, 0 off); the target says whether to walk (1) or stop
/// (0). Walk exactly when one of the first two lights is on: the XOR of lights 0 and 1, which
/// no single layer can learn, so the network needs its hidden layer. The third light is on in
/// every pattern, so it plays the part of a bias. The math is in this stage's README.md.
#pragma once

#include <array>
#include <cstdint>

namespace stage00 {

inline constexpr int kPatterns = 4;  ///< training patterns (rows of the stoplight table)
inline constexpr int kInputs = 3;    ///< lights per pattern
inline constexpr int kHidden = 4;    ///< hidden ReLU units

/// The four streetlight patterns, one row per pattern.
inline constexpr float kLights[kPatterns][kInputs] = {
    {1, 0, 1},
    {0, 1, 1},
    {0, 0, 1},
    {1, 1, 1},
};
/// Walk (1) or stop (0), one per pattern.
inline constexpr float kWalk[kPatterns] = {1, 1, 0, 0};

/// Learning rate of the gradient-descent step.
inline constexpr float kLearningRate = 0.1f;

/// The network's sixteen numbers (no biases). Layouts follow PyTorch's (out, in) order.
struct Weights {
  float hidden[kHidden][kInputs];  ///< input light i -> hidden unit j is hidden[j][i]
  float output[kHidden];           ///< hidden unit j -> the output is output[j]
};

/// Every weight drawn uniformly from [-1, 1) by mnist::Rng(seed): hidden row by row, then output.
Weights init_weights(uint64_t seed);

/// Everything the forward pass computes for the four patterns; backward() needs it all.
struct Forward {
  float pre[kPatterns][kHidden];     ///< z = hidden weights . lights, before the ReLU
  float hidden[kPatterns][kHidden];  ///< h = max(0, z)
  float output[kPatterns];           ///< y = output weights . h: the prediction
  float error;                       ///< mean over the patterns of (y - walk)^2
};

/// Runs the four patterns through the network.
Forward forward(const Weights& w);

/// d(error)/d(every weight) for the activations f, by the chain rule.
Weights gradients(const Weights& w, const Forward& f);

/// One gradient-descent step: w -= lr * gradients. Returns the error measured by the forward
/// pass of this step, that is before the update (that is the number the stopping rule reads).
float train_step(Weights& w, float lr = kLearningRate);

/// The predictions, one per pattern, under weights w.
std::array<float, kPatterns> predict(const Weights& w);

}  // namespace stage00
