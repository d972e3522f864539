#include "passes/fuse_activations.h"

#include <set>

#include "passes/export_patterns.h"

namespace emlc {

namespace {

// A matched chain: its nodes (the last one becomes the fused node), the
// fused op's input and attributes.
struct Match {
  std::vector<NodeId> nodes;
  TensorId x = kNoTensor;
  std::string op;
  std::string approximate;  // Gelu
};

// The end of both Gelu forms: s = 1 + f(...) already matched; the product
// 0.5 * x * s in any order. Appends the product's nodes; false if no match.
bool matchHalfProduct(const PatternView& v, TensorId s, TensorId x, Match& m) {
  const Node* m1 = v.soleConsumer(s, "Mul");
  if (!m1) return false;
  const TensorId o = v.other(*m1, s);
  if (o == kNoTensor) return false;
  const NodeId id1 = v.producerId(m1->outputs[0]);
  if (o == x) {  // (x * s) * 0.5
    const Node* m2 = v.soleConsumer(m1->outputs[0], "Mul");
    if (!m2 || !v.isConst(v.other(*m2, m1->outputs[0]), 0.5)) return false;
    m.nodes.push_back(id1);
    m.nodes.push_back(v.producerId(m2->outputs[0]));
    return true;
  }
  if (v.isConst(o, 0.5)) {  // (s * 0.5) * x
    const Node* m2 = v.soleConsumer(m1->outputs[0], "Mul");
    if (!m2 || v.other(*m2, m1->outputs[0]) != x) return false;
    m.nodes.push_back(id1);
    m.nodes.push_back(v.producerId(m2->outputs[0]));
    return true;
  }
  const Node* m0 = v.producer(o, "Mul");  // (x * 0.5) * s
  if (!m0 || !v.internal(o) || !v.isConst(v.other(*m0, x), 0.5)) return false;
  m.nodes.push_back(v.producerId(o));
  m.nodes.push_back(id1);
  return true;
}

// s = 1 + t where t is the output of the chain so far.
bool matchOnePlus(const PatternView& v, TensorId t, Match& m, TensorId* s) {
  const Node* add = v.soleConsumer(t, "Add");
  if (!add || !v.isConst(v.other(*add, t), 1.0)) return false;
  m.nodes.push_back(v.producerId(add->outputs[0]));
  *s = add->outputs[0];
  return true;
}

bool matchGeluErf(const PatternView& v, const Graph& g, NodeId erfId, Match& m) {
  const Node& erf = g.n(erfId);
  const TensorId a = erf.inputs.empty() ? kNoTensor : erf.inputs[0];
  if (!v.internal(a)) return false;
  TensorId x = kNoTensor;
  if (const Node* d = v.producer(a, "Div")) {
    if (d->inputs.size() == 2 && v.isConst(d->inputs[1], 1.4142135623730951)) x = d->inputs[0];
  } else if (const Node* mu = v.producer(a, "Mul")) {
    for (size_t k = 0; k < 2 && mu->inputs.size() == 2; ++k)
      if (v.isConst(mu->inputs[k], 0.7071067811865476)) x = mu->inputs[1 - k];
  }
  if (x == kNoTensor || g.t(x).isConstant()) return false;
  m.nodes = {v.producerId(a), erfId};
  TensorId s;
  if (!matchOnePlus(v, erf.outputs[0], m, &s) || !matchHalfProduct(v, s, x, m)) return false;
  m.x = x;
  m.op = "Gelu";
  m.approximate = "none";
  return true;
}

// p = x^3 as Pow(x, 3), x * (x * x) or (x * x) * x; appends its nodes.
bool matchCube(const PatternView& v, TensorId p, TensorId x, std::vector<NodeId>& nodes) {
  if (!v.internal(p)) return false;
  if (const Node* pw = v.producer(p, "Pow")) {
    if (pw->inputs.size() != 2 || pw->inputs[0] != x || !v.isConst(pw->inputs[1], 3.0)) return false;
    nodes.push_back(v.producerId(p));
    return true;
  }
  const Node* m2 = v.producer(p, "Mul");
  const TensorId sq = m2 ? v.other(*m2, x) : kNoTensor;
  const Node* m1 = v.internal(sq) ? v.producer(sq, "Mul") : nullptr;
  if (!m1 || m1->inputs.size() != 2 || m1->inputs[0] != x || m1->inputs[1] != x) return false;
  nodes.push_back(v.producerId(sq));
  nodes.push_back(v.producerId(p));
  return true;
}

bool matchGeluTanh(const PatternView& v, const Graph& g, NodeId tanhId, Match& m) {
  const Node& th = g.n(tanhId);
  const TensorId a = th.inputs.empty() ? kNoTensor : th.inputs[0];
  const Node* scale = v.internal(a) ? v.producer(a, "Mul") : nullptr;  // 0.79788 * u
  if (!scale || scale->inputs.size() != 2) return false;
  TensorId u = kNoTensor;
  for (size_t k = 0; k < 2; ++k)
    if (v.isConst(scale->inputs[k], 0.7978845608028654)) u = scale->inputs[1 - k];
  const Node* sum = v.internal(u) ? v.producer(u, "Add") : nullptr;  // x + 0.044715 x^3
  if (!sum || sum->inputs.size() != 2) return false;
  for (size_t k = 0; k < 2; ++k) {
    const TensorId x = sum->inputs[k], t = sum->inputs[1 - k];
    const Node* cubic = v.internal(t) ? v.producer(t, "Mul") : nullptr;
    if (!cubic || g.t(x).isConstant()) continue;
    TensorId p = kNoTensor;
    for (size_t j = 0; j < 2 && cubic->inputs.size() == 2; ++j)
      if (v.isConst(cubic->inputs[j], 0.044715)) p = cubic->inputs[1 - j];
    std::vector<NodeId> cube;
    if (!matchCube(v, p, x, cube)) continue;
    m.nodes = cube;
    for (NodeId id : {v.producerId(t), v.producerId(u), v.producerId(a), tanhId}) m.nodes.push_back(id);
    TensorId s;
    if (!matchOnePlus(v, th.outputs[0], m, &s) || !matchHalfProduct(v, s, x, m)) return false;
    m.x = x;
    m.op = "Gelu";
    m.approximate = "tanh";
    return true;
  }
  return false;
}

bool matchMish(const PatternView& v, const Graph& g, NodeId spId, Match& m) {
  const Node& sp = g.n(spId);
  if (sp.inputs.size() != 1 || g.t(sp.inputs[0]).isConstant()) return false;
  const TensorId x = sp.inputs[0];
  const Node* th = v.soleConsumer(sp.outputs[0], "Tanh");
  if (!th) return false;
  const Node* mul = v.soleConsumer(th->outputs[0], "Mul");
  if (!mul || v.other(*mul, th->outputs[0]) != x) return false;
  m.nodes = {spId, v.producerId(th->outputs[0]), v.producerId(mul->outputs[0])};
  m.x = x;
  m.op = "Mish";
  return true;
}

}  // namespace

Expected<bool> FuseActivationsPass::run(Graph& g, const PassOptions&) {
  std::vector<Match> matches;
  {
    PatternView v(g);
    std::set<NodeId> used;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      const NodeId id = static_cast<NodeId>(i);
      Match m;
      bool ok = (isOp(n, "Erf") && matchGeluErf(v, g, id, m)) || (isOp(n, "Tanh") && matchGeluTanh(v, g, id, m)) ||
                (isOp(n, "Softplus") && matchMish(v, g, id, m));
      if (!ok) continue;
      // The fused node must keep the type of what it replaces.
      const Tensor& y = g.t(g.n(m.nodes.back()).outputs[0]);
      const Tensor& x = g.t(m.x);
      if (y.type.dtype != x.type.dtype || y.type.shape != x.type.shape || !dtypeIsFloat(x.type.dtype)) continue;
      bool overlap = false;
      for (NodeId k : m.nodes) overlap |= k < 0 || used.count(k) > 0;
      if (overlap) continue;
      used.insert(m.nodes.begin(), m.nodes.end());
      matches.push_back(std::move(m));
    }
  }
  for (const Match& m : matches) {
    for (size_t k = 0; k + 1 < m.nodes.size(); ++k) g.n(m.nodes[k]).dead = true;
    Node& last = g.n(m.nodes.back());
    last.op_type = m.op;
    last.domain.clear();
    last.inputs = {m.x};
    last.attrs.clear();
    if (m.op == "Gelu") {
      Attribute a;
      a.kind = Attribute::Kind::String;
      a.s = m.approximate;
      last.attrs["approximate"] = a;
    }
  }
  if (matches.empty()) return false;
  g.compact();
  EMLC_TRY(verifyGraph(g));
  return true;
}

}  // namespace emlc
