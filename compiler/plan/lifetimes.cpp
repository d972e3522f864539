#include "plan/lifetimes.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <numeric>
#include <set>

#include "ops/op.h"

namespace emlc {

namespace {

// What fixes a group's home: a graph input or output, or a streaming state
// (arena bytes of its own, live over the whole run and between runs).
enum class Fixed { None, CallerIn, CallerOut, ArenaIn, ArenaOut, State };

bool isCaller(Fixed f) { return f == Fixed::CallerIn || f == Fixed::CallerOut; }

// Inputs and outputs the kernels use in the caller's buffers: float32, and
// int8/uint8 quantized per tensor (NAME_run_f32 converts those through a
// boundary array of their own). Other types live in the arena (converted
// there by NAME_run_f32).
bool callerHome(const TensorType& t) {
  return t.dtype == DType::F32 ||
         ((t.dtype == DType::I8 || t.dtype == DType::U8) && t.quant.scale.size() == 1);
}

// Weighted union-find over tensors: every tensor has a parent and a byte
// offset relative to it; roots carry the group's extent, lifetime and home.
class Groups {
 public:
  explicit Groups(size_t n)
      : parent_(n), off_(n, 0), extent_(n, 0), first_(n, INT_MAX), last_(n, -1), atEnd_(n, 0),
        fixed_(n, Fixed::None), fixedIndex_(n, -1) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }

  // Root of x and x's byte offset inside the root's group.
  std::pair<int, size_t> find(int x) {
    path_.clear();
    int r = x;
    while (parent_[static_cast<size_t>(r)] != r) {
      path_.push_back(r);
      r = parent_[static_cast<size_t>(r)];
    }
    // Compress: walk from the node nearest the root outwards.
    size_t acc = 0;
    for (auto it = path_.rbegin(); it != path_.rend(); ++it) {
      acc += off_[static_cast<size_t>(*it)];
      off_[static_cast<size_t>(*it)] = acc;
      parent_[static_cast<size_t>(*it)] = r;
    }
    return {r, path_.empty() ? 0 : off_[static_cast<size_t>(x)]};
  }

  // Puts group c inside group p at byte offset o. Refuses (and changes
  // nothing) when both have a fixed home or a caller's buffer would no
  // longer hold its group exactly.
  bool attach(int c, int p, size_t o) {
    const size_t ci = static_cast<size_t>(c), pi = static_cast<size_t>(p);
    if (c == p) return false;
    if (fixed_[ci] != Fixed::None && fixed_[pi] != Fixed::None) return false;
    const size_t ext = std::max(extent_[pi], o + extent_[ci]);
    if (isCaller(fixed_[ci]) && (o != 0 || ext != extent_[ci])) return false;
    if (isCaller(fixed_[pi]) && ext != extent_[pi]) return false;
    parent_[ci] = p;
    off_[ci] = o;
    extent_[pi] = ext;
    first_[pi] = std::min(first_[pi], first_[ci]);
    last_[pi] = std::max(last_[pi], last_[ci]);
    atEnd_[pi] = atEnd_[pi] || atEnd_[ci];
    if (fixed_[ci] != Fixed::None) {
      fixed_[pi] = fixed_[ci];
      fixedIndex_[pi] = fixedIndex_[ci];
    }
    return true;
  }

  size_t& extent(int r) { return extent_[static_cast<size_t>(r)]; }
  int& first(int r) { return first_[static_cast<size_t>(r)]; }
  int& last(int r) { return last_[static_cast<size_t>(r)]; }
  char& atEnd(int r) { return atEnd_[static_cast<size_t>(r)]; }
  Fixed& fixed(int r) { return fixed_[static_cast<size_t>(r)]; }
  int& fixedIndex(int r) { return fixedIndex_[static_cast<size_t>(r)]; }

