// batchnorm-fold, affine-fold and matmul-to-gemm (see fusion.h). All three
// rest on one rewrite: a per-output-channel affine map y' = y * s[c] + o[c]
// applied to a Conv, ConvTranspose or Gemm by changing its weights and bias.
#include <fmt/format.h>

#include <cmath>

#include "ops/fused_activation.h"
#include "passes/fusion.h"
#include "passes/rewrite.h"

namespace emlc {
namespace {

bool isFloat(DType t) { return t == DType::F32 || t == DType::F64; }

bool constIn(const Graph& g, const Node& n, size_t k) { return n.in(k) != kNoTensor && g.t(n.inputs[k]).isConstant(); }

// Conv/ConvTranspose/Gemm whose weights we can rewrite: float, constant
// weights (and bias), nothing fused yet (an activation would sit between the
// op and the affine map).
bool affineTarget(const Graph& g, const Node& n) {
  if (n.dead || !n.domain.empty() || hasFusedActivation(n) || n.has("emlc_layout")) return false;
  if (n.op_type != "Conv" && n.op_type != "ConvTranspose" && n.op_type != "Gemm") return false;
  if (n.outputs.size() != 1 || !isFloat(g.t(n.outputs[0]).type.dtype)) return false;
  if (!constIn(g, n, 1)) return false;
  if (n.in(2) != kNoTensor && !constIn(g, n, 2)) return false;
  return true;
}

// Output channels of a target: Conv/ConvTranspose axis 1, Gemm columns.
int64_t channels(const Graph& g, const Node& n) { return g.t(n.outputs[0]).type.shape[1]; }

// y' = y * s[c] + o[c] on target `id` (s, o have channels() values).
void applyChannelAffine(Graph& g, NodeId id, const std::vector<double>& s, const std::vector<double>& o) {
  Node& n = g.n(id);
  const TensorId wid = n.inputs[1];
  const TensorType wt = g.t(wid).type;
  const DType dt = wt.dtype;
  std::vector<double> w = constValues(g, wid);
  const int64_t M = static_cast<int64_t>(s.size());
  const std::string base = n.name.empty() ? g.t(n.outputs[0]).name : n.name;

  if (n.op_type == "Gemm") {
    const Shape ys = g.t(n.outputs[0]).type.shape;
    const int64_t rows = ys[0];
    const double alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
    const bool tb = n.attrInt("transB", 0) != 0;
    const int64_t K = tb ? wt.shape[1] : wt.shape[0];
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < M; ++c) {
        const size_t i = static_cast<size_t>(tb ? c * K + k : k * M + c);
        w[i] *= alpha * s[static_cast<size_t>(c)];
      }
    // C' = (beta * C) * s + o, as [rows, M] when C varies along rows, else [M].
    std::vector<double> cv;
    Shape cs;
    bool full = false;
    std::vector<double> c0;
    if (n.in(2) != kNoTensor) {
      const Shape& cshape = g.t(n.inputs[2]).type.shape;
      c0 = constValues(g, n.inputs[2]);
      full = cshape.size() == 2 && cshape[0] != 1;
      const int64_t rs = full ? (cshape[1] == 1 ? 1 : M) : 0;  // row stride in c0
      const int64_t cs1 = cshape.empty() || cshape.back() == 1 ? 0 : 1;
      const int64_t R = full ? rows : 1;
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < M; ++c) {
          const double cval = c0[static_cast<size_t>(r * rs + c * cs1)];
          cv.push_back(beta * cval * s[static_cast<size_t>(c)] + o[static_cast<size_t>(c)]);
        }
      cs = full ? Shape{rows, M} : Shape{M};
    } else {
      cv = o;
      cs = {M};
    }
    n.inputs[1] = addFloatConstant(g, base + "_B", dt, wt.shape, w);
    const TensorId cid = addFloatConstant(g, base + "_C", dt, cs, cv);
    Node& m = g.n(id);
    if (m.inputs.size() < 3) m.inputs.resize(3, kNoTensor);
    m.inputs[2] = cid;
    m.attrs.erase("alpha");
    m.attrs.erase("beta");
    m.attrs.erase("broadcast");
    if (m.opset < 11) m.opset = 13;  // C broadcasts unidirectionally since opset 7
    return;
  }

