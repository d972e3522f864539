// Memory plan: where every runtime tensor lives.
//
// Analysis: the schedule is the node order. Views (ops with Op::isView) join
// their input's storage group unless that would put two fixed homes (a
// caller's input or output buffer) in one group, in which case the view stays
// a copy. float32 graph inputs and outputs live in the caller's buffers
// (`Home::Input`/`Home::Output`); other element types get an arena slot that
// the generated run functions copy/convert through. Every other group gets
// an arena buffer live from its first write to its last read.
// Algorithm: see placement.h. Report: `buffers` plus arena size and bound.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/placement.h"
#include "support/status.h"

namespace emlc {

enum class Home { None, Arena, Input, Output, Const };

struct TensorStorage {
  Home home = Home::None;
  int index = -1;     // input/output index for Home::Input/Output
  size_t offset = 0;  // for Home::Arena
  int group = -1;     // storage group (tensors sharing bytes)
};

struct PlannedBuffer {
  std::vector<TensorId> tensors;  // group members; the first is the producer-most tensor
  size_t size = 0;
  size_t offset = 0;
  int first = 0, last = 0;        // inclusive steps
};

struct MemoryPlan {
  std::vector<TensorStorage> storage;  // by TensorId
  std::vector<PlannedBuffer> buffers;  // arena buffers
  std::vector<bool> input_in_arena;    // by graph input index
  std::vector<bool> output_in_arena;   // by graph output index
  size_t arena_size = 0;
  size_t lower_bound = 0;
  size_t alignment = 16;
};

Expected<MemoryPlan> planMemory(const Graph& g);

// Compact text table of the plan (for `emlc compile` and `inspect`).
std::string formatPlan(const Graph& g, const MemoryPlan& p);

}  // namespace emlc
