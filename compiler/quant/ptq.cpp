#include "quant/ptq.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "emlc/int8_elementwise.h"
#include "ops/op.h"
#include "ops/rnn_plan.h"
#include "passes/stateful.h"
#include "quant/calibration.h"
#include "quant/graph_edit.h"
#include "quant/measure.h"

namespace emlc {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// ---- which ops get int8 kernels ---------------------------------------------------

// Output parameters follow the input's (TFLite: same scale in and out).
const std::set<std::string>& scalePreserving() {
  static const std::set<std::string> k = {"MaxPool", "AveragePool", "GlobalAveragePool", "Reshape", "Flatten",
                                          "Squeeze", "Unsqueeze", "Identity", "Transpose", "Dropout",
                                          "DepthToSpace", "SpaceToDepth", "Slice", "Pad"};
  return k;
}
// Single-input elementwise ops run as 256-entry tables.
const std::set<std::string>& tableOps() {
  static const std::set<std::string> k = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
                                          "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Abs",
                                          "Neg", "Erf", "ThresholdedRelu"};
  return k;
}

bool allConstFrom(const Graph& g, const Node& n, size_t from) {
  for (size_t k = from; k < n.inputs.size(); ++k)
    if (n.inputs[k] != kNoTensor && !g.t(n.inputs[k]).isConstant()) return false;
  return true;
}

// Why node n cannot run in int8 ("" if it can). Mirrors the lowering's rules
// (quant/lower_qdq.cpp) for the graphs this quantizer produces.
std::string int8Blocker(const Graph& g, const Node& n) {
  if (!n.domain.empty()) return "not an ONNX op";
  const std::string& t = n.op_type;
  for (TensorId x : n.inputs)
    if (x != kNoTensor && !g.t(x).isConstant() && g.t(x).type.dtype != DType::F32)
      return fmt::format("input '{}' is {}, not float32", g.t(x).name, dtypeName(g.t(x).type.dtype));
  for (TensorId x : n.outputs)
    if (x != kNoTensor && g.t(x).type.dtype != DType::F32) return "an output is not float32";
  if (n.has("emlc_activation")) {
    const std::string a = n.attrString("emlc_activation", "");
    if (a != "Relu" && a != "Clip") return "fused activation " + a;
  }
  if (t == "Conv") {
    if (!g.t(n.in(1)).isConstant() || (n.in(2) != kNoTensor && !g.t(n.in(2)).isConstant()))
      return "weights or bias are not constant";
    return "";
  }
  if (t == "Gemm") {
    if (n.attrInt("transA", 0) != 0) return "transA=1";
    if (n.attrFloat("alpha", 1.0f) != 1.0f || (n.in(2) != kNoTensor && n.attrFloat("beta", 1.0f) != 1.0f))
      return "alpha or beta other than 1";
    if (!allConstFrom(g, n, 1)) return "B or C is not constant";
    return "";
  }
  if (t == "MatMul") return g.t(n.in(1)).isConstant() && g.t(n.in(1)).type.rank() == 2 ? "" : "B is not a constant matrix";
  if (t == "Add" || t == "Mul") return n.opset >= 7 ? "" : "legacy broadcasting (opset < 7)";
  if (t == "Softmax" || t == "Concat") return "";
  if (t == "Pad") return n.opset >= 11 && n.in(3) == kNoTensor && allConstFrom(g, n, 1) ? "" : "Pad form (opset < 11, axes or runtime pads)";
  if (scalePreserving().count(t)) {
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (n.outputs[k] != kNoTensor) return "optional outputs (indices, mask)";
    if (t == "AveragePool" && n.attrInts("dilations", {1}) != std::vector<int64_t>(n.attrInts("dilations", {1}).size(), 1))
      return "dilations";
    return allConstFrom(g, n, 1) ? "" : "shape-like inputs are not constant";
  }
  if (tableOps().count(t)) return allConstFrom(g, n, 1) ? "" : "bounds are not constant";
  if (t == "RNN" || t == "GRU" || t == "LSTM") return int8RecurrentBlocker(n, g);
  return "no int8 kernel for this op";
}

bool matchesKeep(const Node& n, const std::vector<std::string>& keep) {
  for (const std::string& k : keep)
    if (k == n.name || k == n.op_type) return true;
  return false;
}

