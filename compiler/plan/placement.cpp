#include "plan/placement.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

namespace emlc {

namespace {

// Conflict lists (only buffers with a size), computed once per problem.
struct Problem {
  const std::vector<BufferReq>& b;
  std::vector<std::vector<size_t>> conf;
  std::vector<size_t> live;  // indices of buffers with size > 0

  explicit Problem(const std::vector<BufferReq>& bufs) : b(bufs), conf(bufs.size()) {
    for (size_t i = 0; i < b.size(); ++i)
      if (b[i].size > 0) live.push_back(i);
    // Sweep by first step: only buffers starting no later than i's last step
    // can conflict with i.
    std::vector<size_t> byFirst = live;
    std::stable_sort(byFirst.begin(), byFirst.end(), [&](size_t x, size_t y) { return b[x].first < b[y].first; });
    for (size_t a = 0; a < byFirst.size(); ++a) {
      const size_t i = byFirst[a];
      for (size_t c = a + 1; c < byFirst.size() && b[byFirst[c]].first <= b[i].last; ++c) {
        const size_t j = byFirst[c];
        conf[i].push_back(j);
        conf[j].push_back(i);
      }
    }
    for (auto& v : conf) std::sort(v.begin(), v.end());
  }
};

// Placement state shared by the strategies.
struct Packer {
  const Problem& pr;
  std::vector<size_t> off;
  std::vector<char> placed;
  std::vector<std::pair<size_t, size_t>> busy;
  int64_t steps = 0;

  explicit Packer(const Problem& p) : pr(p), off(p.b.size(), 0), placed(p.b.size(), 0) {}

  void reset() {
    std::fill(off.begin(), off.end(), 0);
    std::fill(placed.begin(), placed.end(), 0);
  }

  // Offset buffer i would get among the placed buffers it conflicts with.
  size_t position(size_t i, bool bestFit) {
    ++steps;
    const BufferReq& r = pr.b[i];
    busy.clear();
    for (size_t j : pr.conf[i])
      if (placed[j]) busy.emplace_back(off[j], off[j] + pr.b[j].size);
    std::sort(busy.begin(), busy.end());
    size_t cursor = 0, best = SIZE_MAX, bestGap = SIZE_MAX;
    for (const auto& iv : busy) {
      const size_t start = alignUp(cursor, r.align);
      if (iv.first >= start && iv.first - start >= r.size) {
        if (!bestFit) return start;
        if (iv.first - start < bestGap) {
          bestGap = iv.first - start;
          best = start;
        }
      }
      cursor = std::max(cursor, iv.second);
    }
    return best != SIZE_MAX ? best : alignUp(cursor, r.align);
  }

  size_t end(size_t i) const { return alignUp(off[i] + pr.b[i].size, pr.b[i].align); }

  Placement run(const std::vector<size_t>& order, bool bestFit) {
    reset();
    Placement p;
    for (size_t i : order) {
      if (pr.b[i].size == 0) continue;
      off[i] = position(i, bestFit);
      placed[i] = 1;
      p.arena = std::max(p.arena, end(i));
    }
    p.offsets = off;
    return p;
  }
};

std::vector<size_t> iota(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), size_t{0});
  return v;
}

template <class Less>
std::vector<size_t> sortedOrder(size_t n, Less less) {
  std::vector<size_t> v = iota(n);
  std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) { return less(a, b) ? true : (less(b, a) ? false : a < b); });
  return v;
}

std::vector<size_t> sizeOrder(const std::vector<BufferReq>& b) {
  return sortedOrder(b.size(), [&](size_t x, size_t y) {
    if (b[x].size != b[y].size) return b[x].size > b[y].size;
    return b[x].first < b[y].first;
  });
}

// SplitMix64: a tiny PRNG with the same output on every platform (the
// standard library's distributions are implementation-defined).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

