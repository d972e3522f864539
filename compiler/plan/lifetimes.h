// Lifetime analysis: from a graph and a schedule to logical buffers (groups
// of tensors sharing bytes) with sizes and step ranges, ready for placement.
//
// Storage groups. Tensors that share bytes form a group; every member has a
// byte offset inside its group. Three rules create groups, applied in this
// order (each is optional, see LifetimeOptions):
//  1. Views: the output of a view op (Reshape, Flatten, Squeeze, Unsqueeze,
//     Identity: Op::isView) is its input's bytes.
//  2. Concat slices: a Concat along an outer axis (every output dimension
//     before the axis is 1, so each input is one contiguous byte range of the
//     output) whose inputs can all live inside the output: each input's group
//     is placed at its slice, the producers write there, and the Concat node
//     itself is elided (no code). All-or-nothing per Concat. An input may not
//     be a constant, a graph input or output, a slice of another Concat or
//     appear twice.
//  3. In place: walking the schedule, a node whose Op allows output 0 to
//     overwrite input k (Op::inPlace), where input k has output 0's exact
//     type, lives in a writable group, is read by no other input of the node
//     and dies at this node (no member of its group is read later or is a
//     graph output), gives output 0 the bytes of input k.
// Homes. float32 graph inputs and outputs live in the caller's buffers
// (Home::Input/Output, never written for inputs); other element types get
// an arena slot that the generated run functions copy/convert through. A
// group holds at most one graph input/output; a caller's buffer must hold
// its group exactly. Every other group is an arena buffer, live from its
// first write to its last read (inclusive steps of the schedule).
// Kernel scratch (Op::scratchBytes) is a buffer live at its node's step only.
//
// Buffers outside the graph (a sensor pipeline's ring, feature scratch and
// state: ExtraBuffer) are planned with the tensors. The pipeline works at two
// pseudo steps: step -1 (pre-processing, before the first node) and step
// `steps` (post-processing, after the last). With `io_in_arena` every graph
// input and output lives in the arena (never in the caller's buffer); inputs
// are live from step -1 (the pipeline writes them) and outputs up to step
// `steps` (the pipeline reads them).
//
// States (Graph::states) are arena buffers live over every step that no node
// writes; their next values live to the last step.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/placement.h"
#include "plan/schedule.h"
#include "support/status.h"

namespace emlc {

enum class Home { None, Arena, Input, Output, Const };

// Memory hints of one node, from its Op (see op.h); tests may build them by hand.
struct NodeHints {
  bool view = false;               // output 0 is input 0 reinterpreted
  std::vector<char> in_place;      // per input: output 0 may overwrite it
  size_t scratch = 0;              // kernel scratch bytes
  bool concat_slices = false;      // a Concat whose inputs are contiguous slices of its output
};
std::vector<NodeHints> nodeHints(const Graph& g);

// When an extra buffer is live (see above).
enum class ExtraPhase {
  Before,  // step -1 only (pre-processing scratch)
  After,   // step `steps` only (post-processing scratch)
  Always,  // steps -1 .. `steps`, and between runs (state kept across windows)
};
struct ExtraBuffer {
  std::string name;  // shown in reports, e.g. "pipeline: sample ring"
  size_t size = 0;
  ExtraPhase phase = ExtraPhase::Always;
};

struct LifetimeOptions {
  bool views = true;
  bool concat = true;
  bool in_place = true;
  size_t alignment = 16;
  bool io_in_arena = false;          // graph inputs/outputs in the arena, live at steps -1 / `steps`
  std::vector<ExtraBuffer> extra;    // appended after the graph's buffers, in this order
};

struct TensorPlace {
  Home home = Home::None;
  int index = -1;     // graph input/output index (Input/Output homes, and IO slots in the arena)
  int buffer = -1;    // logical buffer (Home::Arena)
  size_t offset = 0;  // byte offset inside the buffer or the caller's buffer
};

struct LogicalBuffer {
  std::vector<TensorId> tensors;  // members, by first step then id; empty for scratch
  size_t size = 0;
  int first = 0, last = 0;        // inclusive steps
  NodeId scratch_of = -1;         // scratch buffer of this node
  bool io = false;                // holds a graph input or output (copied at the boundary)
  int extra = -1;                 // index into LifetimeOptions::extra
  std::string label;              // the extra buffer's name
};

struct Lifetimes {
  int steps = 0;
  std::vector<TensorPlace> place;    // by TensorId
  std::vector<LogicalBuffer> buffers;
  std::vector<int> scratch_buffer;   // by NodeId: buffer index or -1
  std::vector<int> extra_buffer;     // by LifetimeOptions::extra index: buffer index
  std::vector<int> in_place_input;   // by NodeId: input index output 0 overwrites, or -1
  std::vector<char> view_shared;     // by NodeId: a view whose output shares its input's bytes
  std::vector<char> elided;          // by NodeId: a Concat whose inputs were written into its output

  std::vector<BufferReq> requests(size_t align) const;
};

// `schedule` lists every node id exactly once in a topological order.
Expected<Lifetimes> analyzeLifetimes(const Graph& g, const std::vector<NodeId>& schedule,
                                     const std::vector<NodeHints>& hints, const LifetimeOptions& opt);

// The schedule search problem of a graph (values: view groups, sizes
// aligned to `align`; in place only where output 0 gets an arena buffer).
ScheduleProblem scheduleProblem(const Graph& g, const std::vector<NodeHints>& hints, size_t align);

}  // namespace emlc