// ---- prepare --------------------------------------------------------------------------

// Splits a fused activation that is not a clamp back into its own node, so
// the producer can requantise and the activation run as a table.
Status unfuse(Graph& g, NodeId id) {
  Node& n = g.n(id);
  const std::string a = n.attrString("emlc_activation", "");
  const float alpha = n.attrFloat("emlc_act_alpha", 0.01f);
  for (const char* k : {"emlc_activation", "emlc_act_min", "emlc_act_max", "emlc_act_alpha"}) n.attrs.erase(k);
  const TensorId out = n.out(0);
  const TensorId pre = addTensorOfType(g, g.t(out).name + "_pre_act", g.t(out).type);
  n.outputs[0] = pre;
  Node act;
  act.name = n.name.empty() ? "" : n.name + "_" + a;
  act.op_type = a;
  act.opset = 14;
  if (a == "LeakyRelu") act.attrs["alpha"] = attrFloat(alpha);
  act.inputs = {pre};
  act.outputs = {out};
  insertNode(g, static_cast<size_t>(id + 1), act);
  return inferNode(g, id + 1);
}

// BatchNormalization (inference) on a rank >= 3 tensor with constant
// parameters: the same per-channel affine map as a 1x1 depthwise Conv, which
// has an int8 kernel.
Status batchNormAsConv(Graph& g, NodeId id) {
  const Node n = g.n(id);
  if (n.attrInt("training_mode", 0) != 0 || n.outputs.size() > 1) return Status::ok();
  const TensorType x = g.inType(n, 0);  // a copy: adding tensors moves g.tensors
  if (x.rank() < 2 || x.rank() > 5) return Status::ok();
  std::vector<std::vector<double>> p;
  for (size_t k = 1; k <= 4; ++k) {
    auto v = constantValues(g, n.in(k));
    if (!v) return Status::ok();
    p.push_back(*v);
  }
  const int64_t C = x.shape[1];
  for (const auto& v : p)
    if (static_cast<int64_t>(v.size()) != C) return Status::ok();
  const double eps = n.attrFloat("epsilon", 1e-5f);
  std::vector<float> w(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
    // Float arithmetic as the float BatchNormalization kernel computes it is
    // not required: quantization error dominates; double keeps it simple.
    const double s = p[0][c] / std::sqrt(p[3][c] + eps);
    w[c] = static_cast<float>(s);
    b[c] = static_cast<float>(p[1][c] - p[2][c] * s);
  }
  // A [N, C] input runs as [N, C, 1] (Reshape views around a 1-D Conv).
  const int64_t rank = std::max<int64_t>(x.rank(), 3);
  Shape ws(static_cast<size_t>(rank), 1);
  ws[0] = C;
  Node conv;
  conv.name = n.name;
  conv.op_type = "Conv";
  conv.opset = 11;
  conv.attrs["group"] = attrInt(C);
  conv.attrs["kernel_shape"] = attrInts(std::vector<int64_t>(static_cast<size_t>(rank - 2), 1));
  conv.inputs = {n.in(0), addConstantOf<float>(g, n.name + "_scale_w", TensorType{DType::F32, ws}, w),
                 addConstantOf<float>(g, n.name + "_shift_b", TensorType{DType::F32, {C}}, b)};
  conv.outputs = {n.out(0)};
  if (x.rank() == 2) {
    auto reshape = [&](TensorId from, const Shape& to, const std::string& name) {
      Node r;
      r.name = name;
      r.op_type = "Reshape";
      r.opset = 13;
      std::vector<int64_t> dims(to.begin(), to.end());
      r.inputs = {from, addConstantOf<int64_t>(g, name + "_shape", TensorType{DType::I64, {static_cast<int64_t>(dims.size())}}, dims)};
      return r;
    };
    Shape s3 = {x.shape[0], C, 1};
    const TensorId in3 = addTensorOfType(g, g.t(n.in(0)).name + "_3d", TensorType{DType::F32, s3});
    const TensorId out3 = addTensorOfType(g, g.t(n.out(0)).name + "_3d", TensorType{DType::F32, s3});
    Node before = reshape(n.in(0), s3, n.name + "_to3d");
    before.outputs = {in3};
    Node after = reshape(out3, x.shape, n.name + "_to2d");
    after.outputs = {n.out(0)};
    conv.inputs[0] = in3;
    conv.outputs = {out3};
    g.n(id) = before;
    g.relinkProducers();
    EMLC_TRY(inferNode(g, id));
    insertNode(g, static_cast<size_t>(id + 1), conv);
    EMLC_TRY(inferNode(g, id + 1));
    insertNode(g, static_cast<size_t>(id + 2), after);
    return inferNode(g, id + 2);
  }
  g.n(id) = conv;
  g.relinkProducers();
  return inferNode(g, id);
}