 private:
  std::vector<int> parent_;
  std::vector<size_t> off_;
  std::vector<size_t> extent_;
  std::vector<int> first_, last_;
  std::vector<char> atEnd_;
  std::vector<Fixed> fixed_;
  std::vector<int> fixedIndex_;
  std::vector<int> path_;
};

bool sameType(const TensorType& a, const TensorType& b) { return a.dtype == b.dtype && a.shape == b.shape; }

// Structural conditions for a Concat to be elided (see lifetimes.h).
bool concatOuterAxis(const Graph& g, const Node& n) {
  if (!(n.domain.empty() || n.domain == "ai.onnx") || n.op_type != "Concat") return false;
  if (n.outputs.size() != 1 || n.out(0) == kNoTensor || n.inputs.empty()) return false;
  const Tensor& out = g.t(n.out(0));
  if (!out.typed) return false;
  const int64_t rank = out.type.rank();
  if (rank == 0) return false;
  int64_t axis = 0;
  if (n.has("axis")) axis = n.attrInt("axis", 0);
  else if (n.opset < 4) axis = 1;
  else return false;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  for (int64_t d = 0; d < axis; ++d)
    if (out.type.shape[static_cast<size_t>(d)] != 1) return false;
  size_t bytes = 0;
  for (TensorId x : n.inputs) {
    if (x == kNoTensor || !g.t(x).typed || g.t(x).type.dtype != out.type.dtype) return false;
    if (g.t(x).type.rank() != rank) return false;
    bytes += g.t(x).type.bytes();
  }
  return bytes == out.type.bytes();
}

}  // namespace

std::vector<NodeHints> nodeHints(const Graph& g) {
  std::vector<NodeHints> h(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    h[i].in_place.assign(n.inputs.size(), 0);
    h[i].concat_slices = concatOuterAxis(g, n);
    const Op* op = findOp(n.domain, n.op_type);
    if (!op) continue;
    h[i].view = op->isView();
    h[i].scratch = op->scratchBytes(n, g);
    if (n.out(0) == kNoTensor) continue;
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] != kNoTensor && sameType(g.t(n.inputs[k]).type, g.t(n.out(0)).type))
        h[i].in_place[k] = op->inPlace(n, g, k) ? 1 : 0;
  }
  return h;
}

std::vector<BufferReq> Lifetimes::requests(size_t align) const {
  std::vector<BufferReq> r;
  for (const LogicalBuffer& b : buffers) r.push_back(BufferReq{b.size, align, b.first, b.last});
  return r;
}

