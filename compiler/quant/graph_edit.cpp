#include "quant/graph_edit.h"

#include <fmt/format.h>

#include <cstring>
#include <queue>

#include "ops/op.h"
#include "ops/op_util.h"

namespace emlc {

Status inferNode(Graph& g, NodeId id) {
  Node& n = g.n(id);
  const Op* op = findOp(n.domain, n.op_type);
  if (!op) return internal(fmt::format("{}: no implementation registered", g.label(n)));
  std::vector<QuantParams> keep;
  for (TensorId o : n.outputs) keep.push_back(o == kNoTensor ? QuantParams{} : g.t(o).type.quant);
  Status st = op->infer(n, g);
  if (!st) return Error(st.error()).context(g.label(n));
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    const TensorId o = n.outputs[k];
    if (o == kNoTensor) continue;
    TensorType& t = g.t(o).type;
    if (!t.quant.quantized() && keep[k].quantized() && dtypeIsInteger(t.dtype)) t.quant = keep[k];
  }
  return Status::ok();
}

bool isOp(const Graph& g, NodeId id, const char* op_type) {
  if (id < 0) return false;
  const Node& n = g.n(id);
  return !n.dead && n.domain.empty() && n.op_type == op_type;
}

std::optional<std::vector<double>> constantValues(const Graph& g, TensorId t) {
  if (t == kNoTensor || !g.t(t).isConstant()) return std::nullopt;
  auto v = constDoubles(g, t);
  if (!v) return std::nullopt;
  return *v;
}

namespace {
// Scale/zero point inputs 1 and 2 of a Q/DQ node as QuantParams.
std::optional<QuantParams> nodeParams(const Graph& g, const Node& n, int64_t rank) {
  auto s = constantValues(g, n.in(1));
  if (!s || s->empty()) return std::nullopt;
  std::vector<double> z(s->size(), 0.0);
  if (n.in(2) != kNoTensor) {
    auto zz = constantValues(g, n.in(2));
    if (!zz || zz->size() != s->size()) return std::nullopt;
    z = *zz;
  }
  QuantParams p;
  for (size_t i = 0; i < s->size(); ++i) {
    p.scale.push_back(static_cast<float>((*s)[i]));
    p.zero_point.push_back(static_cast<int32_t>(z[i]));
  }
  if (s->size() > 1 || g.t(n.in(1)).type.rank() == 1) {
    int64_t axis = n.attrInt("axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return std::nullopt;
    if (s->size() > 1) p.axis = static_cast<int32_t>(axis);
  }
  for (float v : p.scale)
    if (!(v > 0.0f) || !std::isfinite(v)) return std::nullopt;
  return p;
}
}  // namespace

std::optional<DqSource> dequantSource(const Graph& g, TensorId f) {
  if (f == kNoTensor) return std::nullopt;
  const NodeId p = g.t(f).producer;
  if (!isOp(g, p, "DequantizeLinear")) return std::nullopt;
  const Node& n = g.n(p);
  auto params = nodeParams(g, n, g.t(n.in(0)).type.rank());
  if (!params) return std::nullopt;
  DqSource d;
  d.node = p;
  d.q = n.in(0);
  d.params = *params;
  return d;
}

std::optional<QuantParams> quantizeParams(const Graph& g, const Node& q) {
  if (q.dead || q.domain != "" || q.op_type != "QuantizeLinear") return std::nullopt;
  return nodeParams(g, q, g.t(q.in(0)).type.rank());
}

std::optional<QuantScalar> scalarOf(const QuantParams& p) {
  if (p.scale.size() != 1) return std::nullopt;
  QuantScalar s;
  s.scale = p.scale[0];
  s.zero_point = p.zero_point.empty() ? 0 : p.zero_point[0];
  return s;
}

bool attachQuant(Graph& g, TensorId t, const QuantParams& p) {
  TensorType& ty = g.t(t).type;
  QuantParams want = p;
  if (want.scale.size() == 1) want.axis = -1;
  if (!ty.quant.quantized()) {
    ty.quant = want;
    return true;
  }
  QuantParams have = ty.quant;
  if (have.scale.size() == 1) have.axis = -1;
  if (have.zero_point.empty()) have.zero_point.assign(have.scale.size(), 0);
  return have == want;
}

Status topoSort(Graph& g) {
  const size_t n = g.nodes.size();
  std::vector<int> missing(n, 0);
  std::vector<std::vector<size_t>> users(n);
  g.relinkProducers();
  for (size_t i = 0; i < n; ++i) {
    if (g.nodes[i].dead) continue;
    for (TensorId x : g.nodes[i].inputs) {
      if (x == kNoTensor) continue;
      const NodeId p = g.t(x).producer;
      if (p < 0 || g.n(p).dead) continue;
      users[static_cast<size_t>(p)].push_back(i);
      ++missing[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < n; ++i)
    if (!g.nodes[i].dead && missing[i] == 0) ready.push(i);
  std::vector<Node> order;
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    order.push_back(g.nodes[i]);
    for (size_t u : users[i])
      if (--missing[u] == 0) ready.push(u);
  }
  size_t live = 0;
  for (const Node& x : g.nodes) live += x.dead ? 0 : 1;
  if (order.size() != live) return internal("the graph has a cycle after quantization");
  g.nodes = std::move(order);
  g.relinkProducers();
  return Status::ok();
}

}  // namespace emlc