Status prepare(Graph& g) {
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) {
    const Node& n = g.n(i);
    if (n.dead || !n.domain.empty()) continue;
    if (n.has("emlc_activation")) {
      const std::string a = n.attrString("emlc_activation", "");
      if (a != "Relu" && a != "Clip") {
        EMLC_TRY(unfuse(g, i));
        continue;
      }
    }
    if (n.op_type == "BatchNormalization") EMLC_TRY(batchNormAsConv(g, i));
  }
  return verifyGraph(g);
}

// ---- weights ------------------------------------------------------------------------

// Symmetric int8 per channel along `axis` (-127..127, zero point 0):
// scale_c = max|w_c| / 127, codes round(w / scale_c) (half away from zero).
std::pair<std::vector<int8_t>, QuantParams> quantizeWeights(const Graph& g, TensorId w, int64_t axis) {
  const TensorType& t = g.t(w).type;
  std::vector<double> v = *constantValues(g, w);
  const int64_t C = t.shape[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (int64_t a = axis + 1; a < t.rank(); ++a) inner *= t.shape[static_cast<size_t>(a)];
  std::vector<double> mx(static_cast<size_t>(C), 0.0);
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % C);
    mx[c] = std::max(mx[c], std::fabs(v[i]));
  }
  QuantParams p;
  p.axis = C > 1 ? static_cast<int32_t>(axis) : -1;
  for (double m : mx) {
    const float s = static_cast<float>(m / 127.0);
    p.scale.push_back(s > 0.0f && std::isfinite(s) ? s : 1.0f);
    p.zero_point.push_back(0);
  }
  std::vector<int8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % C);
    const double r = std::round(v[i] / static_cast<double>(p.scale[c]));
    q[i] = static_cast<int8_t>(std::max(-127.0, std::min(127.0, r)));
  }
  return {q, p};
}

// A constant operand of Add/Mul: asymmetric int8 per tensor over its range.
std::pair<std::vector<int8_t>, QuantParams> quantizeConstant(const Graph& g, TensorId c) {
  std::vector<double> v = *constantValues(g, c);
  double lo = 0, hi = 0;
  for (double x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  QuantParams p = asymmetricInt8(static_cast<float>(lo), static_cast<float>(hi));
  std::vector<int8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double r = std::nearbyint(v[i] / p.scale[0]) + p.zero_point[0];
    q[i] = static_cast<int8_t>(std::max(-128.0, std::min(127.0, r)));
  }
  return {q, p};
}

// ---- QDQ insertion ------------------------------------------------------------------

struct Plan {
  std::set<NodeId> q;                   // nodes to run in int8 (ids in the prepared float graph)
  std::map<TensorId, QuantParams> act;  // activation tensors to quantize, with their parameters
};

bool isClampNode(const Graph& g, const Node& n) {
  if (n.op_type == "Relu") return true;
  if (n.op_type != "Clip") return false;
  return allConstFrom(g, n, 1);
}