Expected<Lifetimes> analyzeLifetimes(const Graph& g, const std::vector<NodeId>& schedule,
                                     const std::vector<NodeHints>& hints, const LifetimeOptions& opt) {
  const size_t nt = g.tensors.size();
  const int steps = static_cast<int>(schedule.size());
  if (schedule.size() != g.nodes.size() || hints.size() != g.nodes.size())
    return internal("memory plan: schedule or hints do not cover the graph");
  std::vector<int> stepOf(g.nodes.size(), -1);
  for (int s = 0; s < steps; ++s) {
    const NodeId id = schedule[static_cast<size_t>(s)];
    if (id < 0 || static_cast<size_t>(id) >= g.nodes.size() || stepOf[static_cast<size_t>(id)] >= 0)
      return internal("memory plan: the schedule is not a permutation of the nodes");
    stepOf[static_cast<size_t>(id)] = s;
  }
  for (int s = 0; s < steps; ++s)
    for (TensorId x : g.n(schedule[static_cast<size_t>(s)]).inputs)
      if (x != kNoTensor && g.t(x).producer >= 0 && stepOf[static_cast<size_t>(g.t(x).producer)] >= s)
        return internal("memory plan: the schedule is not topological");

  Lifetimes L;
  L.steps = steps;
  L.place.resize(nt);
  L.scratch_buffer.assign(g.nodes.size(), -1);
  L.in_place_input.assign(g.nodes.size(), -1);
  L.view_shared.assign(g.nodes.size(), 0);
  L.elided.assign(g.nodes.size(), 0);

  Groups G(nt);
  std::vector<char> runtime(nt, 0);
  auto isConst = [&](TensorId x) { return g.t(x).isConstant(); };
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const TensorId id = g.inputs[k];
    runtime[static_cast<size_t>(id)] = 1;
    G.fixed(id) = callerHome(g.t(id).type) && !opt.io_in_arena ? Fixed::CallerIn : Fixed::ArenaIn;
    G.fixedIndex(id) = static_cast<int>(k);
    G.first(id) = opt.io_in_arena ? -1 : 0;  // the pipeline writes it before the first node
    G.last(id) = G.first(id);
  }
  for (int s = 0; s < steps; ++s) {
    const Node& n = g.n(schedule[static_cast<size_t>(s)]);
    for (TensorId x : n.outputs) {
      if (x == kNoTensor) continue;
      runtime[static_cast<size_t>(x)] = 1;
      G.first(x) = std::min(G.first(x), s);
      G.last(x) = std::max(G.last(x), s);
    }
    for (TensorId x : n.inputs)
      if (x != kNoTensor && !isConst(x)) G.last(x) = std::max(G.last(x), s);
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const TensorId id = g.outputs[k];
    if (isConst(id)) continue;
    G.last(id) = std::max(G.last(id), opt.io_in_arena ? steps : steps - 1);  // the pipeline reads it after
    G.atEnd(id) = 1;
    if (g.t(id).is_input) continue;  // stays in its input home; copied out after the run
    G.fixed(id) = callerHome(g.t(id).type) && !opt.io_in_arena ? Fixed::CallerOut : Fixed::ArenaOut;
    G.fixedIndex(id) = static_cast<int>(k);
  }
  // States: live from the first step to the last and never written by a
  // node (atEnd blocks in-place writes, Fixed blocks Concat slices), so no
  // other buffer shares their bytes and they persist across runs. The next
  // values live to the end of the run, when they are copied into the states.
  for (const StateLink& st : g.states) {
    runtime[static_cast<size_t>(st.value)] = 1;
    G.fixed(st.value) = Fixed::State;
    G.first(st.value) = 0;
    G.last(st.value) = std::max(steps - 1, 0);
    G.atEnd(st.value) = 1;
    if (isConst(st.next)) continue;
    G.last(st.next) = std::max(G.last(st.next), steps - 1);
    G.atEnd(st.next) = 1;
  }
  for (size_t i = 0; i < nt; ++i) {
    const TensorId id = static_cast<TensorId>(i);
    G.extent(id) = g.t(id).type.bytes();
    if (G.first(id) == INT_MAX) G.first(id) = 0;  // unused tensors
    G.last(id) = std::max(G.last(id), G.first(id));
  }
  auto whole = [&](TensorId x, int root, size_t off) {
    return off == 0 && g.t(x).type.bytes() == G.extent(root);
  };

  // 1. Views.
  if (opt.views) {
    for (int s = 0; s < steps; ++s) {
      const NodeId id = schedule[static_cast<size_t>(s)];
      const Node& n = g.n(id);
      if (!hints[static_cast<size_t>(id)].view || n.in(0) == kNoTensor || n.out(0) == kNoTensor) continue;
      if (isConst(n.inputs[0]) || g.t(n.inputs[0]).type.bytes() != g.t(n.outputs[0]).type.bytes()) continue;
      auto [a, oa] = G.find(n.inputs[0]);
      auto [b, ob] = G.find(n.outputs[0]);
      if (a == b || ob != 0 || !whole(n.outputs[0], b, ob)) continue;
      if (G.attach(b, a, oa)) L.view_shared[static_cast<size_t>(id)] = 1;
    }
  }

  // 2. Concat slices.
  if (opt.concat) {
    for (int s = 0; s < steps; ++s) {
      const NodeId id = schedule[static_cast<size_t>(s)];
      const Node& n = g.n(id);
      if (!hints[static_cast<size_t>(id)].concat_slices) continue;
      auto [ro, oo] = G.find(n.outputs[0]);
      if (!whole(n.outputs[0], ro, oo)) continue;
      std::vector<int> roots;
      bool ok = true;
      for (TensorId x : n.inputs) {
        if (x == kNoTensor || isConst(x) || !runtime[static_cast<size_t>(x)]) { ok = false; break; }
        auto [r, o] = G.find(x);
        if (!whole(x, r, o) || G.fixed(r) != Fixed::None || r == ro ||
            std::find(roots.begin(), roots.end(), r) != roots.end()) {
          ok = false;
          break;
        }
        roots.push_back(r);
      }
      if (!ok) continue;
      size_t at = 0;
      for (size_t k = 0; k < roots.size(); ++k) {
        const size_t bytes = g.t(n.inputs[k]).type.bytes();
        if (!G.attach(roots[k], ro, at)) return internal(g.label(n) + ": concat slice could not be attached");
        at += bytes;
      }
      L.elided[static_cast<size_t>(id)] = 1;
    }
  }

  // 3. In place, in schedule order (a group's last use is final: it counts
  //    every member, including later ones).
  if (opt.in_place) {
    for (int s = 0; s < steps; ++s) {
      const NodeId id = schedule[static_cast<size_t>(s)];
      const Node& n = g.n(id);
      const NodeHints& h = hints[static_cast<size_t>(id)];
      if (n.out(0) == kNoTensor || L.elided[static_cast<size_t>(id)] || L.view_shared[static_cast<size_t>(id)])
        continue;
      const TensorId y = n.outputs[0];
      for (size_t k = 0; k < n.inputs.size() && k < h.in_place.size(); ++k) {
        const TensorId x = n.inputs[k];
        if (!h.in_place[k] || x == kNoTensor || isConst(x) || !sameType(g.t(x).type, g.t(y).type)) continue;
        auto [rx, ox] = G.find(x);
        auto [ry, oy] = G.find(y);
        if (rx == ry || G.fixed(rx) == Fixed::CallerIn || G.atEnd(rx) || G.last(rx) != s) continue;
        bool shared = false;
        for (size_t j = 0; j < n.inputs.size(); ++j)
          if (j != k && n.inputs[j] != kNoTensor && !isConst(n.inputs[j]) && G.find(n.inputs[j]).first == rx)
            shared = true;
        if (shared) continue;
        bool done = false;
        if (whole(y, ry, oy)) done = G.attach(ry, rx, ox);
        if (!done && whole(x, rx, ox)) done = G.attach(rx, ry, oy);
        if (done) {
          L.in_place_input[static_cast<size_t>(id)] = static_cast<int>(k);
          break;
        }
      }
    }
  }

  // Buffers: one per group that is not a caller's buffer.
  std::vector<int> bufOfRoot(nt, -1);
  std::vector<std::pair<int, TensorId>> order;  // (first step, id): members listed in order
  for (size_t i = 0; i < nt; ++i)
    if (runtime[i] && !g.tensors[i].isConstant()) order.emplace_back(G.first(static_cast<int>(i)), static_cast<TensorId>(i));
  for (size_t i = 0; i < nt; ++i)
    if (g.tensors[i].isConstant()) L.place[i].home = Home::Const;
  std::sort(order.begin(), order.end());
  for (const auto& fi : order) {
    const TensorId id = fi.second;
    auto [r, o] = G.find(id);
    TensorPlace& p = L.place[static_cast<size_t>(id)];
    const Fixed f = G.fixed(r);
    p.offset = o;
    if (isCaller(f)) {
      p.home = f == Fixed::CallerIn ? Home::Input : Home::Output;
      p.index = G.fixedIndex(r);
      continue;
    }
    p.home = Home::Arena;
    if (f != Fixed::None) p.index = G.fixedIndex(r);
    if (bufOfRoot[static_cast<size_t>(r)] < 0) {
      bufOfRoot[static_cast<size_t>(r)] = static_cast<int>(L.buffers.size());
      LogicalBuffer b;
      b.size = G.extent(r);
      b.first = G.first(r);
      b.last = std::max(G.last(r), b.first);
      b.io = f != Fixed::None;
      L.buffers.push_back(b);
    }
    p.buffer = bufOfRoot[static_cast<size_t>(r)];
    L.buffers[static_cast<size_t>(p.buffer)].tensors.push_back(id);
  }
  // Only graph inputs/outputs keep their index on arena members: other
  // members of an IO group are plain tensors.
  for (size_t i = 0; i < nt; ++i) {
    TensorPlace& p = L.place[i];
    if (p.home != Home::Arena) continue;
    const Tensor& t = g.tensors[i];
    if (!t.is_input && !t.is_output) p.index = -1;
  }
  // Scratch.
  for (int s = 0; s < steps; ++s) {
    const NodeId id = schedule[static_cast<size_t>(s)];
    const size_t bytes = hints[static_cast<size_t>(id)].scratch;
    if (bytes == 0) continue;
    LogicalBuffer b;
    b.size = bytes;
    b.first = b.last = s;
    b.scratch_of = id;
    L.scratch_buffer[static_cast<size_t>(id)] = static_cast<int>(L.buffers.size());
    L.buffers.push_back(b);
  }
  // Buffers outside the graph.
  for (size_t e = 0; e < opt.extra.size(); ++e) {
    const ExtraBuffer& x = opt.extra[e];
    LogicalBuffer b;
    b.size = x.size;
    b.first = x.phase == ExtraPhase::After ? steps : -1;
    b.last = x.phase == ExtraPhase::Before ? -1 : steps;
    b.extra = static_cast<int>(e);
    b.label = x.name;
    L.extra_buffer.push_back(static_cast<int>(L.buffers.size()));
    L.buffers.push_back(b);
  }
  (void)opt.alignment;
  return L;
}