  const int64_t group = n.attrInt("group", 1);
  if (n.op_type == "Conv") {
    const int64_t per = static_cast<int64_t>(w.size()) / M;  // weights per output channel
    for (int64_t c = 0; c < M; ++c)
      for (int64_t i = 0; i < per; ++i) w[static_cast<size_t>(c * per + i)] *= s[static_cast<size_t>(c)];
  } else {
    // ConvTranspose W is (C, M/group, k...): output channel g*mg + mo.
    const int64_t C = wt.shape[0], mg = wt.shape[1];
    const int64_t cg = C / group;
    const int64_t ks = static_cast<int64_t>(w.size()) / (C * mg);
    for (int64_t ic = 0; ic < C; ++ic)
      for (int64_t mo = 0; mo < mg; ++mo) {
        const double f = s[static_cast<size_t>((ic / cg) * mg + mo)];
        for (int64_t i = 0; i < ks; ++i) w[static_cast<size_t>((ic * mg + mo) * ks + i)] *= f;
      }
  }
  std::vector<double> b(static_cast<size_t>(M), 0.0);
  if (n.in(2) != kNoTensor) b = constValues(g, n.inputs[2]);
  for (size_t c = 0; c < b.size(); ++c) b[c] = b[c] * s[c] + o[c];
  n.inputs[1] = addFloatConstant(g, base + "_W", dt, wt.shape, w);
  const TensorId bid = addFloatConstant(g, base + "_B", dt, {M}, b);
  Node& m = g.n(id);
  if (m.inputs.size() < 3) m.inputs.resize(3, kNoTensor);
  m.inputs[2] = bid;
}

// Producer of n's input k when it is an affine target read by n only.
NodeId targetBefore(const Graph& g, NodeId nid, size_t k) {
  const Node& n = g.n(nid);
  if (n.in(k) == kNoTensor) return -1;
  const TensorId x = n.inputs[k];
  const NodeId p = g.t(x).producer;
  if (p < 0 || !affineTarget(g, g.n(p)) || g.n(p).outputs[0] != x || !onlyReader(g, x, nid)) return -1;
  return p;
}

}  // namespace

// ---- batchnorm-fold -------------------------------------------------------------

Expected<bool> BatchNormFoldPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& bn = g.n(id);
    if (bn.dead || bn.op_type != "BatchNormalization" || !bn.domain.empty()) continue;
    bool ok = bn.inputs.size() == 5 && g.t(bn.inputs[0]).type.rank() >= 2;
    for (size_t k = 1; ok && k < 5; ++k) ok = constIn(g, bn, k);
    for (size_t k = 1; ok && k < bn.outputs.size(); ++k) ok = bn.outputs[k] == kNoTensor;
    if (!ok || !isFloat(g.t(bn.inputs[0]).type.dtype)) continue;
    const double eps = bn.attrFloat("epsilon", 1e-5f);
    const std::vector<double> scale = constValues(g, bn.inputs[1]), bias = constValues(g, bn.inputs[2]),
                              mean = constValues(g, bn.inputs[3]), var = constValues(g, bn.inputs[4]);
    std::vector<double> s(scale.size()), o(scale.size());
    for (size_t c = 0; c < s.size(); ++c) {
      s[c] = scale[c] / std::sqrt(var[c] + eps);
      o[c] = bias[c] - mean[c] * s[c];
    }
    const NodeId p = targetBefore(g, id, 0);
    if (p >= 0 && channels(g, g.n(p)) == static_cast<int64_t>(s.size()) &&
        (g.n(p).op_type != "Gemm" || g.t(bn.inputs[0]).type.rank() == 2)) {
      const std::string what = fmt::format("folded {} into {} ({})", nodeRef(g, id), nodeRef(g, p), g.n(p).op_type);
      applyChannelAffine(g, p, s, o);
      absorbNext(g, p, id);
      note(what);
      changed = true;
      continue;
    }
    // Standalone: x * s + o with [C, 1, ...] constants (numpy broadcasting).
    const TensorType xt = g.t(bn.inputs[0]).type;
    Shape cs(static_cast<size_t>(xt.rank() - 1), 1);
    cs[0] = xt.shape[1];
    const std::string base = bn.name.empty() ? g.t(bn.outputs[0]).name : bn.name;
    const std::string what = fmt::format("{} has no foldable producer: now a per-channel Mul and Add", nodeRef(g, id));
    const TensorId sid = addFloatConstant(g, base + "_scale", xt.dtype, cs, s);
    const TensorId oid = addFloatConstant(g, base + "_shift", xt.dtype, cs, o);
    const TensorId mid = addTensorOfType(g, base + "_scaled", xt);
    Node& b2 = g.n(id);
    const TensorId x = b2.inputs[0], y = b2.outputs[0];
    Node add;
    add.name = base + "_shift";
    add.op_type = "Add";
    add.opset = 13;
    add.inputs = {mid, oid};
    add.outputs = {y};
    b2.op_type = "Mul";
    b2.name = base + "_scale";
    b2.opset = 13;
    b2.attrs.clear();
    b2.inputs = {x, sid};
    b2.outputs = {mid};
    insertNode(g, i + 1, std::move(add));
    note(what);
    changed = true;
    ++i;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