// Tensors to quantize and their parameters. `ranges` holds calibrated
// [lo, hi] per float tensor.
Expected<Plan> plan(const Graph& g, const std::set<NodeId>& q, const std::map<TensorId, std::pair<float, float>>& ranges) {
  Plan p;
  p.q = q;
  const auto cons = g.consumers();
  std::set<TensorId> outputs(g.outputs.begin(), g.outputs.end());
  // head[t]: the node whose int8 form writes t (through fused clamps).
  std::map<TensorId, NodeId> head;
  std::set<TensorId> fusedIntermediate;
  static const std::set<std::string> kNoClampFusion = {"Softmax"};
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) {
    const Node& n = g.n(i);
    if (n.dead || !q.count(i)) continue;
    const TensorId y = n.out(0);
    const auto& c = cons[static_cast<size_t>(y)];
    NodeId h = i;
    if (n.inputs.size() >= 1 && isClampNode(g, n) && n.in(0) != kNoTensor && fusedIntermediate.count(n.in(0)))
      h = head.at(n.in(0));
    head[y] = h;
    if (!outputs.count(y) && c.size() == 1 && q.count(c[0]) && isClampNode(g, g.n(c[0])) &&
        !kNoClampFusion.count(g.n(h).op_type))
      fusedIntermediate.insert(y);
  }
  auto quantizedInput = [&](TensorId t) -> const QuantParams* {
    auto it = p.act.find(t);
    return it == p.act.end() ? nullptr : &it->second;
  };
  auto want = [&](TensorId t, NodeId producer) {
    if (fusedIntermediate.count(t)) return false;
    if (producer >= 0 && q.count(producer)) return true;
    for (NodeId c : cons[static_cast<size_t>(t)])
      if (q.count(c)) return true;
    return false;
  };
  auto decide = [&](TensorId t, NodeId producer) -> Status {
    if (g.t(t).type.dtype != DType::F32 || g.t(t).isConstant() || !want(t, producer)) return Status::ok();
    QuantParams qp;
    const bool ours = producer >= 0 && q.count(producer);
    const Node* h = ours ? &g.n(head.count(t) ? head.at(t) : producer) : nullptr;
    if (h && h->op_type == "Softmax") {
      qp.scale = {1.0f / 256.0f};
      qp.zero_point = {-128};
    } else if (h && h->op_type == "Sigmoid" && h == &g.n(producer)) {
      qp.scale = {1.0f / 256.0f};
      qp.zero_point = {-128};
    } else if (h && h->op_type == "Tanh" && h == &g.n(producer)) {
      qp.scale = {1.0f / 128.0f};
      qp.zero_point = {0};
    } else if (h && h == &g.n(producer) && (h->op_type == "RNN" || h->op_type == "GRU" || h->op_type == "LSTM") &&
               t != h->out(2)) {
      // Y and Y_h of a recurrence lie in [-1, 1] (int8 recurrences take
      // bounded activations only): fixed like Tanh's, so a --stateful model,
      // calibrated on single frames from a zero state, quantizes its
      // recurrent path exactly as the full-sequence model does.
      qp.scale = {1.0f / 128.0f};
      qp.zero_point = {0};
    } else if (h && scalePreserving().count(h->op_type) && quantizedInput(h->in(0))) {
      qp = *quantizedInput(h->in(0));
    } else {
      auto r = ranges.find(t);
      if (r == ranges.end()) return internal(fmt::format("no calibration range for '{}'", g.t(t).name));
      qp = asymmetricInt8(r->second.first, r->second.second);
    }
    p.act[t] = qp;
    return Status::ok();
  };
  for (TensorId in : g.inputs) EMLC_TRY(decide(in, -1));
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) {
    if (g.n(i).dead) continue;
    for (TensorId o : g.n(i).outputs)
      if (o != kNoTensor) EMLC_TRY(decide(o, i));
  }
  return p;
}

