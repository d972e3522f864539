// Graph passes: small classes with a name, run over the whole graph, saying
// whether they changed anything. The pipeline (passes/pipeline.cpp) lists
// them in order, one comment per entry saying why it sits there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct QuantOptions;  // quant/quant_options.h
struct QuantResult;

struct PassOptions {
  std::vector<std::string> disabled;  // pass names to skip
  const QuantOptions* quant = nullptr;  // int8 quantization (--quantize int8), or none
  QuantResult* quant_result = nullptr;  // where the int8 passes report, or nowhere
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  // Returns true if the graph changed. Must leave the graph verified and
  // compacted.
  virtual Expected<bool> run(Graph& g, const PassOptions& opt) = 0;
};

struct PassRecord {
  std::string name;
  bool changed = false;
  bool skipped = false;
  size_t nodes_before = 0, nodes_after = 0;
};

// Runs the pipeline; `log` (optional) receives one record per pass.
Status runPipeline(Graph& g, const PassOptions& opt, std::vector<PassRecord>* log);
// Names of the pipeline's passes in order.
std::vector<std::string> pipelinePassNames();

}  // namespace emlc
