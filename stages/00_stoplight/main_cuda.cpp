// Stage 00 on a CUDA GPU: the same network, seed and stopping rule as stage00, with the
// forward pass, the backward pass and the update running as kernels.
#include <stdexcept>

#include "00_stoplight/gpu_stoplight.h"
#include "00_stoplight/stoplight_main.h"

int main(int argc, char** argv) {
  return stage00::stoplight_main(
      argc, argv, "stage00_cuda", "CUDA",
      [](const stage00::RunSettings& s) {
        if (const auto why = stage00::cuda_unavailable_reason()) {
          throw std::runtime_error("no CUDA device to run on: " + *why);
        }
        stage00::GpuStoplight gpu(s.initial, s.walk);
        stage00::Outcome out;
        out.device = stage00::cuda_device_name();
        out.log = stage00::train([&] { return gpu.step(); }, s.verbose);
        out.predictions = gpu.predict();
        return out;
      },
      /*offers_original=*/false);
}