// Rewrites the prepared float graph into QDQ form following the plan. The
// int8 tensor of a quantized activation takes the float tensor's name (the
// float one becomes NAME_float), so reports can match them by name.
Status insertQdq(Graph& g, const Plan& p, std::map<std::string, std::string>* names) {
  const auto cons = g.consumers();
  for (const auto& [t, qp] : p.act) {
    const std::string name = g.t(t).name;
    const NodeId prod = g.t(t).producer;
    const bool producedInt8 = prod >= 0 && p.q.count(prod);
    bool allInt8 = true;
    for (NodeId c : cons[static_cast<size_t>(t)]) allInt8 &= p.q.count(c) > 0;
    // A model input or output that stays float keeps its name.
    const bool keepName = (g.t(t).is_input && !allInt8) || (g.t(t).is_output && !producedInt8);
    if (!keepName) g.t(t).name = g.uniqueName(name + "_float");
    TensorType it{DType::I8, g.t(t).type.shape};
    it.quant = qp;
    const TensorId tq = addTensorOfType(g, keepName ? name + "_q" : name, it);
    (*names)[name] = g.t(tq).name;
    const TensorId tdq = addTensorOfType(g, name + "_dq", g.t(t).type);
    const TensorId s = addConstantOf<float>(g, name + "_scale", TensorType{DType::F32, {}}, qp.scale);
    const TensorId z = addConstantOf<int8_t>(g, name + "_zero_point", TensorType{DType::I8, {}},
                                             {static_cast<int8_t>(qp.zero_point[0])});
    Node qn;
    qn.name = "quantize_" + name;
    qn.op_type = "QuantizeLinear";
    qn.opset = 13;
    qn.inputs = {t, s, z};
    qn.outputs = {tq};
    Node dn = qn;
    dn.name = "dequantize_" + name;
    dn.op_type = "DequantizeLinear";
    dn.inputs = {tq, s, z};
    dn.outputs = {tdq};
    // Readers switch to the dequantized tensor when they run in int8 or when
    // the float tensor only exists as int8 (its producer runs in int8).
    for (NodeId c : cons[static_cast<size_t>(t)]) {
      if (!producedInt8 && !p.q.count(c)) continue;
      for (TensorId& x : g.n(c).inputs)
        if (x == t) x = tdq;
    }
    for (TensorId& o : g.outputs)
      if (o == t && producedInt8) {
        o = tdq;
        g.t(t).is_output = false;
        g.t(tdq).is_output = true;
      }
    g.addNode(qn);
    g.addNode(dn);
  }
  // Weights and constant operands of int8 nodes.
  for (NodeId i : p.q) {
    // g.n(i) is re-read after every addNode (the node vector may move).
    auto weights = [&](size_t k, int64_t axis) {
      const TensorId w = g.n(i).in(k);
      auto [codes, qp] = quantizeWeights(g, w, axis);
      TensorType t{DType::I8, g.t(w).type.shape};
      const std::string base = g.t(w).name;
      const TensorId wq = addConstantOf<int8_t>(g, base + "_q", t, codes);
      const TensorId s = addConstantOf<float>(g, base + "_scale", TensorType{DType::F32, {static_cast<int64_t>(qp.scale.size())}}, qp.scale);
      std::vector<int8_t> zeros(qp.scale.size(), 0);
      const TensorId z = addConstantOf<int8_t>(g, base + "_zero_point", TensorType{DType::I8, {static_cast<int64_t>(zeros.size())}}, zeros);
      const TensorId wd = addTensorOfType(g, base + "_dq", g.t(w).type);
      Node dn;
      dn.name = "dequantize_" + base;
      dn.op_type = "DequantizeLinear";
      dn.opset = 13;
      dn.attrs["axis"] = attrInt(axis);
      dn.inputs = {wq, s, z};
      dn.outputs = {wd};
      g.n(i).inputs[k] = wd;
      g.addNode(dn);
    };
    const std::string type = g.n(i).op_type;
    if (type == "Conv") weights(1, 0);
    else if (type == "Gemm") weights(1, g.n(i).attrInt("transB", 0) != 0 ? 0 : 1);
    else if (type == "MatMul") weights(1, 1);
    else if (type == "RNN" || type == "GRU" || type == "LSTM") {  // [D, G*H, K]: one scale per gate row
      weights(1, 1);
      weights(2, 1);
    }
    else if (type == "Add" || type == "Mul") {
      for (size_t k = 0; k < 2; ++k) {
        const TensorId c = g.n(i).in(k);
        if (!g.t(c).isConstant()) continue;
        auto [codes, qp] = quantizeConstant(g, c);
        const std::string base = g.t(c).name;
        const TensorId cq = addConstantOf<int8_t>(g, base + "_q", TensorType{DType::I8, g.t(c).type.shape}, codes);
        const TensorId s = addConstantOf<float>(g, base + "_scale", TensorType{DType::F32, {}}, qp.scale);
        const TensorId z = addConstantOf<int8_t>(g, base + "_zero_point", TensorType{DType::I8, {}},
                                                 {static_cast<int8_t>(qp.zero_point[0])});
        const TensorId cd = addTensorOfType(g, base + "_dq", g.t(c).type);
        Node dn;
        dn.name = "dequantize_" + base;
        dn.op_type = "DequantizeLinear";
        dn.opset = 13;
        dn.inputs = {cq, s, z};
        dn.outputs = {cd};
        g.n(i).inputs[k] = cd;
        g.addNode(dn);
      }
    }
  }
  EMLC_TRY(topoSort(g));
  return verifyGraph(g);
}