ScheduleProblem scheduleProblem(const Graph& g, const std::vector<NodeHints>& hints, size_t align) {
  ScheduleProblem p;
  const size_t nn = g.nodes.size();
  std::vector<NodeId> order(nn);
  std::iota(order.begin(), order.end(), 0);
  LifetimeOptions vo;
  vo.concat = false;
  vo.in_place = false;
  auto L = analyzeLifetimes(g, order, hints, vo);
  p.preds.resize(nn);
  p.creates.resize(nn);
  p.reads.resize(nn);
  p.in_place.resize(nn);
  p.scratch.assign(nn, 0);
  if (!L) return p;
  const Lifetimes& lt = L.value();
  std::vector<char> isNext(g.tensors.size(), 0);
  for (const StateLink& st : g.states) isNext[static_cast<size_t>(st.next)] = 1;
  for (const LogicalBuffer& b : lt.buffers) {
    p.value_size.push_back(alignUp(b.size, align));
    bool start = false, end = false;
    for (TensorId t : b.tensors) {
      start = start || g.t(t).is_input || g.t(t).is_state;
      end = end || g.t(t).is_output || g.t(t).is_state || isNext[static_cast<size_t>(t)];
    }
    p.value_at_start.push_back(start);
    p.value_at_end.push_back(end);
  }
  auto valueOf = [&](TensorId t) -> int {
    const TensorPlace& pl = lt.place[static_cast<size_t>(t)];
    return pl.home == Home::Arena && lt.buffers[static_cast<size_t>(pl.buffer)].scratch_of < 0 ? pl.buffer : -1;
  };
  for (size_t i = 0; i < nn; ++i) {
    const Node& n = g.nodes[i];
    std::set<int> preds, reads;
    for (TensorId x : n.inputs) {
      if (x == kNoTensor || g.t(x).isConstant()) continue;
      if (g.t(x).producer >= 0) preds.insert(g.t(x).producer);
      const int v = valueOf(x);
      if (v >= 0) reads.insert(v);
    }
    p.preds[i].assign(preds.begin(), preds.end());
    p.reads[i].assign(reads.begin(), reads.end());
    std::set<int> created;
    for (TensorId y : n.outputs) {
      if (y == kNoTensor) continue;
      const int v = valueOf(y);
      if (v >= 0 && !reads.count(v) && !created.count(v)) {
        created.insert(v);
        p.creates[i].push_back(v);
      }
    }
    const NodeHints& h = hints[i];
    p.scratch[i] = h.scratch ? alignUp(h.scratch, align) : 0;
    if (n.out(0) == kNoTensor || valueOf(n.out(0)) < 0 || p.creates[i].empty() ||
        p.creates[i][0] != valueOf(n.out(0)))
      continue;
    for (size_t k = 0; k < n.inputs.size() && k < h.in_place.size(); ++k) {
      if (!h.in_place[k] || n.inputs[k] == kNoTensor || g.t(n.inputs[k]).isConstant()) continue;
      const int v = valueOf(n.inputs[k]);
      if (v < 0) continue;
      // Another input of the node in the same group blocks it (see analyzeLifetimes).
      bool shared = false;
      for (size_t j = 0; j < n.inputs.size(); ++j)
        if (j != k && n.inputs[j] != kNoTensor && !g.t(n.inputs[j]).isConstant() && valueOf(n.inputs[j]) == v)
          shared = true;
      if (!shared) p.in_place[i].push_back(v);
    }
  }
  return p;
}

}  // namespace emlc
