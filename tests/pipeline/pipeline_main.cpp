// Pushes a built-in sample stream through a generated pipeline and prints
// every reported decision and a summary in `emlc simulate`'s format, so the
// transcripts of the host build, the Cortex-M build and the simulator can be
// compared line by line.
// Build with -DEMLC_MODEL=<name> -DEMLC_PIPELINE_HEADER='"<name>_pipeline.h"'
// and a stream_data.h defining kFrames and kStream[] (frames x channels),
// plus -DEMLC_HOST for the host (stdout) or the QEMU board's board.h.
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include EMLC_PIPELINE_HEADER
#include "stream_data.h"

#define EMLC_CAT2(a, b) a##b
#define EMLC_CAT(a, b) EMLC_CAT2(a, b)
#define FN(suffix) EMLC_CAT(EMLC_MODEL, suffix)

#ifdef EMLC_HOST
static void out(const char* s) { fputs(s, stdout); }
#else
#include "board.h"
static void out(const char* s) { board_write(s); }
#endif

static unsigned long g_reports = 0;

// " -1.2345": a score as lround(score * 10000) / 10000.
static void scoreText(float score, char* buf, size_t size) {
  const long v = lroundf(score * 10000.0f);
  const long a = v < 0 ? -v : v;
  snprintf(buf, size, "%s%ld.%04ld", v < 0 ? "-" : "", a / 10000, a % 10000);
}

extern "C" void FN(_on_decision)(int label, float score) {
  char s[32], buf[160];
  scoreText(score, s, sizeof s);
  snprintf(buf, sizeof buf, "decision sample=%lu window=%lu label=%s score=%s\n",
           static_cast<unsigned long>(FN(_pipeline_window_end)()), static_cast<unsigned long>(FN(_pipeline_windows)() - 1u),
           FN(_pipeline_label)(label), s);
  out(buf);
  ++g_reports;
}

// Every class score of the window just processed.
static void printScores() {
  char buf[32];
  snprintf(buf, sizeof buf, "scores window=%lu", static_cast<unsigned long>(FN(_pipeline_windows)() - 1u));
  out(buf);
  const float* s = FN(_pipeline_scores)();
  for (int i = 0; i < FN(_PIPELINE_NUM_LABELS); ++i) {
    out(" ");
    scoreText(s[i], buf, sizeof buf);
    out(buf);
  }
  out("\n");
}

int main() {
  for (unsigned long f = 0; f < kFrames; ++f) {
    FN(_pipeline_push)(&kStream[f * FN(_PIPELINE_CHANNELS)]);
    const int r = FN(_pipeline_poll)();
    if (r == EMLC_POLL_MODEL_ERROR) return 3;
    if (r == EMLC_POLL_DECIDED) printScores();
  }
  char buf[160];
  snprintf(buf, sizeof buf, "summary: samples=%lu windows=%lu dropped=%lu decisions=%lu\n", kFrames,
           static_cast<unsigned long>(FN(_pipeline_windows)()), static_cast<unsigned long>(FN(_pipeline_dropped)()),
           g_reports);
  out(buf);
  return 0;
}