// Model inputs and outputs become int8 where the quantized graph allows:
// an input read only by its QuantizeLinear, an output written by a
// DequantizeLinear of an int8 activation. The int8 tensors already carry the
// model's names (insertQdq gave them).
Status int8Boundary(Graph& g) {
  auto cons = g.consumers();
  for (TensorId& in : g.inputs) {
    const auto& c = cons[static_cast<size_t>(in)];
    if (c.size() != 1 || !isOp(g, c[0], "QuantizeLinear")) continue;
    const TensorId tq = g.n(c[0]).out(0);
    g.t(in).is_input = false;
    g.t(tq).is_input = true;
    killNode(g, c[0]);
    in = tq;
  }
  g.relinkProducers();
  cons = g.consumers();
  for (TensorId& out : g.outputs) {
    const NodeId d = g.t(out).producer;
    if (!isOp(g, d, "DequantizeLinear")) continue;
    const TensorId tq = g.n(d).in(0);
    if (g.t(tq).isConstant() || g.t(tq).is_input || g.t(tq).type.dtype != DType::I8) continue;
    g.t(out).is_output = false;
    g.t(tq).is_output = true;
    if (cons[static_cast<size_t>(out)].empty()) killNode(g, d);
    out = tq;
  }
  g.relinkProducers();
  g.compact();
  return verifyGraph(g);
}

// ---- calibration ---------------------------------------------------------------------

Expected<std::vector<SampleReader>> openSamples(const Graph& g, const std::vector<std::string>& paths,
                                                const char* what) {
  if (paths.size() != g.inputs.size())
    return invalid(fmt::format("the model has {} input{}; give one {} file or folder per input ({} given)",
                               g.inputs.size(), g.inputs.size() == 1 ? "" : "s", what, paths.size()));
  std::vector<SampleReader> r;
  for (size_t k = 0; k < paths.size(); ++k) {
    EMLC_ASSIGN(SampleReader s, SampleReader::open(paths[k], g.t(g.inputs[k]).type));
    if (!r.empty() && s.size() != r[0].size())
      return invalid(fmt::format("{} data: input {} has {} samples, input 0 has {}", what, k, s.size(), r[0].size()));
    if (s.size() == 0) return invalid(fmt::format("{} data '{}' holds no samples", what, paths[k]));
    r.push_back(std::move(s));
  }
  return r;
}

Expected<std::map<TensorId, std::pair<float, float>>> calibrate(const Graph& g, std::vector<SampleReader>& samples,
                                                                const CalibrationMethod& m, const QuantOptions& opt) {
  std::map<TensorId, RangeObserver> obs;
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].type.dtype == DType::F32 && !g.tensors[i].isConstant()) obs[static_cast<TensorId>(i)];
  const size_t n = samples[0].size();
  // --stateful: a streaming copy of the graph, whose tensors map back to g's by name.
  Graph stream;
  std::vector<TensorId> toG;
  if (opt.stateful) {
    stream = g;
    StateOptions so;
    so.recurrent = true;
    EMLC_TRY(makeStateful(stream, so));
    for (const Tensor& t : stream.tensors) {
      auto id = g.find(t.name);
      toG.push_back(id ? *id : kNoTensor);
    }
  }
  std::vector<std::vector<uint8_t>> state(stream.states.size());
  const int passes = m.needsHistogram() ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    if (pass == 1)
      for (auto& kv : obs) kv.second.startHistogram();
    for (auto& s : samples) s.rewind();
    state.assign(stream.states.size(), {});
    TensorObserver see = [&](TensorId sid, const uint8_t* data) {
      const TensorId id = opt.stateful ? toG[static_cast<size_t>(sid)] : sid;
      auto it = obs.find(id);
      if (it == obs.end()) return;
      const float* v = reinterpret_cast<const float*>(data);
      const size_t cnt = static_cast<size_t>(g.t(id).type.numel());
      if (pass == 0) it->second.observeRange(v, cnt);
      else it->second.observeHistogram(v, cnt);
    };
    for (size_t i = 0; i < n; ++i) {
      std::vector<HostTensor> in;
      for (auto& s : samples) {
        EMLC_ASSIGN(HostTensor h, s.next());
        in.push_back(std::move(h));
      }
      if (opt.stateful) EMLC_TRY(runGraphStep(stream, in, state, &see).status());
      else EMLC_TRY(runGraph(g, in, &see).status());
      if (opt.progress) opt.progress(passes == 2 ? (pass == 0 ? "calibrating (ranges)" : "calibrating (histograms)")
                                                 : "calibrating",
                                     i + 1, n);
    }
  }
  std::map<TensorId, std::pair<float, float>> r;
  for (const auto& [id, o] : obs) r[id] = o.choose(m);
  return r;
}