// Exact branch and bound over canonical first-fit orders (see placement.h).
class BranchAndBound {
 public:
  BranchAndBound(const Problem& pr, size_t bound, int64_t budget)
      : pr_(pr), pk_(pr), bound_(bound), budget_(budget) {}

  // Returns true when the search finished (the best is optimal). `best` is
  // the incumbent on entry and improved in place.
  bool run(Placement& best) {
    best_ = &best;
    aborted_ = false;
    unplaced_ = pr_.live;
    dfs(0, SIZE_MAX, 0);
    return !aborted_;
  }
  int64_t steps() const { return pk_.steps; }

 private:
  bool stop() const { return aborted_ || best_->arena <= bound_; }

  void dfs(size_t lastOff, size_t lastIdx, size_t arena) {
    if (stop()) return;
    if (unplaced_.empty()) {
      if (arena < best_->arena) {
        best_->arena = arena;
        best_->offsets = pk_.off;
        for (size_t i = 0; i < pr_.b.size(); ++i)
          if (pr_.b[i].size == 0) best_->offsets[i] = 0;
      }
      return;
    }
    if (pk_.steps + static_cast<int64_t>(unplaced_.size()) > budget_) {
      aborted_ = true;
      return;
    }
    struct Cand { size_t off, idx; };
    std::vector<Cand> cands;
    size_t lb = arena;
    const bool first = lastIdx == SIZE_MAX;
    for (size_t u : unplaced_) {
      const size_t ff = pk_.position(u, false);
      const size_t from = first ? ff : std::max(ff, lastOff);
      lb = std::max(lb, alignUp(alignUp(from, pr_.b[u].align) + pr_.b[u].size, pr_.b[u].align));
      if (first || ff > lastOff || (ff == lastOff && u > lastIdx)) cands.push_back({ff, u});
    }
    if (lb >= best_->arena) return;
    std::sort(cands.begin(), cands.end(), [&](const Cand& x, const Cand& y) {
      if (x.off != y.off) return x.off < y.off;
      if (pr_.b[x.idx].size != pr_.b[y.idx].size) return pr_.b[x.idx].size > pr_.b[y.idx].size;
      return x.idx < y.idx;
    });
    for (const Cand& c : cands) {
      const size_t e = alignUp(c.off + pr_.b[c.idx].size, pr_.b[c.idx].align);
      if (std::max(arena, e) >= best_->arena) continue;
      auto it = std::find(unplaced_.begin(), unplaced_.end(), c.idx);
      const size_t pos = static_cast<size_t>(it - unplaced_.begin());
      unplaced_.erase(it);
      pk_.off[c.idx] = c.off;
      pk_.placed[c.idx] = 1;
      dfs(c.off, c.idx, std::max(arena, e));
      pk_.placed[c.idx] = 0;
      unplaced_.insert(unplaced_.begin() + static_cast<std::ptrdiff_t>(pos), c.idx);
      if (stop()) return;
    }
  }

  const Problem& pr_;
  Packer pk_;
  size_t bound_;
  int64_t budget_;
  Placement* best_ = nullptr;
  bool aborted_ = false;
  std::vector<size_t> unplaced_;
};

// Order of the buffers by their offsets in a placement (ties by index): first
// fit in this order never does worse than the placement itself.
std::vector<size_t> offsetOrder(const std::vector<BufferReq>& b, const Placement& p) {
  return sortedOrder(b.size(), [&](size_t x, size_t y) { return p.offsets[x] < p.offsets[y]; });
}

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

std::vector<size_t> liveProfile(const std::vector<BufferReq>& bufs, int steps) {
  std::vector<size_t> live(static_cast<size_t>(std::max(steps, 0)), 0);
  for (const BufferReq& b : bufs)
    for (int s = std::max(b.first, 0); s <= b.last && s < steps; ++s)
      live[static_cast<size_t>(s)] += alignUp(b.size, b.align);
  return live;
}

Placement placeInOrder(const std::vector<BufferReq>& bufs, const std::vector<size_t>& order, bool bestFit) {
  Problem pr(bufs);
  Packer pk(pr);
  return pk.run(order, bestFit);
}

