// Emission of NAME_pipeline.h and NAME_pipeline.cpp (templates/pipeline.*.in)
// for a bound pipeline and the model's memory plan. The model's NAME.cpp
// must be emitted with EmitOptions::pipeline_hooks (its arena arrays and an
// entry point for arena-resident inputs and outputs).
#pragma once

#include <string>

#include "codegen/emitter.h"
#include "ir/graph.h"
#include "pipeline/bind.h"
#include "plan/memory_plan.h"
#include "support/status.h"

namespace emlc {

Expected<FileMap> emitPipeline(const PipelineBinding& b, const Graph& g, const MemoryPlan& plan,
                               const std::string& name, const std::string& source_name);

}  // namespace emlc
