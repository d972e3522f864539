#include "passes/fuse_layer_norm.h"

#include <cstring>
#include <set>

#include "ops/op.h"
#include "passes/export_patterns.h"

namespace emlc {

namespace {

struct Match {
  std::vector<NodeId> nodes;  // the last one becomes LayerNormalization
  TensorId x = kNoTensor, gamma = kNoTensor, beta = kNoTensor;
  int64_t axis = 0;
  double eps = 0;
};

// ReduceMean over trailing axes k..r-1 with keepdims: k, or -1.
int64_t trailingAxes(const Graph& g, const Node& r) {
  if (r.inputs.size() != 1 || r.attrInt("keepdims", 1) != 1 || !r.has("axes")) return -1;
  const int64_t rank = g.t(r.inputs[0]).type.rank();
  std::set<int64_t> axes;
  for (int64_t a : r.attrInts("axes")) {
    if (a < -rank || a >= rank) return -1;
    axes.insert(a < 0 ? a + rank : a);
  }
  if (axes.empty()) return -1;
  const int64_t k = *axes.begin();
  if (*axes.rbegin() != rank - 1 || static_cast<int64_t>(axes.size()) != rank - k) return -1;
  return k;
}

Shape stripOnes(Shape s) {
  size_t i = 0;
  while (i < s.size() && s[i] == 1) ++i;
  return Shape(s.begin() + static_cast<std::ptrdiff_t>(i), s.end());
}

// A constant usable as LayerNormalization's Scale/B for normalised dims `norm`.
bool affineConst(const Graph& g, TensorId t, DType dt, const Shape& norm) {
  if (t == kNoTensor || !g.t(t).isConstant()) return false;
  const TensorType& ty = g.t(t).type;
  return ty.dtype == dt && stripOnes(ty.shape) == stripOnes(norm);
}

bool match(const PatternView& v, const Graph& g, NodeId r1Id, Match& m) {
  const Node& r1 = g.n(r1Id);
  const int64_t k = trailingAxes(g, r1);
  if (k < 0) return false;
  const TensorId x = r1.inputs[0];
  const TensorType& xt = g.t(x).type;
  if (!dtypeIsFloat(xt.dtype) || g.t(x).isConstant()) return false;
  const Node* sub = v.soleConsumer(r1.outputs[0], "Sub");
  if (!sub || sub->inputs.size() != 2 || sub->inputs[0] != x) return false;
  const TensorId d = sub->outputs[0];
  // d feeds the variance (Pow/Mul) and the final Div, nothing else.
  const Tensor& dt = g.t(d);
  const auto& dc = v.consumers()[static_cast<size_t>(d)];
  if (dt.is_output || dc.size() != 2) return false;
  const Node *sq = nullptr, *div = nullptr;
  for (NodeId c : dc) {
    const Node& n = g.n(c);
    if (isOp(n, "Pow") && n.inputs.size() == 2 && n.inputs[0] == d && v.isConst(n.inputs[1], 2.0)) sq = &n;
    else if (isOp(n, "Mul") && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d) sq = &n;
    else if (isOp(n, "Div") && n.inputs.size() == 2 && n.inputs[0] == d) div = &n;
  }
  if (!sq || !div) return false;
  const Node* r2 = v.soleConsumer(sq->outputs[0], "ReduceMean");
  if (!r2 || trailingAxes(g, *r2) != k) return false;
  const Node* add = v.soleConsumer(r2->outputs[0], "Add");
  if (!add) return false;
  const std::optional<double> eps = v.constValue(v.other(*add, r2->outputs[0]));
  if (!eps || *eps < 0) return false;
  const Node* sqrt = v.soleConsumer(add->outputs[0], "Sqrt");
  if (!sqrt || v.soleConsumer(sqrt->outputs[0], "Div") != div || div->inputs[1] != sqrt->outputs[0]) return false;
  m.nodes = {r1Id, v.producerId(d), v.producerId(sq->outputs[0]), v.producerId(r2->outputs[0]),
             v.producerId(add->outputs[0]), v.producerId(sqrt->outputs[0]), v.producerId(div->outputs[0])};
  const Shape norm(xt.shape.begin() + k, xt.shape.end());
  TensorId y = div->outputs[0];
  if (const Node* mul = v.soleConsumer(y, "Mul")) {
    const TensorId gm = v.other(*mul, y);
    if (affineConst(g, gm, xt.dtype, norm)) {
      m.gamma = gm;
      m.nodes.push_back(v.producerId(mul->outputs[0]));
      y = mul->outputs[0];
      if (const Node* badd = v.soleConsumer(y, "Add")) {
        const TensorId b = v.other(*badd, y);
        if (affineConst(g, b, xt.dtype, norm)) {
          m.beta = b;
          m.nodes.push_back(v.producerId(badd->outputs[0]));
          y = badd->outputs[0];
        }
      }
    }
  }
  if (g.t(y).type.shape != xt.shape || g.t(y).type.dtype != xt.dtype) return false;
  m.x = x;
  m.axis = k;
  m.eps = *eps;
  return true;
}

// A constant of shape `norm` holding `src`'s bytes (or ones if src is none).
TensorId affineTensor(Graph& g, TensorId src, DType dt, const Shape& norm, const std::string& base) {
  Tensor t;
  t.name = g.uniqueName(base);
  t.type.dtype = dt;
  t.type.shape = norm;
  t.typed = true;
  if (src != kNoTensor) {
    t.data = *g.t(src).data;
  } else {
    t.data = std::vector<uint8_t>(t.type.bytes());
    for (int64_t i = 0; i < t.type.numel(); ++i) {
      if (dt == DType::F32) {
        const float one = 1.0f;
        std::memcpy(t.data->data() + 4 * i, &one, 4);
      } else {
        const double one = 1.0;
        std::memcpy(t.data->data() + 8 * i, &one, 8);
      }
    }
  }
  return g.addTensor(std::move(t));
}

}  // namespace

Expected<bool> FuseLayerNormPass::run(Graph& g, const PassOptions&) {
  std::vector<Match> matches;
  {
    PatternView v(g);
    std::set<NodeId> used;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      Match m;
      if (!isOp(g.nodes[i], "ReduceMean") || !match(v, g, static_cast<NodeId>(i), m)) continue;
      bool overlap = false;
      for (NodeId k : m.nodes) overlap |= k < 0 || used.count(k) > 0;
      if (overlap) continue;
      used.insert(m.nodes.begin(), m.nodes.end());
      matches.push_back(m);
    }
  }
  for (const Match& m : matches) {
    const TensorType xt = g.t(m.x).type;
    const Shape norm(xt.shape.begin() + m.axis, xt.shape.end());
    const std::string base = g.t(g.n(m.nodes.back()).outputs[0]).name;
    const TensorId scale = affineTensor(g, m.gamma, xt.dtype, norm, base + "_ln_scale");
    const TensorId bias = m.beta == kNoTensor ? kNoTensor : affineTensor(g, m.beta, xt.dtype, norm, base + "_ln_bias");
    for (size_t k = 0; k + 1 < m.nodes.size(); ++k) g.n(m.nodes[k]).dead = true;
    Node& last = g.n(m.nodes.back());
    last.op_type = "LayerNormalization";
    last.domain.clear();
    last.opset = 17;
    last.inputs = {m.x, scale};
    if (bias != kNoTensor) last.inputs.push_back(bias);
    last.attrs.clear();
    Attribute axis, eps, stash;
    axis.kind = Attribute::Kind::Int;
    axis.i = m.axis;
    eps.kind = Attribute::Kind::Float;
    eps.f = static_cast<float>(m.eps);
    stash.kind = Attribute::Kind::Int;
    stash.i = xt.dtype == DType::F64 ? 11 : 1;  // statistics in x's precision
    last.attrs["axis"] = axis;
    last.attrs["epsilon"] = eps;
    last.attrs["stash_type"] = stash;
    const Op* op = findOp("", "LayerNormalization");
    if (!op) return internal("fuse-layer-norm: LayerNormalization is not registered");
    Status st = op->infer(last, g);
    if (!st.isOk()) return internal(g.label(last) + ": fused LayerNormalization does not infer: " + st.error().message);
  }
  if (matches.empty()) return false;
  g.compact();
  EMLC_TRY(verifyGraph(g));
  return true;
}

}  // namespace emlc
