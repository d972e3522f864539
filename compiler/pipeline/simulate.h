// `emlc simulate`: a recorded sample stream through a bound pipeline and the
// model, on the host, with the runtime's own pipeline functions
// (emlc/pipeline.h: pipeline_push, pipeline_poll) and the model evaluated by
// the runtime kernels (eval/evaluator.h). Frames are pushed one at a time
// and the pipeline is polled after each push, as a firmware main loop that
// keeps up would, so the decisions are those of the generated code.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "pipeline/bind.h"
#include "support/status.h"

namespace emlc {

// A recorded stream: one row per sample frame.
//
// CSV: comma-separated; blank lines and lines starting with '#' are skipped.
// If the first row has a field that is not a number it is a header: the
// channels are found by their names (sensor.channels) and an optional
// ground-truth column by `label_column` (a label name or class index per
// row; empty: unknown). Without a header the first columns are the channels
// in order. Values must fit the sample type (integers for integer types).
struct SampleStream {
  std::vector<double> values;  // frames x channels
  std::vector<int32_t> truth;  // per frame: class index, -1 unknown (empty: no label column)
  size_t frames = 0;
};
Expected<SampleStream> readSampleCsv(const std::string& path, const PipelineBinding& b,
                                     const std::string& label_column = "label");
Expected<SampleStream> parseSampleCsv(const std::string& text, const std::string& source, const PipelineBinding& b,
                                      const std::string& label_column = "label");

struct SimDecision {
  uint32_t sample = 0;  // index of the window's last frame
  uint32_t window = 0;  // index of the window among the processed ones
  int32_t label = -1;
  float score = 0.0f;
};

struct SimResult {
  size_t samples = 0;
  uint32_t windows = 0, dropped = 0;
  std::vector<SimDecision> reports;   // what NAME_on_decision would receive
  std::vector<int32_t> window_label;  // the decision after each window
  std::vector<std::vector<float>> window_scores;  // the averaged class scores after each window
  std::vector<int32_t> window_truth;  // majority ground truth of each window's frames (-1: unknown); empty without truth
  int64_t agree = 0, judged = 0;      // windows whose decision equals a known truth / windows with a known truth
};

Expected<SimResult> simulatePipeline(const PipelineBinding& b, const Graph& g, const SampleStream& s);

// The text lines `emlc simulate` prints; the examples print the same.
//   decision sample=191 window=1 label=walking score=0.9342
//   summary: samples=18432 windows=286 dropped=0 decisions=14
//   agreement: 9406/10000 (269 of 286 windows)
// Scores are printed as lround(score * 10000) / 10000 with four decimals.
std::string formatDecision(const PipelineBinding& b, const SimDecision& d);
std::string formatSummary(const SimResult& r);
std::string formatAgreement(const SimResult& r);
// "scores window=W s0 s1 ..." (each score as in formatDecision), for tests.
std::string formatScores(uint32_t window, const std::vector<float>& scores);

}  // namespace emlc