Placement placeGreedyBySize(const std::vector<BufferReq>& bufs) {
  return placeInOrder(bufs, sizeOrder(bufs), true);
}

Placement placeGreedyByConflicts(const std::vector<BufferReq>& bufs) {
  Problem pr(bufs);
  std::vector<size_t> order = sortedOrder(bufs.size(), [&](size_t x, size_t y) {
    if (pr.conf[x].size() != pr.conf[y].size()) return pr.conf[x].size() > pr.conf[y].size();
    if (bufs[x].size != bufs[y].size) return bufs[x].size > bufs[y].size;
    return bufs[x].first < bufs[y].first;
  });
  Packer pk(pr);
  return pk.run(order, true);
}

Placement placeSearch(const std::vector<BufferReq>& bufs, const SearchOptions& opt, SearchStats* stats) {
  constexpr size_t kExactLimit = 64;
  SearchStats local;
  SearchStats& st = stats ? *stats : local;
  st = SearchStats{};
  Problem pr(bufs);
  Packer pk(pr);
  const size_t bound = lowerBound(bufs);
  const std::vector<BufferReq>& b = bufs;

  Placement best;
  best.arena = SIZE_MAX;
  auto consider = [&](Placement p, const std::string& how) {
    if (p.arena < best.arena) {
      best = std::move(p);
      st.how = how;
    }
  };

  // Phase 1: a fixed list of orders, first fit and best fit.
  std::vector<size_t> weight(b.size(), 0);  // bytes of the buffer and its conflicts
  for (size_t i = 0; i < b.size(); ++i) {
    weight[i] = b[i].size;
    for (size_t j : pr.conf[i]) weight[i] += b[j].size;
  }
  const std::vector<std::pair<std::string, std::function<bool(size_t, size_t)>>> orders = {
      {"size, earlier first", [&](size_t x, size_t y) {
         return b[x].size != b[y].size ? b[x].size > b[y].size : b[x].first < b[y].first;
       }},
      {"size, later first", [&](size_t x, size_t y) {
         return b[x].size != b[y].size ? b[x].size > b[y].size : b[x].first > b[y].first;
       }},
      {"size, longer first", [&](size_t x, size_t y) {
         if (b[x].size != b[y].size) return b[x].size > b[y].size;
         return b[x].last - b[x].first > b[y].last - b[y].first;
       }},
      {"start step", [&](size_t x, size_t y) {
         return b[x].first != b[y].first ? b[x].first < b[y].first : b[x].size > b[y].size;
       }},
      {"conflicting bytes", [&](size_t x, size_t y) {
         return weight[x] != weight[y] ? weight[x] > weight[y] : b[x].size > b[y].size;
       }},
      {"size x lifetime", [&](size_t x, size_t y) {
         const size_t ax = b[x].size * static_cast<size_t>(b[x].last - b[x].first + 1);
         const size_t ay = b[y].size * static_cast<size_t>(b[y].last - b[y].first + 1);
         return ax != ay ? ax > ay : b[x].size > b[y].size;
       }},
  };
  std::vector<size_t> bestOrder;
  for (const auto& [name, less] : orders) {
    std::vector<size_t> order = sortedOrder(b.size(), less);
    for (bool bf : {false, true}) {
      Placement p = pk.run(order, bf);
      if (p.arena < best.arena) bestOrder = order;
      consider(std::move(p), fmt::format("order '{}', {}", name, bf ? "best fit" : "first fit"));
      if (best.arena <= bound) break;
    }
    if (best.arena <= bound) break;
  }
  int64_t bbSteps = 0;

  // Phase 2: exact branch and bound (half the remaining budget), for sets
  // small enough that it can hope to finish.
  if (best.arena > bound && !pr.live.empty() && pr.live.size() <= kExactLimit) {
    const int64_t share = std::max<int64_t>(0, (opt.budget - pk.steps) / 2);
    BranchAndBound bb(pr, bound, share);
    const size_t before = best.arena;
    bool done = bb.run(best);
    bbSteps = bb.steps();
    if (best.arena < before) st.how = "branch and bound";
    if (done) {
      st.exhaustive = true;
      if (best.arena < before) st.how = "branch and bound (exhaustive)";
    }
  }

  // Phase 3: local search: swaps in the offset order of the best placement.
  if (best.arena > bound && !st.exhaustive && pr.live.size() > 1) {
    std::vector<size_t> order = offsetOrder(b, best);
    Placement cur = pk.run(order, false);
    consider(cur, st.how);
    Rng rng{opt.seed};
    const size_t n = order.size();
    while (pk.steps + bbSteps + static_cast<int64_t>(pr.live.size()) <= opt.budget && best.arena > bound) {
      size_t i = rng.below(n), j = rng.below(n);
      if (i == j) continue;
      std::swap(order[i], order[j]);
      Placement p = pk.run(order, false);
      if (p.arena <= cur.arena) {
        cur = p;
        if (p.arena < best.arena) consider(std::move(p), "local search");
      } else {
        std::swap(order[i], order[j]);
      }
    }
  }
  st.steps = pk.steps + bbSteps;
  if (best.offsets.size() != b.size()) best.offsets.assign(b.size(), 0);
  if (best.arena == SIZE_MAX) best.arena = 0;
  return best;
}