// ---- affine-fold -------------------------------------------------------------------

namespace {

// Per-channel values of constant k broadcast against output shape y (channel
// axis 1): k may vary along axis 1 only. Empty if it varies elsewhere.
std::vector<double> perChannel(const Graph& g, TensorId k, const Shape& y) {
  const Shape& ks = g.t(k).type.shape;
  if (ks.size() > y.size() || y.size() < 2) return {};
  const size_t off = y.size() - ks.size();
  bool varies = false;
  for (size_t i = 0; i < ks.size(); ++i) {
    const size_t axis = off + i;
    if (ks[i] == 1) continue;
    if (axis != 1 || ks[i] != y[1]) return {};
    varies = true;
  }
  std::vector<double> v = constValues(g, k);
  if (v.empty()) return {};
  return varies ? v : std::vector<double>(static_cast<size_t>(y[1]), v[0]);
}

}  // namespace

Expected<bool> AffineFoldPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& q = g.n(id);
    if (q.dead || !q.domain.empty() || q.inputs.size() != 2 || q.outputs.size() != 1) continue;
    const std::string& op = q.op_type;
    if (op != "Mul" && op != "Add" && op != "Sub" && op != "Div") continue;
    // The constant side: either for Mul/Add, the second for Sub/Div.
    size_t xk = 0;
    if (constIn(g, q, 1)) xk = 0;
    else if ((op == "Mul" || op == "Add") && constIn(g, q, 0)) xk = 1;
    else continue;
    const NodeId p = targetBefore(g, id, xk);
    if (p < 0) continue;
    const Shape& ys = g.t(q.outputs[0]).type.shape;
    if (ys != g.t(q.inputs[xk]).type.shape || g.t(q.outputs[0]).type.dtype != g.t(q.inputs[xk]).type.dtype) continue;
    if (g.n(p).op_type == "Gemm" && ys.size() != 2) continue;
    std::vector<double> k = perChannel(g, q.inputs[1 - xk], ys);
    if (k.empty()) continue;
    std::vector<double> s(k.size(), 1.0), o(k.size(), 0.0);
    for (size_t c = 0; c < k.size(); ++c) {
      if (op == "Mul") s[c] = k[c];
      else if (op == "Add") o[c] = k[c];
      else if (op == "Sub") o[c] = -k[c];
      else s[c] = 1.0 / k[c];
    }
    const std::string what = fmt::format("folded {} ({} by a constant) into {} ({})", nodeRef(g, id), op,
                                         nodeRef(g, p), g.n(p).op_type);
    applyChannelAffine(g, p, s, o);
    absorbNext(g, p, id);
    note(what);
    changed = true;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

// ---- matmul-to-gemm ----------------------------------------------------------------

Expected<bool> MatMulToGemmPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& mm = g.n(id);
    if (mm.dead || mm.op_type != "MatMul" || !mm.domain.empty() || mm.inputs.size() != 2 || hasFusedActivation(mm))
      continue;
    const TensorType& a = g.t(mm.inputs[0]).type;
    const TensorType& b = g.t(mm.inputs[1]).type;
    if (!isFloat(a.dtype) || a.rank() != 2 || b.rank() != 2 || !constIn(g, mm, 1)) continue;
    const TensorId y = mm.outputs[0];
    const std::string ref = nodeRef(g, id);
    Node& m = g.n(id);
    m.op_type = "Gemm";
    m.opset = 13;
    m.attrs.clear();
    std::string what = fmt::format("{} (MatMul by a constant) is now a Gemm", ref);
    // A following Add of a constant that broadcasts to [M, N] becomes C.
    const NodeId r = soleReader(g, y);
    if (r >= 0 && g.n(r).op_type == "Add" && g.n(r).domain.empty() && g.n(r).inputs.size() == 2) {
      const Node& add = g.n(r);
      const size_t ck = add.inputs[0] == y ? 1 : 0;
      const bool other = add.inputs[1 - ck] == y && add.inputs[ck] != y;
      if (other && constIn(g, add, ck) && g.t(add.inputs[ck]).type.rank() <= 2 &&
          g.t(add.outputs[0]).type.shape == g.t(y).type.shape) {
        const TensorId c = add.inputs[ck];
        what += fmt::format(" with {} (Add of a constant) as C", nodeRef(g, r));
        g.n(id).inputs.push_back(c);
        absorbNext(g, id, r);
      }
    }
    note(what);
    changed = true;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

}  // namespace emlc
