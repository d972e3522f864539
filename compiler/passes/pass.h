// Graph passes: small classes with a name, run over the whole graph, saying
// whether they changed anything and noting each rewrite. The pipeline
// (passes/pipeline.cpp) lists them in order, one comment per entry saying
// why it sits there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct QuantOptions;  // quant/quant_options.h
struct QuantResult;
struct PruneOptions;  // prune/prune.h
struct PruneResult;

struct PassOptions {
  std::vector<std::string> disabled;  // pass names to skip
  std::string dump_after;             // pass name: keep the IR text after it (PassRecord::dump)
  // --optimize: speed (channels-last kernels with packed weights and
  // compile-time tile sizes) or size (the generic kernels in the model's
  // layout: less flash).
  enum class Optimize { Speed, Size };
  Optimize optimize = Optimize::Speed;
  // --io-layout nhwc: float inputs and outputs of rank 3/4 channels-last
  // (passes/io_layout.h); default: the model's layout.
  bool io_nhwc = false;
  // --target: the processor the generated code is for. generic: the
  // portable kernels; the Cortex-M cores with the DSP extension get int8
  // kernels written with its instructions (runtime/emlc/int8_dsp.h).
  enum class Target { Generic, CortexM4, CortexM7, CortexM33 };
  Target target = Target::Generic;
  const QuantOptions* quant = nullptr;  // int8 quantization (--quantize int8), or none
  QuantResult* quant_result = nullptr;  // where the int8 passes report, or nowhere
  const PruneOptions* prune = nullptr;  // --prune, or none
  PruneResult* prune_result = nullptr;  // where the prune and sparse-weights passes report, or nowhere
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  // Returns true if the graph changed. Must leave the graph verified and
  // compacted.
  virtual Expected<bool> run(Graph& g, const PassOptions& opt) = 0;
  // One line per rewrite of the last run() ("folded 'bn1' into 'conv1'").
  const std::vector<std::string>& notes() const { return notes_; }

 protected:
  void note(std::string s) { notes_.push_back(std::move(s)); }
  std::vector<std::string> notes_;
};

struct PassRecord {
  std::string name;
  bool changed = false;
  bool skipped = false;
  size_t nodes_before = 0, nodes_after = 0;
  std::vector<std::string> notes;  // what the pass changed
  std::string dump;                // IR after the pass, if PassOptions::dump_after named it
};

// Runs the pipeline; `log` (optional) receives one record per pass. Unknown
// names in `disabled`/`dump_after` are an error listing the pass names.
Status runPipeline(Graph& g, const PassOptions& opt, std::vector<PassRecord>* log);
// Names of the pipeline's passes in order.
std::vector<std::string> pipelinePassNames();
// Runs one pass by name (tests, debugging): same checks as in the pipeline.
Expected<PassRecord> runPass(Graph& g, const std::string& name, const PassOptions& opt = {});

}  // namespace emlc
