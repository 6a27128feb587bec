/// \file
/// \brief The two ceilings every kernel is measured against, measured on this GPU.
#pragma once

namespace stage05::bench {

/// Device memory bandwidth in GB/s: a 1 GiB device-to-device copy, bytes read plus bytes
/// written over the median time of several copies.
double measure_copy_bandwidth_gbs();

/// Float32 arithmetic rate in GFLOP/s: every thread of a full grid runs long chains of
/// independent fused multiply-adds (2 FLOPs each) on registers, the most this GPU's CUDA
/// cores can do without tensor cores.
double measure_fp32_peak_gflops();

}  // namespace stage05::bench
