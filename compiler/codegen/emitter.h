// Emitter: planned Graph -> generated source files (in memory).
//
// Produces NAME.h (C/C++ API), NAME.cpp (arena, parameter structs, one
// kernel call per node), NAME_weights.cpp (const arrays) and, unless
// disabled, the runtime headers under emlc/. The output depends only on the
// graph, plan and options, so it is byte-identical across runs.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "plan/memory_plan.h"
#include "support/status.h"

namespace emlc {

struct EmitOptions {
  std::string name;         // valid C identifier (see isValidModelName)
  std::string source_name;  // model file name, for comments
  bool copy_runtime = true; // include emlc/*.h runtime headers in the files
  // A sensor pipeline is compiled too (pipeline/emit.h): NAME.cpp also
  // exports its arena arrays and an entry point for inputs and outputs that
  // live in the arena (namespace emlc_NAME_model).
  bool pipeline_hooks = false;
};

using FileMap = std::map<std::string, std::string>;  // relative path -> contents

Expected<FileMap> emitModel(const Graph& g, const MemoryPlan& plan, const EmitOptions& opt);

// The runtime headers (relative path under the output folder -> text), as
// embedded in the emlc binary at build time.
const FileMap& runtimeFiles();
// A template from templates/ by file name; empty if unknown.
const std::string& templateText(const std::string& name);

}  // namespace emlc
