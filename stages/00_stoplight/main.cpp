// Stage 00 on the CPU: the stoplight network trained by hand-written gradient descent.
#include "00_stoplight/stoplight_main.h"

int main(int argc, char** argv) {
  return stage00::stoplight_main(
      argc, argv, "stage00", "CPU",
      [](const stage00::RunSettings& s) {
        stage00::Weights w = s.initial;
        stage00::Outcome out;
        out.device = "CPU, one thread";
        out.log = stage00::train(
            [&] {
              return s.per_pattern ? stage00::train_step_per_pattern(w, s.walk)
                                   : stage00::train_step(w, s.walk);
            },
            s.verbose);
        out.predictions = stage00::predict(w);
        return out;
      },
      /*offers_original=*/true);
}