// Builds the QDQ graph for the node set `q` from the prepared float graph;
// `names` maps each quantized float tensor to its int8 tensor.
Expected<Graph> buildQdq(const Graph& prepared, const std::set<NodeId>& q,
                         const std::map<TensorId, std::pair<float, float>>& ranges,
                         std::map<std::string, std::string>* names) {
  Graph g = prepared;
  EMLC_ASSIGN(Plan p, plan(g, q, ranges));
  names->clear();
  EMLC_TRY(insertQdq(g, p, names));
  EMLC_TRY(int8Boundary(g));
  return g;
}

}  // namespace

Expected<bool> quantizeGraph(Graph& g, const QuantOptions& opt, QuantResult* result) {
  QuantResult local;
  QuantResult& res = result ? *result : local;
  EMLC_ASSIGN(CalibrationMethod method, parseCalibrationMethod(opt.method));
  if (opt.calibration.empty())
    return invalid("--quantize int8 needs calibration data: --calibration FILE.npy (or a folder), one per model input");
  for (TensorId in : g.inputs)
    if (g.t(in).type.dtype != DType::F32)
      return unsupported(fmt::format("input '{}' is {}; static quantization starts from a float32 model",
                                     g.t(in).name, dtypeName(g.t(in).type.dtype)));
  EMLC_TRY(prepare(g));
  const Graph prepared = g;

  // Nodes with int8 kernels, minus what the user keeps in float.
  std::set<NodeId> q;
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) {
    const Node& n = g.n(i);
    if (n.dead) continue;
    const std::string why = int8Blocker(g, n);
    if (!why.empty()) {
      res.float_nodes.push_back(fmt::format("{}: {}", g.label(n), why));
      continue;
    }
    if (matchesKeep(n, opt.keep_float)) {
      res.kept_float.push_back(fmt::format("{}: --keep-float", g.label(n)));
      continue;
    }
    q.insert(i);
  }
  for (const std::string& k : opt.keep_float) {
    bool found = false;
    for (const Node& n : g.nodes) found |= n.name == k || n.op_type == k;
    if (!found) return invalid(fmt::format("--keep-float {}: no node or op type of that name in the model", k));
  }

  EMLC_ASSIGN(std::vector<SampleReader> calib, openSamples(g, opt.calibration, "--calibration"));
  res.method = method.str();
  res.calibration_samples = calib[0].size();
  EMLC_ASSIGN(auto ranges, calibrate(prepared, calib, method, opt));

  std::map<std::string, std::string> names;
  EMLC_ASSIGN(Graph qdq, buildQdq(prepared, q, ranges, &names));

  const bool wantTest = !opt.test_data.empty();
  if (wantTest != !opt.test_labels.empty())
    return invalid("--test-data and --test-labels go together");
  if (opt.accuracy_budget >= 0 && !wantTest)
    return invalid("--accuracy-budget needs --test-data and --test-labels to measure accuracy");

  if (wantTest) {
    EMLC_ASSIGN(std::vector<SampleReader> test, openSamples(prepared, opt.test_data, "--test-data"));
    EMLC_ASSIGN(std::vector<int64_t> labels, readLabels(opt.test_labels));
    if (labels.size() != test[0].size())
      return invalid(fmt::format("--test-labels holds {} labels for {} test samples", labels.size(), test[0].size()));
    EMLC_ASSIGN(Graph lowered, lowerCopy(qdq));
    EMLC_ASSIGN(res.accuracy, measureAccuracy(prepared, lowered, test, labels, opt));
    if (opt.accuracy_budget >= 0) {
      const double points = 100.0 * (res.accuracy.float_value - res.accuracy.int8_value) *
                            (res.accuracy.metric == "auc" ? 1.0 : 1.0);
      if (points <= opt.accuracy_budget) {
        res.budget_note = fmt::format("int8 is within {} points of float ({:.2f} points lost); nothing kept in float",
                                      opt.accuracy_budget, points);
      } else {
        // Greedy: keep the layers that lose the most signal (SQNR drop on the
        // calibration set) in float, one at a time, until within budget.
        EMLC_ASSIGN(auto order, sensitivity(prepared, lowered, names, calib, opt));
        std::set<NodeId> cur = q;
        std::vector<std::string> chosen;
        bool met = false;
        for (const auto& name : order) {
          NodeId id = -1;
          for (NodeId i : cur)
            if (prepared.n(i).name == name || prepared.label(i) == name) id = i;
          if (id < 0) continue;
          cur.erase(id);
          chosen.push_back(prepared.label(id));
          std::map<std::string, std::string> candNames;
          EMLC_ASSIGN(Graph candidate, buildQdq(prepared, cur, ranges, &candNames));
          EMLC_ASSIGN(Graph low, lowerCopy(candidate));
          EMLC_ASSIGN(Accuracy acc, measureAccuracy(prepared, low, test, labels, opt));
          res.accuracy = acc;
          qdq = std::move(candidate);
          names = std::move(candNames);
          if (100.0 * (acc.float_value - acc.int8_value) <= opt.accuracy_budget) {
            met = true;
            break;
          }
        }
        for (const auto& c : chosen) res.kept_float.push_back(c + ": --accuracy-budget");
        res.budget_note = fmt::format("{} layer{} kept in float to stay within {} points{}", chosen.size(),
                                      chosen.size() == 1 ? "" : "s", opt.accuracy_budget,
                                      met ? "" : " (not reached with every sensitive layer in float)");
      }
    }
  }
  if (opt.report) {
    EMLC_ASSIGN(Graph lowered, lowerCopy(qdq));
    for (auto& s : calib) s.rewind();
    EMLC_ASSIGN(res.layers, layerSqnr(prepared, lowered, names, calib, opt));
  }
  g = std::move(qdq);
  res.quantized = true;
  return true;
}

