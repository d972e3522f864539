// A pipeline fitted to a model: the runtime parameters, the compile-time
// tables and the buffers outside the graph, ready for the memory planner,
// the emitter (emit.h) and `emlc simulate` (simulate.h).
//
// Contract with the model: it has one input, float32 or int8/uint8 with
// per-tensor quantization; its output 0 (float32 or int8/uint8, per tensor)
// holds one score per class. The features must fill the input exactly:
// dropping dimensions of size 1 from both, the feature axes in the chosen
// layout must equal the input's dimensions.
//   features          channels_first          channels_last
//   time (samples)    [channels, samples]     [samples, channels]
//   fft               [channels, bins]        [bins, channels]
//   mfcc              [channels, frames, coefficients]  [frames, coefficients, channels]
// "auto" takes the first layout that matches.
//
// Memory: with a pipeline every model input and output lives in the arena
// (PlanOptions::io_in_arena): the pre-processing writes the window straight
// into the model input there, and the post-processing reads the output there.
// Buffers outside the graph, in the plan with the tensors:
//   ring     capacity x channels samples      live always (the ISR writes during inference)
//   work     2 x fft_size floats (spectral)   pre-processing only
//   mel      mel_bins floats (mfcc)           pre-processing only
//   history  smoothing x classes floats       live always
//   scores   classes floats                   live always (readable after poll)
#pragma once

#include <string>
#include <vector>

#include "emlc/pipeline.h"
#include "ir/graph.h"
#include "pipeline/spec.h"
#include "plan/lifetimes.h"
#include "support/status.h"

namespace emlc {

enum class PipelineBuffer { Ring, Work, Mel, History, Scores, Count };
const char* pipelineBufferName(PipelineBuffer b);

struct PipelineBinding {
  PipelineSpec spec;

  // The model side.
  DType input_type = DType::F32, output_type = DType::F32;
  QuantParams input_quant, output_quant;  // per tensor, or empty for float32
  std::string input_name, output_name;
  int64_t classes = 0;
  std::vector<std::string> labels;  // one per class

  // Features.
  std::string feature_desc;   // "[3 channels x 128 samples]"
  std::string layout;         // the layout chosen: "channels_first" or "channels_last"

  // Runtime parameters.
  rt::PipelineParams params{};
  rt::IoQuant in_quant{1.0f, 0, 0, 0}, out_quant{1.0f, 0, 0, 0};
  rt::PostParams post{};

  // Compile-time tables (empty when unused).
  std::vector<float> window_table, twiddle, mel_weight, dct;
  std::vector<int32_t> mel_start, mel_len;

  // Buffers outside the graph: bytes per PipelineBuffer (0: none), and the
  // list handed to the planner (only the non-empty ones, in enum order).
  size_t bytes[static_cast<int>(PipelineBuffer::Count)] = {};
  std::vector<ExtraBuffer> extraBuffers() const;
  // Index of buffer b in extraBuffers(), or -1 when it has no bytes.
  int extraIndex(PipelineBuffer b) const;
};

Expected<PipelineBinding> bindPipeline(const PipelineSpec& spec, const Graph& g);

// One-line description for the CLI: sensor, window, features -> input.
std::string describePipeline(const PipelineBinding& b);

}  // namespace emlc
