// A benchmark model on the Cortex-M4F: digits_cnn classifies four sample
// images (../digits/samples.h) with the code add_embedded_model() generated.
// Prints one line per image and exits with the number of wrong predictions.
#include "console.h"
#include "digits.h"
#include "samples.h"

int main() {
  console_printf("digits on Cortex-M4F: arena %u bytes, %u classes\n", static_cast<unsigned>(digits_ARENA_SIZE),
                 static_cast<unsigned>(digits_OUTPUT0_SIZE));
  int wrong = 0;
  for (int s = 0; s < kNumSamples; ++s) {
    static float logits[digits_OUTPUT0_SIZE];
    const float* in[1] = {kSamples[s]};
    float* out[1] = {logits};
    if (digits_run_f32(in, out) != 0) return 100;
    int best = 0;
    for (int k = 1; k < static_cast<int>(digits_OUTPUT0_SIZE); ++k)
      if (logits[k] > logits[best]) best = k;
    wrong += best != kLabels[s];
    console_printf("sample %d: predicted %d, label %d\n", s, best, kLabels[s]);
  }
  console_printf("%d of %d correct\n", kNumSamples - wrong, kNumSamples);
  return wrong;
}
