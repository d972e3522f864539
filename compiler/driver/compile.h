// The compile driver: import -> infer/fold -> pass pipeline -> memory plan ->
// emission. Everything in memory; writing the folder is the caller's last
// step (writeOutputDir), so a failure anywhere leaves nothing behind.
#pragma once

#include <string>
#include <vector>

#include "codegen/emitter.h"
#include "ir/graph.h"
#include "onnx/importer.h"
#include "passes/pass.h"
#include "pipeline/bind.h"
#include "passes/stateful.h"
#include "plan/memory_plan.h"
#include "prune/prune.h"
#include "quant/ptq.h"
#include "support/status.h"

namespace emlc {

struct CompileOptions {
  std::string model_path;
  std::string name;  // empty: derived from the model file name
  ImportOptions import;
  PassOptions passes;
  StateOptions state;  // streaming state (--stateful, --state)
  PlanOptions plan;
  bool copy_runtime = true;
  // A sensor pipeline description (pipeline/spec.h); empty: none. Adds
  // NAME_pipeline.h/.cpp, and puts the model's inputs and outputs and the
  // pipeline's buffers into the memory plan.
  std::string pipeline_path;
};

// The prepared graph: imported, inferred, folded, optimised.
struct PreparedModel {
  Graph graph;
  std::vector<PassRecord> pass_log;
  QuantResult quant;  // what the int8 passes did (--quantize int8 or a QDQ model)
  PruneResult prune;  // what the prune and sparse-weights passes did
};

struct Compilation {
  std::string name;
  PreparedModel model;
  MemoryPlan plan;
  FileMap files;
  bool has_pipeline = false;
  PipelineBinding pipeline;
};

// Import, inference and folding, the pass pipeline, then the streaming state
// (last, so no pass needs to know about states).
Expected<PreparedModel> prepareModel(const std::string& path, const ImportOptions& imp, const PassOptions& passes,
                                     const StateOptions& state = {});
Expected<Compilation> compileModel(const CompileOptions& opt);

// Model statistics for `emlc inspect` and the report.
struct ModelStats {
  int64_t params = 0;       // elements of constant tensors read by nodes
  int64_t weight_bytes = 0;
  int64_t macs = 0;
  std::map<std::string, int> op_histogram;
};
ModelStats modelStats(const Graph& g);

// NAME.json: the memory plan and model summary (NAME_memory.svg is the
// plan's picture, see plan/report.h).
std::string reportJson(const Compilation& c);

}  // namespace emlc
