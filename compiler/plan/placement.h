// Pure placement algorithms: buffers with size, alignment and lifetime in,
// offsets out. No graph knowledge here (see lifetimes.h for the analysis and
// memory_plan.h for the orchestration).
//
// Lifetimes are inclusive step ranges [first, last]; two buffers conflict
// when their ranges intersect. A placement is valid when no two conflicting
// buffers overlap in memory and every offset is a multiple of its alignment.
// Zero-sized buffers conflict with nothing and sit at offset 0.
//
// Strategies (each deterministic; results depend only on the input):
// - greedy by size, best fit: largest first (ties: earlier first), each into
//   the smallest gap between already placed conflicting buffers (TFLM's
//   GreedyMemoryPlanner idea).
// - greedy by conflicts: buffers with the most conflicting neighbours first
//   (ties: larger first), best fit (TVM USMP's greedy_by_conflicts).
// - search: a bounded search over placement orders. It tries a fixed list of
//   orders with first fit and best fit, then (for up to 64 buffers) an exact
//   branch and bound over "canonical" first-fit orders, then a seeded local
//   search (swaps) on the best order, until the arena reaches the lower
//   bound or the step budget is spent. The exact part rests on this fact: for any valid placement P,
//   placing the buffers by first fit in increasing order of their P offsets
//   gives every buffer an offset <= its P offset; iterating reaches a
//   placement that first fit reproduces in its own offset order. So some
//   optimal placement is produced by first fit in an order whose offsets never
//   decrease, and the branch and bound only explores such orders. When it
//   finishes within the budget the result is proven optimal.
//
// The budget is counted in buffer placements (one first-fit/best-fit
// position computation), never in time, so results never depend on the
// machine's speed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "support/status.h"

namespace emlc {

struct BufferReq {
  size_t size = 0;
  size_t align = 16;
  int first = 0;
  int last = 0;
};

struct Placement {
  std::vector<size_t> offsets;
  size_t arena = 0;
};

inline size_t alignUp(size_t v, size_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

inline bool lifetimesOverlap(const BufferReq& a, const BufferReq& b) {
  return a.first <= b.last && b.first <= a.last;
}

// The largest sum of (aligned) sizes of buffers live at the same step: no
// valid placement can be smaller.
size_t lowerBound(const std::vector<BufferReq>& bufs);

// Live (aligned) bytes at each step 0..steps-1.
std::vector<size_t> liveProfile(const std::vector<BufferReq>& bufs, int steps);

// Places buffers one by one in `order` (indices into bufs; every buffer
// exactly once), each at the lowest aligned offset where it fits (first fit)
// or into the smallest gap that holds it (best fit; above everything when no
// gap does).
Placement placeInOrder(const std::vector<BufferReq>& bufs, const std::vector<size_t>& order, bool bestFit);

Placement placeGreedyBySize(const std::vector<BufferReq>& bufs);
Placement placeGreedyByConflicts(const std::vector<BufferReq>& bufs);

struct SearchOptions {
  int64_t budget = 1'000'000;  // buffer placements
  uint64_t seed = 0x9e3779b97f4a7c15ull;
};
struct SearchStats {
  int64_t steps = 0;      // buffer placements spent
  bool exhaustive = false;  // the branch and bound finished: the result is optimal
  std::string how;          // which phase found the result
};
Placement placeSearch(const std::vector<BufferReq>& bufs, const SearchOptions& opt = {}, SearchStats* stats = nullptr);

enum class Strategy { GreedyBySize, GreedyByConflicts, Search };
const char* strategyName(Strategy s);

// Runs the strategies in the fixed order above and keeps the smallest arena
// (ties: the earlier strategy). Stops as soon as a result reaches the bound.
struct BestPlacement {
  Placement placement;
  Strategy strategy = Strategy::GreedyBySize;
  size_t bound = 0;
  bool optimal = false;  // arena == bound, or the search proved optimality
  std::string detail;    // e.g. "search (exhaustive)"
  std::vector<std::pair<Strategy, size_t>> tried;  // arena per strategy run
};
BestPlacement placeBest(const std::vector<BufferReq>& bufs, const SearchOptions& opt = {});

// Checks validity (overlap, alignment, arena covers all); the message names
// the first offending pair.
Status checkPlacement(const std::vector<BufferReq>& bufs, const Placement& p);

}  // namespace emlc
