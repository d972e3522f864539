#include "plan/placement.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace emlc {

namespace {
bool conflict(const BufferReq& a, const BufferReq& b) { return a.first <= b.last && b.first <= a.last; }
}  // namespace

size_t lowerBound(const std::vector<BufferReq>& bufs) {
  // Sweep over step boundaries: +size at first, -size after last.
  std::map<int, long long> delta;
  for (const BufferReq& b : bufs) {
    if (b.size == 0) continue;
    delta[b.first] += static_cast<long long>(alignUp(b.size, b.align));
    delta[b.last + 1] -= static_cast<long long>(alignUp(b.size, b.align));
  }
  long long cur = 0, best = 0;
  for (const auto& kv : delta) {
    cur += kv.second;
    best = std::max(best, cur);
  }
  return static_cast<size_t>(best);
}

Placement placeGreedyBySize(const std::vector<BufferReq>& bufs) {
  std::vector<size_t> order(bufs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (bufs[a].size != bufs[b].size) return bufs[a].size > bufs[b].size;
    if (bufs[a].first != bufs[b].first) return bufs[a].first < bufs[b].first;
    return a < b;
  });
  Placement p;
  p.offsets.assign(bufs.size(), 0);
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferReq& b = bufs[i];
    if (b.size == 0) { p.offsets[i] = 0; continue; }
    std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of conflicting placed buffers
    for (size_t j : placed)
      if (conflict(b, bufs[j])) busy.emplace_back(p.offsets[j], p.offsets[j] + bufs[j].size);
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& r : busy) {
      size_t start = alignUp(cursor, b.align);
      if (r.first >= start && r.first - start >= b.size && r.first - start < best_gap) {
        best_gap = r.first - start;
        best = start;
      }
      cursor = std::max(cursor, r.second);
    }
    if (best == SIZE_MAX) best = alignUp(cursor, b.align);
    p.offsets[i] = best;
    p.arena = std::max(p.arena, alignUp(best + b.size, b.align));
    placed.push_back(i);
  }
  return p;
}

Status checkPlacement(const std::vector<BufferReq>& bufs, const Placement& p) {
  if (p.offsets.size() != bufs.size()) return internal("placement has the wrong number of offsets");
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (bufs[i].size == 0) continue;
    if (p.offsets[i] % bufs[i].align != 0)
      return internal(fmt::format("buffer {} at offset {} breaks alignment {}", i, p.offsets[i], bufs[i].align));
    if (p.offsets[i] + bufs[i].size > p.arena)
      return internal(fmt::format("buffer {} ends beyond the arena", i));
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      if (bufs[j].size == 0 || !conflict(bufs[i], bufs[j])) continue;
      bool overlap = p.offsets[i] < p.offsets[j] + bufs[j].size && p.offsets[j] < p.offsets[i] + bufs[i].size;
      if (overlap) return internal(fmt::format("live buffers {} and {} overlap", i, j));
    }
  }
  return Status::ok();
}

}  // namespace emlc
