/// \file
/// \brief Stage 01's logits with a rigorous bound on how far any float32 forward pass of
/// the same network may lie from them: the tolerance of the agreement tests, derived.
///
/// Every stage computes each output of conv and dense as a sum of K products plus a bias,
/// in float32, in its own order (loops, GEMM blocks, SIMD lanes, FMA or not). Whatever the
/// order, the computed sum s^ of n terms t_i lies within
///
///     |s^ - s| <= gamma_n * sum |t_i|,    gamma_n = n u / (1 - n u),  u = 2^-24
///
/// of the exact sum (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., 3.1
/// and 3.5; a fused multiply-add rounds once instead of twice, which only helps). A layer
/// with n = K + 1 terms (the bias is a term) whose input already carries an error E_in
/// (elementwise) adds its own rounding and passes the input's error on through |w|:
///
///     E_out = gamma_n (|b| + sum |w| (|x^| + E_in)) + sum |w| E_in
///           = conv_or_dense(input = gamma_n |x^| + (1 + gamma_n) E_in, weights |w|,
///                           bias = gamma_n |b|)
///
/// where x^ is the input as computed (|x| <= |x^| + E_in). ReLU and 2x2 max pooling only
/// select and compare, so they round nothing and move no value by more than its error:
/// ReLU keeps E, max pooling takes the largest E of the window. Flatten moves nothing.
/// Per layer: conv1 n = 9 + 1, conv2 n = 288 + 1, dense n = 1600 + 1, so gamma is 6.0e-7,
/// 1.7e-5 and 9.5e-5 of the sum of the magnitudes.
///
/// The bound E on each logit holds for every stage, stage 01 included, so two stages differ
/// by at most 2E. It is a worst case: rounding errors of mixed sign mostly cancel, and the
/// measured differences are about a hundred times smaller (docs/tooling/testing.md). A real
/// mistake (a bias left out, kernel taps swapped) moves logits by far more than 2E, which
/// is about 1e-4 of their size.
#pragma once

#include "common/params.h"
#include "common/tensor.h"

namespace agreement {

/// The reference logits and, for each of them, the bound E above.
struct BoundedLogits {
  mnist::Tensor logits;  ///< [N,10], stage 01 layer by layer
  mnist::Tensor bound;   ///< [N,10], E: |any float32 stage's logit - exact logit| <= E
};

/// Stage 01's forward pass on images [N,1,28,28], with the error bound carried alongside
/// through every layer (on stage 01's own layers, so it costs one more forward pass).
BoundedLogits reference_logits(const mnist::Params& params, const mnist::Tensor& images);

/// gamma_n = n u / (1 - n u) for float32 (u = 2^-24): the relative bound on a sum of n terms.
double float32_gamma(int n);

}  // namespace agreement