Expected<HostTensor> toInputType(const HostTensor& in, const TensorType& want) {
  if (in.type.dtype == want.dtype) return in;
  if (in.type.dtype != DType::F32 || (want.dtype != DType::I8 && want.dtype != DType::U8) ||
      want.quant.scale.size() != 1)
    return invalid(fmt::format("input of type {} cannot be converted to {}", in.type.str(), want.str()));
  HostTensor h;
  h.type = want;
  h.type.shape = in.type.shape;
  h.data.resize(h.type.bytes());
  const float s = want.quant.scale[0];
  const int32_t z = want.quant.zero_point.empty() ? 0 : want.quant.zero_point[0];
  const int32_t n = static_cast<int32_t>(in.type.numel());
  if (want.dtype == DType::I8) rt::quantize_tensor<int8_t>(in.as<float>(), h.as<int8_t>(), n, s, z);
  else rt::quantize_tensor<uint8_t>(in.as<float>(), h.as<uint8_t>(), n, s, z);
  return h;
}

HostTensor dequantized(const HostTensor& out) {
  const TensorType& t = out.type;
  if ((t.dtype != DType::I8 && t.dtype != DType::U8) || t.quant.scale.size() != 1) return out;
  HostTensor h;
  h.type = TensorType{DType::F32, t.shape};
  h.data.resize(h.type.bytes());
  const float s = t.quant.scale[0];
  const int32_t n = static_cast<int32_t>(t.numel());
  const int32_t z = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
  if (t.dtype == DType::I8) rt::dequantize_tensor<int8_t>(out.as<int8_t>(), h.as<float>(), n, s, z);
  else rt::dequantize_tensor<uint8_t>(out.as<uint8_t>(), h.as<float>(), n, s, z);
  return h;
}

}  // namespace emlc
