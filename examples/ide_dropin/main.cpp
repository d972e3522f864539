// A vendor-IDE style application: the folder emlc generated is compiled as
// plain sources next to main.cpp (no CMake). Runs digits_cnn on four sample
// images and prints the predictions; on QEMU's mps2-an386 through the
// board's semihosting console.
#include "board.h"
#include "digits.h"
#include "samples.h"

static float logits[digits_OUTPUT0_SIZE];

int main() {
  int correct = 0;
  for (int s = 0; s < kNumSamples; ++s) {
    const float* in[1] = {kSamples[s]};
    float* out[1] = {logits};
    if (digits_run_f32(in, out) != 0) return 100;
    int best = 0;
    for (int k = 1; k < static_cast<int>(digits_OUTPUT0_SIZE); ++k)
      if (logits[k] > logits[best]) best = k;
    correct += best == kLabels[s];
    char line[] = "sample N: predicted D\n";
    line[7] = static_cast<char>('0' + s);
    line[20] = static_cast<char>('0' + best);
    board_write(line);
  }
  board_write(correct == kNumSamples ? "all correct\n" : "some wrong\n");
  return kNumSamples - correct;
}
