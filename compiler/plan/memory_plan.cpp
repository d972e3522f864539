#include "plan/memory_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "ops/op.h"

namespace emlc {

namespace {

struct Tag {
  Home home = Home::None;  // Input/Output: caller's buffer; Arena: IO slot in the arena
  int index = -1;
  bool is_input = false;
  bool fixed() const { return home != Home::None; }
};

int findRoot(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

}  // namespace

Expected<MemoryPlan> planMemory(const Graph& g) {
  const size_t nt = g.tensors.size();
  const int steps = static_cast<int>(g.nodes.size());
  MemoryPlan plan;
  plan.storage.resize(nt);
  plan.input_in_arena.assign(g.inputs.size(), false);
  plan.output_in_arena.assign(g.outputs.size(), false);

  std::vector<Tag> tag(nt);
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    TensorId id = g.inputs[k];
    bool ext = g.t(id).type.dtype == DType::F32;
    tag[id] = Tag{ext ? Home::Input : Home::Arena, static_cast<int>(k), true};
    plan.input_in_arena[k] = !ext;
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    TensorId id = g.outputs[k];
    if (g.t(id).isConstant() || g.t(id).is_input) continue;  // copied out after the run
    bool ext = g.t(id).type.dtype == DType::F32;
    tag[id] = Tag{ext ? Home::Output : Home::Arena, static_cast<int>(k), false};
    plan.output_in_arena[k] = !ext;
  }

  // Storage groups: views share their input's bytes when homes allow.
  std::vector<int> parent(nt);
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<Tag> rootTag = tag;
  for (const Node& n : g.nodes) {
    const Op* op = findOp(n.domain, n.op_type);
    if (!op || !op->isView() || n.in(0) == kNoTensor || n.out(0) == kNoTensor) continue;
    if (g.t(n.inputs[0]).isConstant()) continue;
    int a = findRoot(parent, n.inputs[0]), b = findRoot(parent, n.outputs[0]);
    if (a == b || (rootTag[a].fixed() && rootTag[b].fixed())) continue;
    parent[b] = a;
    if (rootTag[b].fixed()) rootTag[a] = rootTag[b];
  }

  // Lifetimes per group.
  std::vector<int> first(nt, INT32_MAX), last(nt, -1);
  std::vector<bool> runtime(nt, false);
  for (TensorId id : g.inputs) {
    runtime[id] = true;
    int r = findRoot(parent, id);
    first[r] = 0;
    last[r] = std::max(last[r], 0);
  }
  for (int s = 0; s < steps; ++s) {
    const Node& n = g.nodes[static_cast<size_t>(s)];
    for (TensorId x : n.outputs) {
      if (x == kNoTensor) continue;
      runtime[x] = true;
      int r = findRoot(parent, x);
      first[r] = std::min(first[r], s);
      last[r] = std::max(last[r], s);
    }
    for (TensorId x : n.inputs) {
      if (x == kNoTensor || g.t(x).isConstant()) continue;
      int r = findRoot(parent, x);
      last[r] = std::max(last[r], s);
    }
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    TensorId id = g.outputs[k];
    if (g.t(id).isConstant()) continue;
    int r = findRoot(parent, id);
    last[r] = std::max(last[r], steps - 1);
  }

  // Arena buffers: one per group not living in a caller's buffer.
  std::vector<int> bufOfRoot(nt, -1);
  std::vector<BufferReq> reqs;
  for (size_t i = 0; i < nt; ++i) {
    if (g.tensors[i].isConstant()) {
      plan.storage[i].home = Home::Const;
      continue;
    }
    if (!runtime[i]) continue;
    int r = findRoot(parent, static_cast<int>(i));
    plan.storage[i].group = r;
    const Tag& t = rootTag[r];
    if (t.home == Home::Input || t.home == Home::Output) {
      plan.storage[i].home = t.home;
      plan.storage[i].index = t.index;
      continue;
    }
    plan.storage[i].home = Home::Arena;
    if (bufOfRoot[r] < 0) {
      bufOfRoot[r] = static_cast<int>(plan.buffers.size());
      PlannedBuffer b;
      b.first = first[r] == INT32_MAX ? 0 : first[r];
      b.last = std::max(last[r], b.first);
      plan.buffers.push_back(b);
      reqs.push_back(BufferReq{0, plan.alignment, b.first, b.last});
    }
    PlannedBuffer& b = plan.buffers[static_cast<size_t>(bufOfRoot[r])];
    b.tensors.push_back(static_cast<TensorId>(i));
    b.size = std::max(b.size, g.tensors[i].type.bytes());
    reqs[static_cast<size_t>(bufOfRoot[r])].size = b.size;
  }

  Placement p = placeGreedyBySize(reqs);
  EMLC_TRY(checkPlacement(reqs, p));
  plan.arena_size = p.arena;
  plan.lower_bound = lowerBound(reqs);
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    plan.buffers[b].offset = p.offsets[b];
    for (TensorId id : plan.buffers[b].tensors) plan.storage[static_cast<size_t>(id)].offset = p.offsets[b];
  }
  return plan;
}

std::string formatPlan(const Graph& g, const MemoryPlan& p) {
  std::string s = fmt::format("memory plan: arena {} bytes, lower bound {} bytes, ratio {:.3f}\n", p.arena_size,
                              p.lower_bound,
                              p.lower_bound ? static_cast<double>(p.arena_size) / static_cast<double>(p.lower_bound) : 1.0);
  s += fmt::format("  {:>8} {:>8} {:>6}  {}\n", "offset", "bytes", "steps", "tensor");
  std::vector<size_t> order(p.buffers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p.buffers[a].first != p.buffers[b].first ? p.buffers[a].first < p.buffers[b].first : a < b;
  });
  for (size_t i : order) {
    const PlannedBuffer& b = p.buffers[i];
    std::string names;
    for (TensorId id : b.tensors) names += (names.empty() ? "" : " = ") + g.t(id).name;
    s += fmt::format("  {:>8} {:>8} {:>3}-{:<3} {}\n", b.offset, b.size, b.first, b.last, names);
  }
  return s;
}

}  // namespace emlc
