/// \file
/// \brief The stoplight network: four streetlight patterns, a 3 -> 4 (ReLU) -> 1 network,
/// and one step of plain gradient descent on the mean squared error, written out by hand.
///
/// Each pattern is three lights (1 on, 0 off); the target says whether to walk (1) or stop
/// (0). Two tasks: the original stoplight programs' (walk when light 0 or light 1 is on),
/// and XOR (walk when exactly one of them is on), which no single layer can learn. The third
/// light is on in every pattern, so it plays the part of a bias. The math is in this stage's
/// README.md; why XOR needs the hidden layer, in docs/layers/relu.md.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

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
/// Walk (1) or stop (0), one per pattern: the task.
using Targets = std::array<float, kPatterns>;
/// The original stoplight programs' table: walk when light 0 or light 1 is on (an OR). One
/// layer could already tell walk from stop: a threshold on light 0 + light 1.
inline constexpr Targets kWalkOriginal = {1, 1, 0, 1};
/// XOR: walk when exactly one of lights 0 and 1 is on. No threshold on a weighted sum of the
/// lights separates it, so only the hidden layer makes it learnable.
inline constexpr Targets kWalkXor = {1, 1, 0, 0};

/// The targets of a task by name, "original" or "xor"; throws std::invalid_argument for
/// any other name.
Targets task_targets(std::string_view name);

/// Learning rate of the gradient-descent step.
inline constexpr float kLearningRate = 0.1f;
/// The original stoplight.py's learning rate (alpha), for train_step_per_pattern.
inline constexpr float kOriginalAlpha = 0.2f;

/// The network's sixteen numbers (no biases). Layouts follow PyTorch's (out, in) order.
struct Weights {
  float hidden[kHidden][kInputs];  ///< input light i -> hidden unit j is hidden[j][i]
  float output[kHidden];           ///< hidden unit j -> the output is output[j]
};

/// Every weight drawn uniformly from [-1, 1) by mnist::Rng(seed): hidden row by row, then output.
Weights init_weights(uint64_t seed);

/// The original stoplight.py's initial weights after np.random.seed(seed) (its seed is 1):
/// `2*np.random.random((3,4)) - 1` for the hidden layer, drawn input by input (numpy's
/// [input, hidden] layout, the transpose of Weights::hidden), then
/// `2*np.random.random((4,1)) - 1` for the output.
Weights init_weights_numpy(uint32_t seed);

/// Everything the forward pass computes for the four patterns; backward() needs it all.
struct Forward {
  float pre[kPatterns][kHidden];     ///< z = hidden weights . lights, before the ReLU
  float hidden[kPatterns][kHidden];  ///< h = max(0, z)
  float output[kPatterns];           ///< y = output weights . h: the prediction
  float error;                       ///< mean over the patterns of (y - walk)^2
};

/// Runs the four patterns through the network; the error is against `walk`.
Forward forward(const Weights& w, const Targets& walk);

/// d(error)/d(every weight) for the activations f and the targets walk, by the chain rule.
Weights gradients(const Weights& w, const Forward& f, const Targets& walk);

/// One gradient-descent step: w -= lr * gradients. Returns the error measured by the forward
/// pass of this step, that is before the update (that is the number the stopping rule reads).
float train_step(Weights& w, const Targets& walk, float lr = kLearningRate);

/// One iteration of the original stoplight.py: the patterns one at a time, each moving the
/// weights at once by lr times the gradient of (y - walk)^2 / 2 for that pattern alone.
/// Returns the sum over the patterns of (y - walk)^2, each measured just before its update
/// (the number stoplight.py prints as its error).
float train_step_per_pattern(Weights& w, const Targets& walk, float lr = kOriginalAlpha);

/// The predictions, one per pattern, under weights w.
std::array<float, kPatterns> predict(const Weights& w);

}  // namespace stage00
