#include "plan/schedule.h"

#include <algorithm>
#include <map>

namespace emlc {

namespace {

using Bits = std::vector<uint64_t>;

bool has(const Bits& b, int i) { return (b[static_cast<size_t>(i) >> 6] >> (i & 63)) & 1u; }
void set(Bits& b, int i) { b[static_cast<size_t>(i) >> 6] |= uint64_t{1} << (i & 63); }

// True when `a` holds the lowest node index where the two sets differ.
bool lowerIndicesFirst(const Bits& a, const Bits& b) {
  for (size_t w = 0; w < a.size(); ++w) {
    if (a[w] == b[w]) continue;
    const uint64_t x = a[w] ^ b[w];
    return (a[w] & (x & (~x + 1))) != 0;
  }
  return false;
}

class Model {
 public:
  explicit Model(const ScheduleProblem& p) : p_(p), readers_(p.value_size.size()) {
    for (size_t n = 0; n < p.numNodes(); ++n)
      for (int v : p.reads[n]) readers_[static_cast<size_t>(v)].push_back(static_cast<int>(n));
  }

  size_t initialLive() const {
    size_t s = 0;
    for (size_t v = 0; v < p_.value_size.size(); ++v)
      if (p_.value_at_start[v]) s += p_.value_size[v];
    return s;
  }

  // Live bytes during node u and after it, given the set of nodes run before.
  void step(const Bits& done, int u, size_t live, size_t* during, size_t* after) const {
    const size_t un = static_cast<size_t>(u);
    size_t created = 0, unread = 0;
    for (int v : p_.creates[un]) {
      created += size(v);
      if (readers_[static_cast<size_t>(v)].empty() && !p_.value_at_end[static_cast<size_t>(v)]) unread += size(v);
    }
    size_t reuse = 0;
    if (!p_.creates[un].empty())
      for (int v : p_.in_place[un])
        if (diesAt(done, v, u)) {
          reuse = std::min(size(v), size(p_.creates[un][0]));
          break;
        }
    size_t freed = 0;
    for (int v : p_.reads[un])
      if (diesAt(done, v, u)) freed += size(v);
    *during = live + created - reuse + p_.scratch[un];
    *after = live + created - unread - freed;
  }

  bool ready(const Bits& done, int u) const {
    if (has(done, u)) return false;
    for (int q : p_.preds[static_cast<size_t>(u)])
      if (!has(done, q)) return false;
    return true;
  }

 private:
  size_t size(int v) const { return p_.value_size[static_cast<size_t>(v)]; }
  // Every reader of v other than u has run, and v is not needed at the end.
  bool diesAt(const Bits& done, int v, int u) const {
    if (p_.value_at_end[static_cast<size_t>(v)]) return false;
    for (int r : readers_[static_cast<size_t>(v)])
      if (r != u && !has(done, r)) return false;
    return true;
  }

  const ScheduleProblem& p_;
  std::vector<std::vector<int>> readers_;
};

}  // namespace

size_t schedulePeak(const ScheduleProblem& p, const std::vector<int>& order) {
  Model m(p);
  Bits done((p.numNodes() + 63) / 64, 0);
  size_t live = m.initialLive(), peak = live;
  for (int u : order) {
    size_t during = 0, after = 0;
    m.step(done, u, live, &during, &after);
    peak = std::max(peak, during);
    live = after;
    set(done, u);
  }
  return peak;
}

ScheduleResult searchSchedule(const ScheduleProblem& p, const ScheduleOptions& opt) {
  const int n = static_cast<int>(p.numNodes());
  Model m(p);
  ScheduleResult res;
  res.exhaustive = true;
  struct State {
    Bits done;
    size_t live, peak;
    int parent, node;
  };
  struct Link { int parent, node; };
  std::vector<std::vector<Link>> history;
  std::vector<State> cur;
  cur.push_back(State{Bits((static_cast<size_t>(n) + 63) / 64, 0), m.initialLive(), m.initialLive(), -1, -1});
  for (int layer = 0; layer < n; ++layer) {
    std::map<Bits, State> next;  // ordered: deterministic iteration
    for (size_t si = 0; si < cur.size(); ++si) {
      const State& s = cur[si];
      for (int u = 0; u < n; ++u) {
        ++res.steps;
        if (!m.ready(s.done, u)) continue;
        size_t during = 0, after = 0;
        m.step(s.done, u, s.live, &during, &after);
        State c{s.done, after, std::max(s.peak, during), static_cast<int>(si), u};
        set(c.done, u);
        auto it = next.find(c.done);
        if (it == next.end()) next.emplace(c.done, std::move(c));
        else if (c.peak < it->second.peak) it->second = std::move(c);
      }
    }
    std::vector<State> layerStates;
    layerStates.reserve(next.size());
    for (auto& kv : next) layerStates.push_back(std::move(kv.second));
    std::sort(layerStates.begin(), layerStates.end(), [](const State& a, const State& b) {
      if (a.peak != b.peak) return a.peak < b.peak;
      if (a.live != b.live) return a.live < b.live;
      return lowerIndicesFirst(a.done, b.done);
    });
    const size_t width = res.steps > opt.budget ? 1 : static_cast<size_t>(std::max(opt.beam, 1));
    if (layerStates.size() > width) {
      layerStates.resize(width);
      res.exhaustive = false;
    }
    if (layerStates.empty()) {  // not a DAG: should not happen for a verified graph
      res.exhaustive = false;
      break;
    }
    std::vector<Link> links;
    for (const State& s : layerStates) links.push_back({s.parent, s.node});
    history.push_back(std::move(links));
    cur = std::move(layerStates);
  }
  if (static_cast<int>(history.size()) != n || cur.empty()) {
    res.order.clear();
    for (int u = 0; u < n; ++u) res.order.push_back(u);
    res.peak = schedulePeak(p, res.order);
    res.exhaustive = false;
    return res;
  }
  res.peak = cur[0].peak;
  res.order.assign(static_cast<size_t>(n), -1);
  int idx = 0;
  for (int layer = n - 1; layer >= 0; --layer) {
    const Link& l = history[static_cast<size_t>(layer)][static_cast<size_t>(idx)];
    res.order[static_cast<size_t>(layer)] = l.node;
    idx = l.parent;
  }
  return res;
}

}  // namespace emlc
