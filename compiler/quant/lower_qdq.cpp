#include "quant/lower_qdq.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "emlc/int8_elementwise.h"
#include "emlc/int8_rnn.h"
#include "eval/evaluator.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/rnn_plan.h"
#include "passes/infer.h"
#include "quant/graph_edit.h"

namespace emlc {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// A real-valued clamp [lo, hi] from Relu/Clip (fused or standalone).
struct RealRange {
  float lo = -kInf, hi = kInf;
  void meet(RealRange o) {
    lo = std::max(lo, o.lo);
    hi = std::min(hi, o.hi);
  }
};

// The fused activation of a float node (attributes of the activation fusion
// pass); nullopt for activations that are not clamps.
std::optional<RealRange> fusedClamp(const Node& n) {
  if (!n.has("emlc_activation")) return RealRange{};
  const std::string a = n.attrString("emlc_activation", "");
  if (a == "Relu") return RealRange{0.0f, kInf};
  if (a == "Clip") return RealRange{n.attrFloat("emlc_act_min", -kInf), n.attrFloat("emlc_act_max", kInf)};
  return std::nullopt;
}

// Relu or Clip with constant bounds as a clamp.
std::optional<RealRange> clampNode(const Graph& g, const Node& n) {
  if (n.dead || !n.domain.empty() || n.has("emlc_activation")) return std::nullopt;
  if (n.op_type == "Relu") return RealRange{0.0f, kInf};
  if (n.op_type != "Clip") return std::nullopt;
  RealRange r;
  if (n.opset < 11) {
    r.lo = n.attrFloat("min", -kInf);
    r.hi = n.attrFloat("max", kInf);
    return r;
  }
  for (size_t k : {size_t{1}, size_t{2}}) {
    if (n.in(k) == kNoTensor) continue;
    auto v = constantValues(g, n.in(k));
    if (!v || v->size() != 1) return std::nullopt;
    (k == 1 ? r.lo : r.hi) = static_cast<float>((*v)[0]);
  }
  return r;
}

// Where a float op's result goes: through clamps into one QuantizeLinear.
struct Sink {
  NodeId q = -1;
  TensorId yq = kNoTensor;
  QuantParams params;
  QuantScalar y;
  DType dtype = DType::Undefined;
  std::vector<NodeId> chain;  // Relu/Clip nodes between the op and q
  RealRange range;            // their combined clamp (and the op's fused one)
};

bool sameScalar(const QuantScalar& a, const QuantScalar& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

QuantParams scalarParams(QuantScalar q) {
  QuantParams p;
  p.scale = {q.scale};
  p.zero_point = {q.zero_point};
  return p;
}

Attribute iAttr(int64_t v) { return attrInt(v); }

class Lowerer {
 public:
  Lowerer(Graph& g, QdqReport* rep) : g_(g), rep_(rep) {}

  Expected<bool> run() {
    static const std::set<std::string> kSkip = {"QuantizeLinear", "DequantizeLinear", "Constant"};
    for (NodeId i = 0; i < static_cast<NodeId>(g_.nodes.size()); ++i) {
      const Node& n = g_.n(i);
      if (n.dead || !n.domain.empty() || kSkip.count(n.op_type)) continue;
      const std::string label = g_.label(n), type = n.op_type;
      refresh();
      Status st = lowerNode(i);
      if (!st && st.error().kind == ErrorKind::Internal) return st.error();
      // insertNode() may have moved node i; find where the walk continues.
      i = resume_ >= 0 ? resume_ : i;
      resume_ = -1;
      QdqNodeReport r{label, type, st.isOk(), st.isOk() ? made_ : st.error().message};
      if (rep_) rep_->nodes.push_back(r);
      changed_ |= st.isOk();
    }
    EMLC_TRY(pairs());
    EMLC_TRY(foldConstants());
    EMLC_TRY(topoSort(g_));
    g_.compact();
    EMLC_TRY(verifyGraph(g_));
    return changed_;
  }

 private:
  Graph& g_;
  QdqReport* rep_;
  std::vector<std::vector<NodeId>> cons_;
  bool changed_ = false;
  std::string made_;
  NodeId resume_ = -1;

  void refresh() { cons_ = g_.consumers(); }
  bool isGraphOutput(TensorId t) const {
    for (TensorId o : g_.outputs)
      if (o == t) return true;
    return false;
  }
  // ---- matching -------------------------------------------------------------

  // Input k of node n must be the per-tensor int8/uint8 output of a
  // DequantizeLinear.
  Expected<std::pair<TensorId, QuantScalar>> actIn(const Node& n, size_t k) {
    auto d = dequantSource(g_, n.in(k));
    if (!d) return unsupported(fmt::format("input {} does not come from a DequantizeLinear with constant parameters", k));
    const DType t = g_.t(d->q).type.dtype;
    if (t != DType::I8 && t != DType::U8)
      return unsupported(fmt::format("input {} is dequantized from {}, not int8/uint8", k, dtypeName(t)));
    auto s = scalarOf(d->params);
    if (!s) return unsupported(fmt::format("input {} is quantized per channel", k));
    if (!attachQuant(g_, d->q, d->params))
      return unsupported(fmt::format("'{}' is dequantized with two different scales", g_.t(d->q).name));
    return std::make_pair(d->q, *s);
  }

  // Constant int8 weights behind a DequantizeLinear, with their parameters
  // (per tensor, or per channel along `axis`).
  Expected<TensorId> weightIn(const Node& n, size_t k, int64_t axis) {
    auto d = dequantSource(g_, n.in(k));
    if (!d || !g_.t(d->q).isConstant())
      return unsupported(fmt::format("weights (input {}) are not a DequantizeLinear of a constant", k));
    const DType t = g_.t(d->q).type.dtype;
    if (t != DType::I8 && t != DType::U8) return unsupported("weights are not int8/uint8");
    if (d->params.scale.size() > 1 && d->params.axis != axis)
      return unsupported(fmt::format("weights are quantized along axis {}, not the output channel axis {}",
                                     d->params.axis, axis));
    for (int32_t z : d->params.zero_point)
      if (z != d->params.zero_point[0]) return unsupported("per-channel weight zero points differ");
    if (attachQuant(g_, d->q, d->params)) return d->q;
    // The same codes dequantized with other scales: give this use a copy.
    TensorType ty = g_.t(d->q).type;
    ty.quant = d->params;
    return addConstant(g_, g_.t(d->q).name, ty, *g_.t(d->q).data);
  }

  // Bias of a conv/gemm in accumulator units (s_x * s_w[c]): int32 codes
  // behind a DequantizeLinear (used as they are when their scale is the
  // accumulator's, TFLite's convention), or float constants (quantized).
  Expected<TensorId> biasIn(const Node& n, size_t k, int64_t channels, QuantScalar x,
                            const std::vector<float>& wscale) {
    std::vector<double> real;
    std::vector<int32_t> codes;
    std::vector<float> bscale;
    if (auto d = dequantSource(g_, n.in(k))) {
      if (!g_.t(d->q).isConstant() || g_.t(d->q).type.dtype != DType::I32)
        return unsupported("bias is not a DequantizeLinear of int32 constants");
      auto v = constantValues(g_, d->q);
      if (!v) return unsupported("bias codes are not readable");
      for (double c : *v) codes.push_back(static_cast<int32_t>(c));
      bscale = d->params.scale;
      for (int32_t z : d->params.zero_point)
        if (z != 0) return unsupported("bias with a nonzero zero point");
    } else if (auto v = constantValues(g_, n.in(k))) {
      real = *v;
    } else {
      return unsupported("bias is neither constant nor dequantized int32");
    }
    const size_t cnt = real.empty() ? codes.size() : real.size();
    if (cnt != 1 && static_cast<int64_t>(cnt) != channels)
      return unsupported(fmt::format("bias has {} values for {} output channels", cnt, channels));
    std::vector<int32_t> out(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      const size_t i = cnt == 1 ? 0 : static_cast<size_t>(c);
      const float sw = wscale[wscale.size() == 1 ? 0 : static_cast<size_t>(c)];
      const double acc_scale = static_cast<double>(x.scale * sw);
      double v;
      if (real.empty()) {
        const double sb = bscale[bscale.size() == 1 ? 0 : i];
        if (std::fabs(sb / acc_scale - 1.0) <= 1e-6) {
          out[static_cast<size_t>(c)] = codes[i];
          continue;
        }
        v = codes[i] * sb / acc_scale;
      } else {
        v = real[i] / acc_scale;
      }
      v = std::round(v);
      out[static_cast<size_t>(c)] = static_cast<int32_t>(std::max(-2147483648.0, std::min(2147483647.0, v)));
    }
    TensorType t{DType::I32, {channels}};
    return addConstantOf(g_, n.name.empty() ? "bias_q" : n.name + "_bias_q", t, out);
  }

  // Follows node n's output through Relu/Clip nodes (each the only reader of
  // the previous) to a single QuantizeLinear.
  Expected<Sink> sink(const Node& n, bool allowClamp) {
    Sink s;
    auto fused = fusedClamp(n);
    if (!fused) return unsupported(fmt::format("fused activation {} is not a clamp", n.attrString("emlc_activation", "")));
    s.range = *fused;
    if (!allowClamp && n.has("emlc_activation")) return unsupported("fused activation on this op");
    TensorId t = n.out(0);
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (n.outputs[k] != kNoTensor && !cons_[static_cast<size_t>(n.outputs[k])].empty())
        return unsupported("a second output is used");
    for (;;) {
      if (t == kNoTensor || isGraphOutput(t)) return unsupported("the result is a graph output, not quantized");
      const auto& c = cons_[static_cast<size_t>(t)];
      if (c.size() != 1) return unsupported("the result is read by several nodes, not only a QuantizeLinear");
      const Node& u = g_.n(c[0]);
      if (auto r = allowClamp ? clampNode(g_, u) : std::nullopt) {
        s.range.meet(*r);
        s.chain.push_back(c[0]);
        t = u.out(0);
        continue;
      }
      auto p = quantizeParams(g_, u);
      if (!p) return unsupported(fmt::format("the result goes to {}, not a QuantizeLinear", g_.label(u)));
      auto y = scalarOf(*p);
      if (!y) return unsupported("the output is quantized per channel");
      s.q = c[0];
      s.yq = u.out(0);
      s.params = *p;
      s.y = *y;
      s.dtype = g_.t(s.yq).type.dtype;
      if (s.dtype != DType::I8 && s.dtype != DType::U8) return unsupported("the output is not int8/uint8");
      if (s.range.lo > s.range.hi) return unsupported("empty clamp range");
      attachQuant(g_, s.yq, s.params);
      return s;
    }
  }

  // The output clamp in codes (TFLite's CalculateActivationRangeQuantized).
  static CodeRange clampCodes(const Sink& s) {
    CodeRange r = codeRange(s.dtype);
    if (s.range.lo > -kInf) r.lo = std::max(r.lo, quantizeBound(s.range.lo, s.y));
    if (s.range.hi < kInf) r.hi = std::min(r.hi, quantizeBound(s.range.hi, s.y));
    return r;
  }
  static bool fullRange(const Sink& s) {
    const CodeRange r = clampCodes(s), t = codeRange(s.dtype);
    return r.lo == t.lo && r.hi == t.hi;
  }
  static void setClamp(Node& n, const Sink& s) {
    const CodeRange r = clampCodes(s);
    n.attrs["act_min"] = iAttr(r.lo);
    n.attrs["act_max"] = iAttr(r.hi);
  }
  static void setY(Node& n, const Sink& s) {
    n.attrs["y_scale"] = attrFloat(s.y.scale);
    n.attrs["y_zero_point"] = iAttr(s.y.zero_point);
  }

  // ---- rewriting -------------------------------------------------------------

  // Replaces node `id` by `m` (same slot), removes the clamp chain and the
  // QuantizeLinear, and infers the new node. On failure the graph is left
  // as it was.
  Status replace(NodeId id, Node m, const Sink& s) {
    Node old = g_.n(id);
    const TensorType yType = g_.t(s.yq).type;
    g_.n(id) = std::move(m);
    g_.relinkProducers();
    Status st = inferNode(g_, id);
    if (!st) {
      g_.n(id) = std::move(old);
      g_.t(s.yq).type = yType;
      g_.relinkProducers();
      return st.error().kind == ErrorKind::Internal ? st : unsupported(st.error().message);
    }
    for (NodeId c : s.chain) killNode(g_, c);
    killNode(g_, s.q);
    g_.relinkProducers();
    made_ = g_.n(id).domain.empty() ? g_.n(id).op_type + " on int8" : "emlc." + g_.n(id).op_type;
    return Status::ok();
  }

  // Like replace, for ops whose int8 form keeps the input's scale: the op
  // writes an intermediate with `xq`'s parameters, then an emlc.Requantize
  // (taking the QuantizeLinear's slot) converts and clamps it, unless the
  // parameters agree and nothing is clamped.
  Status replaceKeepingScale(NodeId id, Node m, const Sink& s, QuantScalar xq, DType xt, bool clampInOp) {
    if (sameScalar(xq, s.y) && xt == s.dtype && (clampInOp || fullRange(s))) {
      m.outputs = {s.yq};
      if (clampInOp) setClamp(m, s);
      return replace(id, std::move(m), s);
    }
    TensorType mid = g_.t(s.yq).type;
    mid.dtype = xt;
    mid.quant = scalarParams(xq);
    const TensorId t = addTensorOfType(g_, g_.t(s.yq).name + "_pre", mid);
    m.outputs = {t};
    Node old = g_.n(id);
    g_.n(id) = std::move(m);
    g_.relinkProducers();
    Status st = inferNode(g_, id);
    if (!st) {
      g_.n(id) = std::move(old);
      g_.relinkProducers();
      return st.error().kind == ErrorKind::Internal ? st : unsupported(st.error().message);
    }
    Node r;
    r.name = g_.n(id).name.empty() ? "" : g_.n(id).name + "_requant";
    r.op_type = "Requantize";
    r.domain = "emlc";
    r.inputs = {t};
    r.outputs = {s.yq};
    setY(r, s);
    setClamp(r, s);
    r.attrs["to"] = iAttr(static_cast<int64_t>(s.dtype));
    const NodeId q = s.q;
    for (NodeId c : s.chain) killNode(g_, c);
    g_.n(q) = r;
    g_.relinkProducers();
    EMLC_TRY(inferNode(g_, q));
    made_ = (g_.n(id).domain.empty() ? g_.n(id).op_type + " on int8" : "emlc." + g_.n(id).op_type) +
            " + emlc.Requantize";
    return Status::ok();
  }

  Node internalNode(const Node& n, const char* type) {
    Node m;
    m.name = n.name;
    m.op_type = type;
    m.domain = "emlc";
    m.opset = 1;
    return m;
  }

  // ---- rules -------------------------------------------------------------------

  Status lowerNode(NodeId id) {
    const std::string t = g_.n(id).op_type;
    if (t == "Conv") return conv(id);
    if (t == "Gemm") return gemm(id);
    if (t == "MatMul") return matmul(id);
    if (t == "Add" || t == "Mul") return binary(id, t == "Add" ? "QAdd" : "QMul");
    if (t == "AveragePool" || t == "GlobalAveragePool") return avgpool(id);
    if (t == "Softmax") return softmax(id);
    if (t == "Concat") return concat(id);
    if (t == "Pad") return pad(id);
    if (t == "RNN" || t == "GRU" || t == "LSTM") return recurrent(id);
    static const std::set<std::string> kCodes = {"MaxPool", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                                 "Identity", "Transpose", "DepthToSpace", "SpaceToDepth",
                                                 "Slice", "Tile", "Expand", "Dropout"};
    if (kCodes.count(t)) return onCodes(id);
    if (lutOps().count(t)) return lut(id);
    return unsupported("no int8 kernel for this op");
  }

  static const std::set<std::string>& lutOps() {
    static const std::set<std::string> k = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
                                            "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign",
                                            "Exp", "Abs", "Neg", "Erf", "ThresholdedRelu", "PRelu"};
    return k;
  }

  Status conv(NodeId id) {
    const Node n = g_.n(id);
    EMLC_ASSIGN(auto x, actIn(n, 0));
    const TensorType wt = g_.inType(n, 1);  // copies: new constants move g_.tensors
    if (wt.rank() < 3) return unsupported("weights of unexpected rank");
    EMLC_ASSIGN(TensorId w, weightIn(n, 1, 0));
    EMLC_ASSIGN(Sink s, sink(n, true));
    Node m = internalNode(n, "QConv");
    for (const char* a : {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"})
      if (n.has(a)) m.attrs[a] = n.attrs.at(a);
    setY(m, s);
    setClamp(m, s);
    m.inputs = {x.first, w};
    if (n.in(2) != kNoTensor) {
      EMLC_ASSIGN(TensorId b, biasIn(n, 2, wt.shape[0], x.second, g_.t(w).type.quant.scale));
      m.inputs.push_back(b);
    }
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  Status gemm(NodeId id) {
    const Node n = g_.n(id);
    if (n.attrInt("transA", 0) != 0) return unsupported("Gemm with transA=1");
    if (n.attrFloat("alpha", 1.0f) != 1.0f || (n.in(2) != kNoTensor && n.attrFloat("beta", 1.0f) != 1.0f))
      return unsupported("Gemm with alpha or beta other than 1");
    const bool tb = n.attrInt("transB", 0) != 0;
    EMLC_ASSIGN(auto a, actIn(n, 0));
    const TensorType bt = g_.inType(n, 1);
    if (bt.rank() != 2) return unsupported("B is not a matrix");
    EMLC_ASSIGN(TensorId b, weightIn(n, 1, tb ? 0 : 1));
    EMLC_ASSIGN(Sink s, sink(n, true));
    const int64_t N = tb ? bt.shape[0] : bt.shape[1];
    Node m = internalNode(n, "QGemm");
    m.attrs["trans_b"] = iAttr(tb ? 1 : 0);
    setY(m, s);
    setClamp(m, s);
    m.inputs = {a.first, b};
    if (n.in(2) != kNoTensor) {
      const TensorType ct = g_.inType(n, 2);
      if (ct.numel() != N && ct.numel() != 1) return unsupported(fmt::format("bias {} is not one value per column", ct.str()));
      EMLC_ASSIGN(TensorId bias, biasIn(n, 2, N, a.second, g_.t(b).type.quant.scale));
      m.inputs.push_back(bias);
    }
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  Status matmul(NodeId id) {
    const Node n = g_.n(id);
    EMLC_ASSIGN(auto a, actIn(n, 0));
    if (g_.inType(n, 1).rank() != 2) return unsupported("B is not a constant matrix");
    EMLC_ASSIGN(TensorId b, weightIn(n, 1, 1));
    EMLC_ASSIGN(Sink s, sink(n, true));
    Node m = internalNode(n, "QGemm");
    m.attrs["trans_b"] = iAttr(0);
    setY(m, s);
    setClamp(m, s);
    m.inputs = {a.first, b};
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  Status binary(NodeId id, const char* type) {
    const Node n = g_.n(id);
    if (n.opset < 7) return unsupported("legacy broadcasting (opset < 7)");
    EMLC_ASSIGN(auto a, actIn(n, 0));
    EMLC_ASSIGN(auto b, actIn(n, 1));
    if (g_.t(a.first).type.dtype != g_.t(b.first).type.dtype) return unsupported("inputs of different types");
    EMLC_ASSIGN(Sink s, sink(n, true));
    if (g_.t(a.first).type.dtype != s.dtype) return unsupported("output type differs from the inputs'");
    Node m = internalNode(n, type);
    setY(m, s);
    setClamp(m, s);
    m.inputs = {a.first, b.first};
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  Status avgpool(NodeId id) {
    const Node n = g_.n(id);
    EMLC_ASSIGN(auto x, actIn(n, 0));
    EMLC_ASSIGN(Sink s, sink(n, true));
    Node m = internalNode(n, "QAvgPool");
    const TensorType xt = g_.t(x.first).type;
    if (n.op_type == "GlobalAveragePool") {
      m.attrs["kernel_shape"] = attrInts(Shape(xt.shape.begin() + 2, xt.shape.end()));
    } else {
      for (const char* a : {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "count_include_pad",
                            "dilations"})
        if (n.has(a)) m.attrs[a] = n.attrs.at(a);
    }
    m.inputs = {x.first};
    return replaceKeepingScale(id, std::move(m), s, x.second, xt.dtype, true);
  }

  // RNN/GRU/LSTM: DQ(X), DQ(W), DQ(R), float B and initial states -> op ->
  // Q for each used output becomes emlc.QRNN/QGRU/QLSTM (ops/qrnn.cpp), its
  // state in int16. A constant initial state becomes an int16 constant (the
  // state input), a dequantized one stays int8.
  Status recurrent(NodeId id) {
    const Node n = g_.n(id);
    if (n.in(7) != kNoTensor) return unsupported("LSTM peepholes (P) have no int8 kernel");
    EMLC_ASSIGN(auto x, actIn(n, 0));
    if (g_.t(x.first).type.dtype != DType::I8) return unsupported("input X is not int8");
    EMLC_ASSIGN(TensorId w, weightIn(n, 1, 1));
    EMLC_ASSIGN(TensorId r, weightIn(n, 2, 1));
    if (n.in(3) != kNoTensor && !g_.t(n.in(3)).isConstant()) return unsupported("B is not a float constant");
    Node m = n;
    m.domain = "emlc";
    m.op_type = int8RecurrentOpType(n.op_type);
    m.opset = 1;
    if (n.opset < 14) m.attrs.erase("layout");
    m.inputs.assign(10, kNoTensor);
    for (size_t k = 0; k < 5; ++k) m.inputs[k] = n.in(k);
    m.inputs[0] = x.first;
    m.inputs[1] = w;
    m.inputs[2] = r;
    for (size_t k : {size_t{5}, size_t{6}}) {
      const TensorId t = n.in(k);
      if (t == kNoTensor) continue;
      const int bits = k == 5 ? rt::kQRnnStateBits : rt::kQRnnCellBits;
      if (g_.t(t).isConstant()) {
        auto v = constantValues(g_, t);
        if (!v) return unsupported(fmt::format("input {} (initial state) is not readable", k));
        std::vector<int16_t> codes;
        for (double e : *v) codes.push_back(static_cast<int16_t>(std::max(-32768.0, std::min(32767.0, std::round(std::ldexp(e, bits))))));
        TensorType st{DType::I16, g_.t(t).type.shape};
        st.quant.scale = {std::ldexp(1.0f, -bits)};
        st.quant.zero_point = {0};
        m.inputs[k + 3] = addConstantOf<int16_t>(g_, g_.t(t).name + "_q", st, codes);
      } else {
        EMLC_ASSIGN(auto s0, actIn(n, k));
        if (g_.t(s0.first).type.dtype != DType::I8) return unsupported(fmt::format("input {} is not int8", k));
        m.inputs[k] = s0.first;
      }
    }
    static const char* const kPrefix[] = {"y", "yh", "yc"};
    std::vector<NodeId> quantizers;
    m.outputs.assign(3, kNoTensor);
    for (size_t k = 0; k < 3 && k < n.outputs.size(); ++k) {
      const TensorId t = n.out(k);
      if (t == kNoTensor || cons_[static_cast<size_t>(t)].empty()) {
        if (t != kNoTensor && isGraphOutput(t)) return unsupported(fmt::format("output {} is a float graph output", k));
        continue;
      }
      const auto& c = cons_[static_cast<size_t>(t)];
      auto p = c.size() == 1 ? quantizeParams(g_, g_.n(c[0])) : std::nullopt;
      auto y = p ? scalarOf(*p) : std::nullopt;
      if (!y || isGraphOutput(t) || g_.t(g_.n(c[0]).out(0)).type.dtype != DType::I8)
        return unsupported(fmt::format("output {} is not read by exactly one int8 per-tensor QuantizeLinear", k));
      const TensorId yq = g_.n(c[0]).out(0);
      quantizers.push_back(c[0]);
      if (cons_[static_cast<size_t>(yq)].empty() && !isGraphOutput(yq)) continue;  // nothing reads it
      attachQuant(g_, yq, *p);
      m.outputs[k] = yq;
      m.attrs[std::string(kPrefix[k]) + "_scale"] = attrFloat(y->scale);
      m.attrs[std::string(kPrefix[k]) + "_zero_point"] = iAttr(y->zero_point);
    }
    Node old = g_.n(id);
    g_.n(id) = std::move(m);
    g_.relinkProducers();
    Status st = inferNode(g_, id);
    if (!st) {
      g_.n(id) = std::move(old);
      g_.relinkProducers();
      return st.error().kind == ErrorKind::Internal ? st : unsupported(st.error().message);
    }
    for (NodeId q : quantizers) killNode(g_, q);
    g_.relinkProducers();
    made_ = fmt::format("emlc.{}, int8 weights and activations, int16 state (h Q0.15{})", g_.n(id).op_type,
                        n.op_type == "LSTM" ? ", c Q4.11" : "");
    return Status::ok();
  }

  // Ops that move int8 codes without arithmetic (and MaxPool, which only
  // compares them): the standard op runs on the codes.
  Status onCodes(NodeId id) {
    const Node n = g_.n(id);
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (n.outputs[k] != kNoTensor) return unsupported("optional outputs (indices, mask) are not int8");
    EMLC_ASSIGN(auto x, actIn(n, 0));
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (n.inputs[k] != kNoTensor && !g_.t(n.inputs[k]).isConstant())
        return unsupported(fmt::format("input {} is not constant", k));
    EMLC_ASSIGN(Sink s, sink(n, true));
    Node m = n;
    m.inputs[0] = x.first;
    if (m.op_type == "MaxPool" && m.opset < 12) m.opset = 12;  // int8 MaxPool
    const DType xt = g_.t(x.first).type.dtype;
    return replaceKeepingScale(id, std::move(m), s, x.second, xt, false);
  }

  Status pad(NodeId id) {
    const Node n = g_.n(id);
    if (n.opset < 11) return unsupported("Pad before opset 11 (float pad value attribute)");
    EMLC_ASSIGN(auto x, actIn(n, 0));
    if (n.in(3) != kNoTensor) return unsupported("Pad with axes");
    float value = 0.0f;
    if (n.in(2) != kNoTensor) {
      auto v = constantValues(g_, n.in(2));
      if (!v || v->size() != 1) return unsupported("pad value is not a constant scalar");
      value = static_cast<float>((*v)[0]);
    }
    EMLC_ASSIGN(Sink s, sink(n, true));
    const DType xt = g_.t(x.first).type.dtype;
    const CodeRange cr = codeRange(xt);
    const int32_t code = std::max(cr.lo, std::min(cr.hi, quantizeBound(value, x.second)));
    Node m = n;
    m.inputs = {x.first, n.in(1)};
    TensorType vt{xt, {}};
    if (xt == DType::I8)
      m.inputs.push_back(addConstantOf<int8_t>(g_, "pad_value_q", vt, {static_cast<int8_t>(code)}));
    else
      m.inputs.push_back(addConstantOf<uint8_t>(g_, "pad_value_q", vt, {static_cast<uint8_t>(code)}));
    return replaceKeepingScale(id, std::move(m), s, x.second, xt, false);
  }

  Status concat(NodeId id) {
    const Node n = g_.n(id);
    std::vector<std::pair<TensorId, QuantScalar>> ins;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      EMLC_ASSIGN(auto x, actIn(n, k));
      ins.push_back(x);
    }
    EMLC_ASSIGN(Sink s, sink(n, true));
    for (const auto& x : ins)
      if (g_.t(x.first).type.dtype != s.dtype) return unsupported("inputs and output of different types");
    // Inputs with other parameters are requantised first (right before the
    // Concat, which moves to id + inserted).
    Node m = n;
    NodeId at = id;
    for (size_t k = 0; k < ins.size(); ++k) {
      if (sameScalar(ins[k].second, s.y)) {
        m.inputs[k] = ins[k].first;
        continue;
      }
      TensorType t = g_.t(ins[k].first).type;
      t.quant = s.params;
      const TensorId r = addTensorOfType(g_, g_.t(ins[k].first).name + "_requant", t);
      Node q = internalNode(n, "Requantize");
      q.name = n.name.empty() ? "" : fmt::format("{}_requant{}", n.name, k);
      q.inputs = {ins[k].first};
      q.outputs = {r};
      setY(q, s);
      insertNode(g_, static_cast<size_t>(at), q);
      EMLC_TRY(inferNode(g_, at));
      ++at;
      m.inputs[k] = r;
    }
    refresh();
    Sink s2 = s;
    if (at != id) {
      s2.q = s.q + (at - id);
      for (NodeId& c : s2.chain) c += at - id;
      resume_ = at;
    }
    return replaceKeepingScale(at, std::move(m), s2, s.y, s.dtype, false);
  }

  Status softmax(NodeId id) {
    const Node n = g_.n(id);
    EMLC_ASSIGN(auto x, actIn(n, 0));
    if (g_.t(x.first).type.dtype != DType::I8) return unsupported("int8 softmax needs int8 input");
    EMLC_ASSIGN(Sink s, sink(n, false));
    if (s.dtype != DType::I8 || s.y.scale != 1.0f / 256.0f || s.y.zero_point != -128)
      return unsupported(fmt::format("softmax output quantized with scale {} and zero point {}; the int8 kernel "
                                     "writes scale 1/256, zero point -128",
                                     s.y.scale, s.y.zero_point));
    const TensorType xt = g_.t(x.first).type;
    Node m = internalNode(n, "QSoftmax");
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", n.opset < 13 ? 1 : -1), xt.rank()));
    m.attrs["axis"] = iAttr(axis);
    m.attrs["coerce_2d"] = iAttr(n.opset < 13 ? 1 : 0);
    m.inputs = {x.first};
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  // One-input elementwise float ops (and Relu/Clip on their own): a
  // 256-entry table, computed by running the float op and any clamps after
  // it on every dequantized code and quantizing the results.
  Status lut(NodeId id) {
    const Node n = g_.n(id);
    if (n.has("emlc_activation")) return unsupported("fused activation");
    EMLC_ASSIGN(auto x, actIn(n, 0));
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (n.inputs[k] != kNoTensor && !g_.t(n.inputs[k]).isConstant())
        return unsupported(fmt::format("input {} is not constant", k));
    if (n.op_type == "PRelu" && g_.t(n.in(1)).type.numel() != 1) return unsupported("PRelu with a per-channel slope");
    EMLC_ASSIGN(Sink s, sink(n, true));
    const DType xt = g_.t(x.first).type.dtype;
    if (xt != s.dtype) return unsupported("output type differs from the input's");
    EMLC_ASSIGN(std::vector<uint8_t> table, tableOf(n, s, x.second, xt));
    Node m = internalNode(n, "QLut");
    setY(m, s);
    m.inputs = {x.first, addConstant(g_, (n.name.empty() ? n.op_type : n.name) + "_table", TensorType{xt, {256}},
                                     std::move(table))};
    m.outputs = {s.yq};
    return replace(id, std::move(m), s);
  }

  // Runs node n (and the clamp chain) on the 256 dequantized codes in a
  // scratch graph and quantizes the results with the sink's parameters.
  Expected<std::vector<uint8_t>> tableOf(const Node& n, const Sink& s, QuantScalar xq, DType xt) {
    const CodeRange cr = codeRange(xt);
    Graph t;
    Tensor in;
    in.name = "x";
    in.type = TensorType{DType::F32, {256}};
    in.typed = true;
    in.is_input = true;
    TensorId cur = t.addTensor(in);
    t.inputs = {cur};
    std::vector<const Node*> chain = {&n};
    for (NodeId c : s.chain) chain.push_back(&g_.n(c));
    for (const Node* c : chain) {
      Node m = *c;
      m.inputs[0] = cur;
      for (size_t k = 1; k < m.inputs.size(); ++k) {
        if (m.inputs[k] == kNoTensor) continue;
        Tensor k2 = g_.t(c->inputs[k]);
        k2.producer = -1;
        m.inputs[k] = t.addTensor(k2);
      }
      Tensor o;
      o.name = "y" + std::to_string(t.tensors.size());
      cur = t.addTensor(o);
      m.outputs = {cur};
      t.addNode(m);
    }
    t.outputs = {cur};
    EMLC_TRY(inferAndFold(t, InferOptions{}));
    HostTensor h;
    h.type = TensorType{DType::F32, {256}};
    h.data.resize(256 * 4);
    std::vector<float> codes(256);
    for (int32_t i = 0; i < 256; ++i)
      codes[static_cast<size_t>(i)] = static_cast<float>(cr.lo + i - xq.zero_point) * xq.scale;
    std::memcpy(h.data.data(), codes.data(), h.data.size());
    EMLC_ASSIGN(auto outs, runGraph(t, {h}));
    if (outs.size() != 1 || outs[0].type.dtype != DType::F32 || outs[0].type.numel() != 256)
      return internal("int8 table: unexpected result type");
    std::vector<uint8_t> table(256);
    const float ys = s.y.scale;
    if (xt == DType::I8) {
      const int8_t z = static_cast<int8_t>(s.y.zero_point);
      rt::quantize_linear<int8_t>(outs[0].as<float>(), &ys, &z, reinterpret_cast<int8_t*>(table.data()), 1, 1, 256);
    } else {
      const uint8_t z = static_cast<uint8_t>(s.y.zero_point);
      rt::quantize_linear<uint8_t>(outs[0].as<float>(), &ys, &z, table.data(), 1, 1, 256);
    }
    return table;
  }

  // ---- DQ -> Q pairs and leftovers ----------------------------------------------

  // QuantizeLinear(DequantizeLinear(x)): a requantisation of x (an Identity
  // when the parameters agree).
  Status pairs() {
    for (NodeId i = 0; i < static_cast<NodeId>(g_.nodes.size()); ++i) {
      if (!isOp(g_, i, "QuantizeLinear")) continue;
      const Node q = g_.n(i);
      auto d = dequantSource(g_, q.in(0));
      auto p = quantizeParams(g_, q);
      if (!d || !p) continue;
      auto xs = scalarOf(d->params);
      auto ys = scalarOf(*p);
      const DType xt = g_.t(d->q).type.dtype, yt = g_.t(q.out(0)).type.dtype;
      if (!xs || !ys || (xt != DType::I8 && xt != DType::U8)) continue;
      if (!attachQuant(g_, d->q, d->params)) continue;
      attachQuant(g_, q.out(0), *p);
      Node m;
      m.name = q.name;
      m.inputs = {d->q};
      m.outputs = {q.out(0)};
      if (sameScalar(*xs, *ys) && xt == yt) {
        m.op_type = "Identity";
        m.opset = 13;
      } else {
        m.op_type = "Requantize";
        m.domain = "emlc";
        m.opset = 1;
        m.attrs["y_scale"] = attrFloat(ys->scale);
        m.attrs["y_zero_point"] = iAttr(ys->zero_point);
        m.attrs["to"] = iAttr(static_cast<int64_t>(yt));
      }
      g_.n(i) = m;
      g_.relinkProducers();
      EMLC_TRY(inferNode(g_, i));
      if (rep_) ++rep_->requantize_pairs;
      changed_ = true;
    }
    return Status::ok();
  }

  // DequantizeLinear/QuantizeLinear of constants left for float ops: folded.
  Status foldConstants() {
    refresh();
    for (NodeId i = 0; i < static_cast<NodeId>(g_.nodes.size()); ++i) {
      Node& n = g_.n(i);
      if (n.dead || !n.domain.empty() || (n.op_type != "DequantizeLinear" && n.op_type != "QuantizeLinear")) continue;
      bool allConst = true;
      for (TensorId x : n.inputs)
        if (x != kNoTensor && !g_.t(x).isConstant()) allConst = false;
      if (!allConst || cons_[static_cast<size_t>(n.out(0))].empty()) continue;
      const TensorId o = n.out(0);
      std::vector<const void*> in;
      for (TensorId x : n.inputs) in.push_back(x == kNoTensor ? nullptr : g_.t(x).data->data());
      std::vector<uint8_t> buf(std::max<size_t>(g_.t(o).type.bytes(), 1));
      EMLC_TRY(evalNode(g_, n, in, {buf.data()}));
      buf.resize(g_.t(o).type.bytes());
      g_.t(o).data = std::move(buf);
      killNode(g_, i);
      if (rep_ && g_.t(o).type.dtype == DType::F32) ++rep_->folded_dequantize;
      changed_ = true;
    }
    g_.relinkProducers();
    return Status::ok();
  }
};

}  // namespace

bool hasQdq(const Graph& g) {
  for (const Node& n : g.nodes)
    if (!n.dead && n.domain.empty() && (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear"))
      return true;
  return false;
}

Expected<bool> lowerQdq(Graph& g, QdqReport* report) {
  Lowerer l(g, report);
  return l.run();
}

}  // namespace emlc
