// The HAR pipeline on a recorded accelerometer stream, on the host or on a
// Cortex-M4F (QEMU mps2-an386): every sample frame of stream.csv is pushed
// into the generated pipeline and the pipeline is polled, as a firmware main
// loop would do with a sensor interrupt. Decisions arrive in
// har_on_decision(). At the end it prints a summary and the agreement of the
// decisions with the CSV's ground truth, per window (the majority label of
// the window's samples) -- the same lines `emlc simulate` prints.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "console.h"
#include "har.h"
#include "har_pipeline.h"
#include "stream_csv.h"

namespace {

constexpr int kMaxFrames = 32768;
int16_t g_frames[kMaxFrames][har_PIPELINE_CHANNELS];
int8_t g_truth[kMaxFrames];  // class index per frame, -1 unknown
uint32_t g_decisions = 0;

// Parses "ax,ay,az,label" rows after the header; returns the frame count or -1.
int parseStream() {
  const char* p = strchr(kStreamCsv, '\n');
  if (!p) return -1;
  ++p;
  int n = 0;
  while (*p && n < kMaxFrames) {
    char* end = nullptr;
    for (int c = 0; c < har_PIPELINE_CHANNELS; ++c) {
      const long v = strtol(p, &end, 10);
      if (end == p || *end != ',') return -1;
      g_frames[n][c] = static_cast<int16_t>(v);
      p = end + 1;
    }
    const char* eol = strchr(p, '\n');
    const size_t len = eol ? static_cast<size_t>(eol - p) : strlen(p);
    g_truth[n] = -1;
    for (int k = 0; k < har_PIPELINE_NUM_LABELS; ++k) {
      const char* name = har_pipeline_label(k);
      if (strlen(name) == len && strncmp(name, p, len) == 0) g_truth[n] = static_cast<int8_t>(k);
    }
    ++n;
    p = eol ? eol + 1 : p + len;
  }
  return n;
}

}  // namespace

// Called by har_pipeline_poll() when the decision changes.
extern "C" void har_on_decision(int label, float score) {
  const long v = lroundf(score * 10000.0f);
  const long a = v < 0 ? -v : v;
  console_printf("decision sample=%lu window=%lu label=%s score=%s%ld.%04ld\n",
                 static_cast<unsigned long>(har_pipeline_window_end()),
                 static_cast<unsigned long>(har_pipeline_windows() - 1u), har_pipeline_label(label), v < 0 ? "-" : "",
                 a / 10000, a % 10000);
  ++g_decisions;
}

int main() {
  const int frames = parseStream();
  if (frames <= 0) {
    console_printf("cannot parse the embedded stream\n");
    return 2;
  }
  long agree = 0, judged = 0;
  for (int f = 0; f < frames; ++f) {
    har_pipeline_push(g_frames[f]);
    const int r = har_pipeline_poll();
    if (r == EMLC_POLL_MODEL_ERROR) return 3;
    if (r != EMLC_POLL_DECIDED) continue;
    // Ground truth of this window: the majority label of its samples.
    int count[har_PIPELINE_NUM_LABELS] = {0};
    const long end = static_cast<long>(har_pipeline_window_end());
    for (long k = end + 1 - har_PIPELINE_WINDOW; k <= end; ++k)
      if (g_truth[k] >= 0) ++count[g_truth[k]];
    int truth = -1;
    for (int c = 0; c < har_PIPELINE_NUM_LABELS; ++c)
      if (count[c] > 0 && (truth < 0 || count[c] > count[truth])) truth = c;
    if (truth >= 0) {
      ++judged;
      agree += har_pipeline_decision(nullptr) == truth ? 1 : 0;
    }
  }
  console_printf("summary: samples=%d windows=%lu dropped=%lu decisions=%lu\n", frames,
                 static_cast<unsigned long>(har_pipeline_windows()), static_cast<unsigned long>(har_pipeline_dropped()),
                 static_cast<unsigned long>(g_decisions));
  if (judged > 0) {
    const long p = agree * 10000 / judged;
    console_printf("agreement: %ld.%02ld%% (%ld of %ld windows)\n", p / 100, p % 100, agree, judged);
  }
  return 0;
}
