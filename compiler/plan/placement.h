// Pure placement algorithms: buffers with size, alignment and lifetime in,
// offsets out. No graph knowledge here (see memory_plan.h for the analysis).
//
// Lifetimes are inclusive step ranges [first, last]; two buffers conflict
// when their ranges intersect. A placement is valid when no two conflicting
// buffers overlap in memory and every offset is a multiple of its alignment.
#pragma once

#include <cstddef>
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

inline size_t alignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

// The largest sum of (aligned) sizes of buffers live at the same step: no
// valid placement can be smaller.
size_t lowerBound(const std::vector<BufferReq>& bufs);

// Greedy by size, best fit: largest buffers first, each into the smallest gap
// among already placed buffers it conflicts with.
Placement placeGreedyBySize(const std::vector<BufferReq>& bufs);

// Checks validity (overlap, alignment, arena covers all); the message names
// the first offending pair.
Status checkPlacement(const std::vector<BufferReq>& bufs, const Placement& p);

}  // namespace emlc
