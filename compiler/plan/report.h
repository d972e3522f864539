// Memory plan reports: a summary for the CLI, a compact text table
// (`emlc inspect --memory`, `emlc compile --print-plan`), the JSON fields of
// NAME.json, and the picture NAME_memory.svg (steps on the x axis, arena
// offset on the y axis, one labelled box per buffer, the bound as a line,
// the live bytes per step as a curve). All output is deterministic; names
// from the model are escaped for their format.
#pragma once

#include <string>

#include "ir/graph.h"
#include "plan/memory_plan.h"

namespace emlc {

// A few lines: arena, bound, ratio, savings and why, placement strategy,
// schedule. Every line starts with `indent`.
std::string planSummary(const MemoryPlan& p, const std::string& indent = "  ");

// The summary plus one row per buffer (offset, bytes, steps, tensors).
std::string formatPlan(const Graph& g, const MemoryPlan& p);

// JSON members (no surrounding braces), each line indented by two spaces
// and ending with ",\n" except the last, which ends with "\n".
std::string planJsonMembers(const Graph& g, const MemoryPlan& p);

// A self-contained SVG document. `title` names the model.
std::string planSvg(const Graph& g, const MemoryPlan& p, const std::string& title);

// Text safe inside XML character data and attribute values.
std::string xmlEscape(const std::string& s);

}  // namespace emlc