const char* strategyName(Strategy s) {
  switch (s) {
    case Strategy::GreedyBySize: return "greedy-by-size";
    case Strategy::GreedyByConflicts: return "greedy-by-conflicts";
    case Strategy::Search: return "search";
  }
  return "?";
}

BestPlacement placeBest(const std::vector<BufferReq>& bufs, const SearchOptions& opt) {
  BestPlacement r;
  r.bound = lowerBound(bufs);
  auto consider = [&](Strategy s, Placement p, const std::string& detail) {
    r.tried.emplace_back(s, p.arena);
    if (r.tried.size() == 1 || p.arena < r.placement.arena) {
      r.placement = std::move(p);
      r.strategy = s;
      r.detail = detail;
    }
  };
  consider(Strategy::GreedyBySize, placeGreedyBySize(bufs), strategyName(Strategy::GreedyBySize));
  if (r.placement.arena > r.bound)
    consider(Strategy::GreedyByConflicts, placeGreedyByConflicts(bufs), strategyName(Strategy::GreedyByConflicts));
  if (r.placement.arena > r.bound) {
    SearchStats st;
    Placement p = placeSearch(bufs, opt, &st);
    const size_t arena = p.arena;
    consider(Strategy::Search, std::move(p), fmt::format("search: {}", st.how));
    if (st.exhaustive && r.placement.arena <= arena) r.optimal = true;
    if (st.exhaustive) r.detail += " (exhaustive: optimal)";
  }
  if (r.placement.arena <= r.bound) r.optimal = true;
  return r;
}

Status checkPlacement(const std::vector<BufferReq>& bufs, const Placement& p) {
  if (p.offsets.size() != bufs.size()) return internal("placement has the wrong number of offsets");
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (bufs[i].size == 0) continue;
    if (bufs[i].align > 1 && p.offsets[i] % bufs[i].align != 0)
      return internal(fmt::format("buffer {} at offset {} breaks alignment {}", i, p.offsets[i], bufs[i].align));
    if (p.offsets[i] + bufs[i].size > p.arena) return internal(fmt::format("buffer {} ends beyond the arena", i));
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      if (bufs[j].size == 0 || !lifetimesOverlap(bufs[i], bufs[j])) continue;
      bool overlap = p.offsets[i] < p.offsets[j] + bufs[j].size && p.offsets[j] < p.offsets[i] + bufs[i].size;
      if (overlap) return internal(fmt::format("live buffers {} and {} overlap", i, j));
    }
  }
  return Status::ok();
}

}  // namespace emlc
