// The bundled example: classifies four handwritten digits with the code emlc
// generated from digits_cnn.onnx. Build (after `emlc compile ... -o OUT --name digits`):
//   g++ -std=c++17 -O2 -I OUT main.cpp OUT/digits.cpp OUT/digits_weights.cpp -o digits_demo
#include <cstdio>

#include "digits.h"
#include "samples.h"

int main() {
  std::printf("digits model: input %s [1,1,16,16], %d classes, arena %u bytes\n", digits_INPUT0_NAME,
              static_cast<int>(digits_OUTPUT0_SIZE), static_cast<unsigned>(digits_ARENA_SIZE));
  int correct = 0;
  for (int s = 0; s < kNumSamples; ++s) {
    float logits[digits_OUTPUT0_SIZE];
    const float* in[1] = {kSamples[s]};
    float* out[1] = {logits};
    if (digits_run_f32(in, out) != 0) {
      std::printf("run failed\n");
      return 1;
    }
    int best = 0;
    for (int k = 1; k < static_cast<int>(digits_OUTPUT0_SIZE); ++k)
      if (logits[k] > logits[best]) best = k;
    correct += best == kLabels[s];
    std::printf("sample %d: predicted %d (true label %d), logit %.3f\n", s, best, kLabels[s], logits[best]);
  }
  std::printf("%d of %d correct\n", correct, kNumSamples);
  return correct == kNumSamples ? 0 : 1;
}
