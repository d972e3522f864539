// Memory plan: where every runtime tensor lives, in which order the nodes
// run, and how big the arena(s) must be.
//
// Pipeline (each step in its own file):
//  1. schedule.h: a topological order that lowers the peak of live bytes
//     (the model's order is kept unless the search finds a strictly lower
//     bound of the planned buffers).
//  2. lifetimes.h: storage groups (views, Concat slices, in place), homes
//     (caller's buffers for float32 graph inputs/outputs), kernel scratch,
//     and one logical buffer per group with its step range.
//  3. placement.h: offsets for the buffers of each memory region; several
//     strategies, the smallest arena kept (ties: fixed strategy order).
//  4. report.h: JSON, SVG picture and text table.
//
// Bounds. `lower_bound` is the plain lifetime bound of the chosen schedule:
// the largest sum of live (16-byte aligned) bytes at one step when every
// runtime tensor has its own buffer from its producer's step to its last
// reader's step. Views, in-place ops and elided Concats can take the arena
// below it; `savings` says by how much each did. `buffer_bound` is the same
// bound over the buffers actually planned: no placement can be smaller, and
// `arena == buffer_bound` means the placement is optimal.
//
// Regions (`--memory dtcm=64K,sram=320K`): buffers go to the first region
// hottest first (node accesses per byte; smaller first on ties) while the
// region's placement fits its capacity, the rest to the next region, and so
// on; the last region takes what is left. Every region is a separate array
// in the generated code.
//
// Everything is deterministic: the same graph and options give the same plan.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/lifetimes.h"
#include "plan/placement.h"
#include "plan/schedule.h"
#include "support/status.h"

namespace emlc {

struct MemoryRegion {
  std::string name;     // a C identifier
  size_t capacity = 0;  // bytes; 0 = unlimited
};

struct PlanOptions {
  std::vector<MemoryRegion> regions;  // empty: one unlimited region named "arena"
  size_t max_arena = 0;               // total bytes over all regions; 0 = no limit
  size_t alignment = 16;
  bool schedule_search = true;
  ScheduleOptions schedule;
  SearchOptions placement;
  // A sensor pipeline (see lifetimes.h): graph inputs/outputs in the arena
  // and buffers outside the graph, planned with the tensors.
  bool io_in_arena = false;
  std::vector<ExtraBuffer> extra;
};

// Parses "dtcm=64K,sram=320K" (suffixes K and M are binary: 1024, 1048576).
Expected<std::vector<MemoryRegion>> parseMemoryRegions(const std::string& spec);
// Parses "65536", "64K", "1M".
Expected<size_t> parseByteSize(const std::string& text);

struct TensorStorage {
  Home home = Home::None;
  int index = -1;     // graph input/output index for Home::Input/Output
  int region = 0;     // Home::Arena: region index
  size_t offset = 0;  // Home::Arena: offset in the region's array; Input/Output: in the caller's buffer
  int buffer = -1;    // Home::Arena: index into MemoryPlan::buffers
};

struct PlannedBuffer {
  std::vector<TensorId> tensors;  // members sharing the bytes (empty for scratch)
  size_t size = 0;
  size_t offset = 0;
  int region = 0;
  int first = 0, last = 0;        // inclusive steps of the schedule (-1: before it; steps: after it)
  NodeId scratch_of = -1;         // kernel scratch of this node
  int extra = -1;                 // index into PlanOptions::extra
  std::string label;              // the extra buffer's name
};

struct RegionPlan {
  std::string name;
  size_t capacity = 0;
  size_t size = 0;    // bytes used (the array's size)
  size_t bound = 0;   // lower bound of this region's buffers
  std::string strategy;
  bool optimal = false;
  std::vector<std::pair<std::string, size_t>> tried;  // arena per strategy run
};

struct PlanSavings {
  size_t views = 0, in_place = 0, concat = 0;  // bound reductions (bytes)
  int view_nodes = 0, in_place_nodes = 0, concat_nodes = 0;
};

struct MemoryPlan {
  std::vector<TensorStorage> storage;  // by TensorId
  std::vector<PlannedBuffer> buffers;
  std::vector<int> scratch_buffer;     // by NodeId: index into buffers, or -1
  std::vector<int> extra_buffer;       // by PlanOptions::extra index: index into buffers
  std::vector<bool> input_in_arena;    // by graph input index
  std::vector<bool> output_in_arena;   // by graph output index
  std::vector<NodeId> schedule;        // node ids in execution order
  std::vector<int> step_of;            // by NodeId
  std::vector<char> elided;            // by NodeId: no code (a Concat written by its producers)
  std::vector<int> in_place_input;     // by NodeId: input index output 0 overwrites, or -1
  std::vector<RegionPlan> regions;     // at least one
  bool named_regions = false;          // regions came from --memory (arrays are arena_NAME)

  size_t arena_size = 0;         // total bytes over all regions
  size_t lower_bound = 0;        // plain lifetime bound of the schedule (see above)
  size_t buffer_bound = 0;       // bound of the planned buffers
  size_t model_order_bound = 0;  // plain lifetime bound of the model's node order
  bool schedule_changed = false;
  bool schedule_exhaustive = false;
  PlanSavings savings;
  size_t alignment = 16;

  double ratio() const {
    return lower_bound ? static_cast<double>(arena_size) / static_cast<double>(lower_bound) : 1.0;
  }
  // C name of region r's array in the generated code.
  std::string arrayName(int r) const;
};

Expected<MemoryPlan> planMemory(const Graph& g, const PlanOptions& opt = {});
// Same with the nodes' memory hints given (tests: hand-made hints).
Expected<MemoryPlan> planMemoryWithHints(const Graph& g, const std::vector<NodeHints>& hints,
                                         const PlanOptions& opt = {});

// Checks a plan against the graph: every runtime tensor has a home, no two
// buffers of a region that are live at the same step overlap, alignment
// holds, offsets lie within their region.
Status verifyPlan(const Graph& g, const MemoryPlan& p);

}  // namespace emlc
