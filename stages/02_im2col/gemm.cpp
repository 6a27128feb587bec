#include "02_im2col/gemm.h"

#include <cstdint>

namespace stage02 {

// int64_t indices: the conv GEMMs of a large batch have more than 2^31 elements in reach.

void gemm_ijk(int M, int N, int K, const float* A, const float* B, float* C) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float sum = 0;
      for (int k = 0; k < K; ++k) sum += A[int64_t{i} * K + k] * B[int64_t{k} * N + j];
      C[int64_t{i} * N + j] = sum;
    }
}

void gemm_ikj(int M, int N, int K, const float* A, const float* B, float* C) {
  for (int i = 0; i < M; ++i) {
    float* c = C + int64_t{i} * N;
    for (int j = 0; j < N; ++j) c[j] = 0;
    for (int k = 0; k < K; ++k) {
      const float a = A[int64_t{i} * K + k];
      const float* b = B + int64_t{k} * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
}

void gemm_jki(int M, int N, int K, const float* A, const float* B, float* C) {
  for (int64_t i = 0; i < int64_t{M} * N; ++i) C[i] = 0;
  for (int j = 0; j < N; ++j)
    for (int k = 0; k < K; ++k) {
      const float b = B[int64_t{k} * N + j];
      for (int i = 0; i < M; ++i) C[int64_t{i} * N + j] += A[int64_t{i} * K + k] * b;
    }
}

}  // namespace stage02
