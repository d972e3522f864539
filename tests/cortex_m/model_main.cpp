// Runs a generated model once on a built-in input and prints its outputs as
// the hex bits of each float, one per line, then "rc N". On Cortex-M the
// text goes out through semihosting; with -DEMLC_HOST through stdout, so the
// same source gives directly comparable host and target transcripts.
// Build with -DEMLC_MODEL=<name> -DEMLC_MODEL_HEADER='"<name>.h"' and an
// input_data.h defining `static const float kInput[]`. With -DEMLC_FRAMES=T
// the model is a streaming one (emlc --stateful): kInput holds T frames, and
// the model runs once per frame after NAME_reset_state().
#include <stdint.h>
#include <string.h>

#include EMLC_MODEL_HEADER
#include "input_data.h"

#define EMLC_CAT2(a, b) a##b
#define EMLC_CAT(a, b) EMLC_CAT2(a, b)
#define MODEL_FN(suffix) EMLC_CAT(EMLC_MODEL, suffix)

#ifdef EMLC_HOST
#include <stdio.h>
static void out(const char* s) { fputs(s, stdout); }
#else
extern "C" void emlc_semihost_write(const char* s);
static void out(const char* s) { emlc_semihost_write(s); }
#endif

#ifndef EMLC_FRAMES
#define EMLC_FRAMES 1
#endif
static float output[EMLC_FRAMES * MODEL_FN(_OUTPUT0_SIZE)];

static void hex(uint32_t v, char* buf) {
  for (int i = 7; i >= 0; --i) {
    buf[i] = "0123456789abcdef"[v & 0xF];
    v >>= 4;
  }
  buf[8] = '\n';
  buf[9] = 0;
}

int main() {
  MODEL_FN(_reset_state)();
  int rc = 0;
  for (unsigned t = 0; t < EMLC_FRAMES && rc == 0; ++t) {
    const float* in[1] = {kInput + t * MODEL_FN(_INPUT0_SIZE)};
    float* outs[1] = {output + t * MODEL_FN(_OUTPUT0_SIZE)};
    rc = MODEL_FN(_run_f32)(in, outs);
  }
  char buf[16];
  for (unsigned i = 0; i < EMLC_FRAMES * MODEL_FN(_OUTPUT0_SIZE); ++i) {
    uint32_t bits;
    memcpy(&bits, &output[i], 4);
    hex(bits, buf);
    out(buf);
  }
  out(rc == 0 ? "rc 0\n" : "rc nonzero\n");
  return rc;
}
