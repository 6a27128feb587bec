// Stage 00 on the CPU: the stoplight network trained by hand-written gradient descent.
#include "00_stoplight/stoplight_main.h"

int main(int argc, char** argv) {
  return stage00::stoplight_main(
      argc, argv, "stage00", "CPU", [](const stage00::Weights& initial, bool verbose) {
        stage00::Weights w = initial;
        stage00::Outcome out;
        out.device = "CPU, one thread";
        out.log = stage00::train([&] { return stage00::train_step(w); }, verbose);
        out.predictions = stage00::predict(w);
        return out;
      });
}
