// Schedule search: a topological order of the nodes that lowers the peak of
// live bytes (the planner's lower bound).
//
// The problem is given abstractly (no graph knowledge): nodes with
// predecessors, the values (storage groups) they create and read, values
// whose bytes a node's output may take over (in place), and scratch bytes.
// A value is live from the step of its creator (or from the start, for
// values live before the first step) to the step of its last reader (or to
// the end, for graph outputs). The peak counts, at each step, the values
// live across it plus what the node creates and its scratch; a value taken
// over in place costs nothing extra.
//
// Algorithm: dynamic programming over "downsets" (the set of nodes already
// run) layer by layer. Two partial orders with the same set have the same
// live bytes and the same future, so only the lower peak so far is kept
// (exact). When a layer has more than `beam` distinct sets, the best `beam`
// by (peak so far, live bytes, lowest node indices first) are kept; the
// result is then no longer proven optimal. The budget counts (state,
// candidate node) evaluations; once spent, the beam narrows to 1 (greedy).
// Everything is deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace emlc {

struct ScheduleProblem {
  std::vector<size_t> value_size;
  std::vector<char> value_at_start;  // live before the first step
  std::vector<char> value_at_end;    // live until the end
  std::vector<std::vector<int>> preds;     // per node: nodes that must run first
  std::vector<std::vector<int>> creates;   // per node: values it creates
  std::vector<std::vector<int>> reads;     // per node: values it reads
  std::vector<std::vector<int>> in_place;  // per node: read values its first created value may overwrite
  std::vector<size_t> scratch;             // per node

  size_t numNodes() const { return preds.size(); }
};

struct ScheduleOptions {
  int beam = 64;
  int64_t budget = 4'000'000;
};

struct ScheduleResult {
  std::vector<int> order;
  size_t peak = 0;
  bool exhaustive = false;  // no layer was truncated: the peak is optimal for the model
  int64_t steps = 0;
};

// Peak of live bytes of one order under the model above (order must be topological).
size_t schedulePeak(const ScheduleProblem& p, const std::vector<int>& order);

ScheduleResult searchSchedule(const ScheduleProblem& p, const ScheduleOptions& opt = {});

}  // namespace emlc
