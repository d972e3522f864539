#include "prune/structured.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "passes/rewrite.h"
#include "quant/graph_edit.h"

namespace emlc {

namespace {

bool isConvLayer(const Graph& g, const Node& n) { return isPrunableLayer(g, n) && n.op_type == "Conv"; }
bool isGemmLayer(const Graph& g, const Node& n) {
  return isPrunableLayer(g, n) && n.op_type == "Gemm" && n.attrInt("transA", 0) == 0;
}
int64_t convGroup(const Node& n) { return n.attrInt("group", 1); }
// A depthwise Conv: one weight row per input channel (multiplier 1).
bool isDepthwise(const Graph& g, const Node& n) {
  if (!isConvLayer(g, n) || g.inType(n, 0).rank() < 3) return false;
  const int64_t c = g.inType(n, 0).shape[1];
  const Shape& w = g.inType(n, 1).shape;
  return c > 1 && convGroup(n) == c && w[0] == c && w[1] == 1;
}
// Ops whose output channel c depends on input channel c only (input 0).
bool preservesChannels(const Graph& g, const Node& n) {
  static const std::set<std::string> ops = {"Relu",      "Clip",     "LeakyRelu",         "Sigmoid",
                                            "Tanh",      "HardSwish", "HardSigmoid",      "Elu",
                                            "Selu",      "Gelu",     "Mish",              "Softplus",
                                            "MaxPool",   "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                                            "Identity",  "Dropout",  "PRelu"};
  if (!n.domain.empty()) return false;
  if (n.op_type == "PRelu") return false;  // its slope may be per channel: not handled
  if (ops.count(n.op_type)) return true;
  if (n.op_type == "Pad") {  // no padding along the channel axis
    if (n.in(1) == kNoTensor || !g.t(n.in(1)).isConstant() || n.in(3) != kNoTensor) return false;
    const std::vector<double> p = constValues(g, n.in(1));
    const size_t r = static_cast<size_t>(g.inType(n, 0).rank());
    return p.size() == 2 * r && r >= 2 && p[1] == 0 && p[r + 1] == 0;
  }
  return false;
}
bool isBinary(const Node& n) {
  return n.domain.empty() && (n.op_type == "Add" || n.op_type == "Sub" || n.op_type == "Mul") && n.inputs.size() == 2;
}

// One coupled channel group and what pruning it touches. Channel c of the
// group is channel offset + c of an entry's tensor.
struct Group {
  int64_t channels = 0;
  std::vector<NodeId> sources;                     // lose output channels
  std::map<NodeId, int64_t> depthwise;             // offset of its channels
  std::vector<std::tuple<NodeId, size_t, int64_t>> consts;  // constant input k of a binary op, offset
  std::vector<std::tuple<NodeId, int64_t, int64_t>> sinks;  // consumer layer, features per channel, offset
  std::map<NodeId, TensorId> sink_input;                    // the group tensor each sink reads (before Flatten)
  std::set<TensorId> tensors;                               // every tensor carrying the group's channels
  std::string frozen;
};

int64_t channelsOf(const Graph& g, TensorId t) {
  const TensorType& ty = g.t(t).type;
  return ty.rank() >= 2 ? ty.shape[1] : -1;
}

Group discover(const Graph& g, NodeId start) {
  Group G;
  const auto cons = g.consumers();
  const TensorId out0 = g.n(start).out(0);
  G.channels = channelsOf(g, out0);
  struct Item { TensorId t; int64_t off; bool derived; };
  std::deque<Item> q{{out0, 0, false}};
  std::set<std::pair<TensorId, int64_t>> seen;
  std::set<NodeId> srcSeen, sinkSeen;
  auto freeze = [&](const std::string& why) {
    if (G.frozen.empty()) G.frozen = why;
  };
  auto push = [&](TensorId t, int64_t off, bool derived) {
    if (seen.insert({t, off}).second) q.push_back({t, off, derived});
  };
  while (!q.empty() && G.frozen.empty()) {
    const Item it = q.front();
    q.pop_front();
    G.tensors.insert(it.t);
    const Tensor& T = g.t(it.t);
    if (T.is_output) { freeze(fmt::format("tensor '{}' is a graph output", T.name)); break; }
    if (T.type.rank() < 2) { freeze(fmt::format("tensor '{}' has no channel axis", T.name)); break; }
    if (!it.derived) {
      if (channelsOf(g, it.t) != G.channels) { freeze(fmt::format("tensor '{}' has other channels", T.name)); break; }
      const NodeId p = T.producer;
      if (p < 0) { freeze(fmt::format("tensor '{}' is a graph input", T.name)); break; }
      const Node& pn = g.n(p);
      if (isDepthwise(g, pn)) {
        G.depthwise[p] = it.off;
        push(pn.in(0), it.off, false);
      } else if ((isConvLayer(g, pn) && convGroup(pn) == 1) || isGemmLayer(g, pn)) {
        if (srcSeen.insert(p).second) G.sources.push_back(p);
      } else if (preservesChannels(g, pn)) {
        push(pn.in(0), it.off, false);
      } else if (isBinary(pn)) {
        // Handled when the binary node is met as a consumer (below), which
        // it is: push its inputs.
        for (size_t k = 0; k < 2; ++k)
          if (!g.t(pn.in(k)).isConstant() && g.t(pn.in(k)).type.shape == T.type.shape) push(pn.in(k), it.off, false);
      } else {
        freeze(fmt::format("{} produces '{}' and cannot drop channels", g.label(p), T.name));
        break;
      }
    }
    for (NodeId c : cons[static_cast<size_t>(it.t)]) {
      const Node& cn = g.n(c);
      if (cn.in(0) == it.t && preservesChannels(g, cn) && cn.inputs.size() >= 1 &&
          std::count(cn.inputs.begin(), cn.inputs.end(), it.t) == 1) {
        push(cn.out(0), it.off, it.derived);
      } else if (cn.in(0) == it.t && isDepthwise(g, cn)) {
        G.depthwise[c] = it.off;
        push(cn.out(0), it.off, it.derived);
      } else if (cn.in(0) == it.t && isConvLayer(g, cn) && convGroup(cn) == 1) {
        if (sinkSeen.insert(c).second) G.sinks.emplace_back(c, 1, it.off);
        G.sink_input[c] = it.t;
      } else if (cn.in(0) == it.t && isGemmLayer(g, cn) && T.type.rank() == 2) {
        if (sinkSeen.insert(c).second) G.sinks.emplace_back(c, 1, it.off);
        G.sink_input[c] = it.t;
      } else if (cn.domain.empty() && cn.op_type == "Flatten" && cn.attrInt("axis", 1) == 1) {
        const int64_t block = T.type.numel() / std::max<int64_t>(T.type.shape[0] * T.type.shape[1], 1);
        for (NodeId f : cons[static_cast<size_t>(cn.out(0))]) {
          if (g.n(f).in(0) == cn.out(0) && isGemmLayer(g, g.n(f))) {
            if (sinkSeen.insert(f).second) G.sinks.emplace_back(f, block, it.off);
            G.sink_input[f] = it.t;
          } else {
            freeze(fmt::format("{} reads the flattened channels", g.label(f)));
          }
        }
        if (g.t(cn.out(0)).is_output) freeze("a flattened channel tensor is a graph output");
      } else if (isBinary(cn)) {
        for (size_t k = 0; k < 2; ++k) {
          const TensorId other = cn.in(k);
          if (other == it.t) continue;
          const TensorType& ot = g.t(other).type;
          const int64_t R = g.t(cn.out(0)).type.rank();
          const int64_t axis = 1 - (R - ot.rank());  // the partner's axis under channel axis 1
          const bool per = axis >= 0 && axis < ot.rank() && ot.shape[static_cast<size_t>(axis)] > 1;
          if (g.t(other).isConstant()) {
            if (per) G.consts.emplace_back(c, k, it.off);
          } else if (per) {
            if (it.derived || ot.shape != T.type.shape) freeze(fmt::format("{} needs a partner for channels after a Concat", g.label(c)));
            else push(other, it.off, false);
          }
        }
        if (cn.in(0) == cn.in(1)) { /* x + x: same channels */ }
        push(cn.out(0), it.off, it.derived);
      } else if (cn.domain.empty() && cn.op_type == "Concat") {
        int64_t axis = cn.attrInt("axis", 0);
        if (axis < 0) axis += T.type.rank();
        if (axis != 1) { freeze(fmt::format("{} does not concatenate along the channels", g.label(c))); break; }
        int64_t base = 0;
        for (TensorId x : cn.inputs) {
          if (x == it.t) push(cn.out(0), base + it.off, true);
          base += g.t(x).type.shape[1];
        }
      } else {
        freeze(fmt::format("{} reads '{}' and cannot drop channels", g.label(c), T.name));
      }
    }
  }
  return G;
}

// Per-channel norm of a layer's output rows.
std::vector<double> rowNorms(const Graph& g, const Node& n, int norm) {
  const Tensor& w = g.t(n.in(1));
  const float* v = w.as<float>();
  const bool gemmKN = n.op_type == "Gemm" && n.attrInt("transB", 0) == 0;
  const int64_t rows = gemmKN ? w.type.shape[1] : w.type.shape[0];
  const int64_t cols = w.type.numel() / rows;
  std::vector<double> r(static_cast<size_t>(rows), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const double x = v[gemmKN ? j * rows + i : i * cols + j];
      r[static_cast<size_t>(i)] += norm == 2 ? x * x : std::fabs(x);
    }
  if (norm == 2)
    for (double& x : r) x = std::sqrt(x);
  return r;
}

// A constant with the indices `drop` removed along `axis` (a fresh tensor).
TensorId sliced(Graph& g, TensorId t, int64_t axis, const std::set<int64_t>& drop) {
  const Tensor& src = g.t(t);
  const Shape& s = src.type.shape;
  const size_t es = dtypeSize(src.type.dtype);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
  for (int64_t i = axis + 1; i < src.type.rank(); ++i) inner *= s[static_cast<size_t>(i)];
  const int64_t n = s[static_cast<size_t>(axis)];
  std::vector<uint8_t> out;
  out.reserve(src.data->size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) {
      if (drop.count(i)) continue;
      const uint8_t* p = src.data->data() + static_cast<size_t>((o * n + i) * inner) * es;
      out.insert(out.end(), p, p + static_cast<size_t>(inner) * es);
    }
  TensorType ty = src.type;
  ty.shape[static_cast<size_t>(axis)] = n - static_cast<int64_t>(drop.size());
  const std::string name = src.name + "_pruned";
  return addConstant(g, name, ty, std::move(out));
}

std::set<int64_t> shifted(const std::set<int64_t>& s, int64_t off, int64_t block) {
  std::set<int64_t> r;
  for (int64_t c : s)
    for (int64_t b = 0; b < block; ++b) r.insert((c + off) * block + b);
  return r;
}

// Bias compensation: a removed channel whose weights are small carries
// about the value its bias alone gives, act(bias), into the layers that read
// it; that constant is folded into their biases instead of being lost (what
// the graph computes with the removed channels' weights zeroed and their
// biases kept, except at padded borders). The value is propagated through
// the group's ops (activations, pooling, Pad, Add/Sub/Mul, depthwise
// convs, Concat); for any other op there is no compensation.
using ChannelValues = std::map<TensorId, std::vector<double>>;  // per group tensor, per removed channel

double constAt(const Graph& g, TensorId t, int64_t outRank, int64_t ch) {
  const TensorType& ty = g.t(t).type;
  const std::vector<double> v = constValues(g, t);
  const int64_t axis = 1 - (outRank - ty.rank());
  if (axis < 0 || axis >= ty.rank() || ty.shape[static_cast<size_t>(axis)] == 1) return v.empty() ? 0.0 : v[0];
  int64_t inner = 1;
  for (int64_t i = axis + 1; i < ty.rank(); ++i) inner *= ty.shape[static_cast<size_t>(i)];
  return v[static_cast<size_t>(ch * inner)];
}

bool plainGemm(const Node& n) {
  return n.op_type != "Gemm" || (n.attrFloat("alpha", 1.0f) == 1.0f && n.attrFloat("beta", 1.0f) == 1.0f);
}

bool channelValues(const Graph& g, const Group& G, const std::vector<int64_t>& drop, ChannelValues* out) {
  ChannelValues& v = *out;
  // alpha/beta would scale what is folded: no compensation then.
  for (NodeId s : G.sources)
    if (!plainGemm(g.n(s))) return false;
  for (const auto& sk : G.sinks)
    if (!plainGemm(g.n(std::get<0>(sk)))) return false;
  std::map<TensorId, int64_t> offset;  // channel offset of the group in a tensor (Concat)
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const NodeId id = static_cast<NodeId>(i);
    if (n.dead || n.outputs.empty() || !G.tensors.count(n.out(0))) continue;
    const TensorId o = n.out(0);
    std::vector<double> r(drop.size(), 0.0);
    auto in = [&](size_t k) -> const std::vector<double>* {
      auto it = v.find(n.in(k));
      return it == v.end() ? nullptr : &it->second;
    };
    const bool isSource = std::find(G.sources.begin(), G.sources.end(), id) != G.sources.end();
    if (isSource) {
      if (n.in(2) != kNoTensor) {
        const std::vector<double> b = constValues(g, n.in(2));
        for (size_t c = 0; c < drop.size(); ++c)
          r[c] = b.size() == 1 ? b[0] : b[static_cast<size_t>(drop[c])];
      }
    } else if (n.op_type == "Concat") {
      int64_t base = 0;
      const std::vector<double>* x = nullptr;
      for (TensorId t : n.inputs) {
        if (!x && v.count(t)) {
          x = &v[t];
          offset[o] = base + offset[t];
        }
        base += g.t(t).type.shape[1];
      }
      if (!x) return false;
      r = *x;
    } else if (G.depthwise.count(id)) {
      const std::vector<double>* x = in(0);
      if (!x) return false;
      const std::vector<double> w = constValues(g, n.in(1));
      const std::vector<double> b = n.in(2) != kNoTensor ? constValues(g, n.in(2)) : std::vector<double>{};
      const int64_t k = g.inType(n, 1).numel() / g.inType(n, 1).shape[0];
      for (size_t c = 0; c < drop.size(); ++c) {
        const int64_t ch = drop[c] + offset[n.in(0)];
        double sw = 0;
        for (int64_t j = 0; j < k; ++j) sw += w[static_cast<size_t>(ch * k + j)];
        r[c] = (b.empty() ? 0.0 : b[static_cast<size_t>(ch)]) + (*x)[c] * sw;
      }
    } else if (isBinary(n)) {
      for (size_t c = 0; c < drop.size(); ++c) {
        double a[2];
        for (size_t k = 0; k < 2; ++k) {
          if (const std::vector<double>* x = in(k)) a[k] = (*x)[c];
          else if (g.t(n.in(k)).isConstant()) a[k] = constAt(g, n.in(k), g.t(o).type.rank(), drop[c] + offset[n.in(1 - k)]);
          else return false;
        }
        r[c] = n.op_type == "Add" ? a[0] + a[1] : n.op_type == "Sub" ? a[0] - a[1] : a[0] * a[1];
      }
    } else {
      const std::vector<double>* x = in(0);
      if (!x) return false;
      const std::string& op = n.op_type;
      double lo = -INFINITY, hi = INFINITY, alpha = 0;
      if (op == "Relu") lo = 0;
      else if (op == "Clip") {
        if (n.in(1) != kNoTensor) { auto c = constValues(g, n.in(1)); if (c.empty()) return false; lo = c[0]; }
        if (n.in(2) != kNoTensor) { auto c = constValues(g, n.in(2)); if (c.empty()) return false; hi = c[0]; }
        if (n.has("min")) lo = n.attrFloat("min", 0);
        if (n.has("max")) hi = n.attrFloat("max", 0);
      } else if (op == "LeakyRelu") alpha = n.attrFloat("alpha", 0.01f);
      else if (op != "MaxPool" && op != "AveragePool" && op != "GlobalAveragePool" && op != "GlobalMaxPool" &&
               op != "Pad" && op != "Identity" && op != "Dropout")
        return false;
      for (size_t c = 0; c < drop.size(); ++c) {
        double y = (*x)[c];
        if (op == "LeakyRelu" && y < 0) y *= alpha;
        r[c] = std::min(std::max(y, lo), hi);
      }
      offset[o] = offset[n.in(0)];
    }
    v[o] = r;
  }
  return true;
}

// Adds the removed channels' constant contribution to a sink's bias, from
// its weights before slicing.
void compensate(Graph& g, NodeId s, int64_t block, int64_t off, const std::vector<int64_t>& drop,
                const std::vector<double>& val) {
  Node& n = g.n(s);
  const Tensor& w = g.t(n.in(1));
  const float* wv = w.as<float>();
  const bool conv = n.op_type == "Conv";
  const bool kn = !conv && n.attrInt("transB", 0) == 0;  // Gemm B [K, N]
  const int64_t rows = conv ? w.type.shape[0] : (kn ? w.type.shape[1] : w.type.shape[0]);
  const int64_t cols = w.type.numel() / rows;  // conv: C/group * k; gemm: K
  const int64_t k = conv ? cols / w.type.shape[1] : block;
  std::vector<float> bias(static_cast<size_t>(rows), 0.0f);
  if (n.in(2) != kNoTensor) {
    const std::vector<double> b = constValues(g, n.in(2));
    for (int64_t m = 0; m < rows; ++m) bias[static_cast<size_t>(m)] = static_cast<float>(b.size() == 1 ? b[0] : b[static_cast<size_t>(m)]);
  }
  for (int64_t m = 0; m < rows; ++m) {
    double add = 0;
    for (size_t c = 0; c < drop.size(); ++c)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t col = (drop[c] + off) * k + j;
        add += val[c] * wv[kn ? col * rows + m : m * cols + col];
      }
    bias[static_cast<size_t>(m)] += static_cast<float>(add);
  }
  std::vector<uint8_t> bytes(bias.size() * sizeof(float));
  std::memcpy(bytes.data(), bias.data(), bytes.size());
  const std::string name = (n.in(2) != kNoTensor ? g.t(n.in(2)).name : w.name + "_bias") + "_compensated";
  const TensorId nb = addConstant(g, name, TensorType{DType::F32, {rows}}, std::move(bytes));
  Node& nn = g.n(s);
  if (nn.inputs.size() < 3) nn.inputs.resize(3, kNoTensor);
  nn.inputs[2] = nb;
}

Status apply(Graph& g, const Group& G, const std::set<int64_t>& drop, bool* compensated) {
  const std::vector<int64_t> dropv(drop.begin(), drop.end());
  ChannelValues vals;
  *compensated = channelValues(g, G, dropv, &vals);
  if (*compensated)
    for (const auto& [s, block, off] : G.sinks) {
      const Node& n = g.n(s);
      if (n.op_type == "Gemm" && n.in(2) != kNoTensor && g.inType(n, 2).rank() != 1) continue;  // [1, N] C: left alone
      compensate(g, s, block, off, dropv, vals.at(G.sink_input.at(s)));
    }
  for (NodeId s : G.sources) {
    Node& n = g.n(s);
    const bool gemmKN = n.op_type == "Gemm" && n.attrInt("transB", 0) == 0;
    n.inputs[1] = sliced(g, n.in(1), gemmKN ? 1 : 0, drop);
    if (n.in(2) != kNoTensor) {
      const TensorType& b = g.t(n.in(2)).type;
      if (b.rank() >= 1 && b.shape.back() == G.channels) g.n(s).inputs[2] = sliced(g, n.in(2), b.rank() - 1, drop);
      else if (b.numel() != 1) return unsupported(fmt::format("{}: bias {} not per channel", g.label(s), b.str()));
    }
  }
  for (const auto& [d, off] : G.depthwise) {
    const std::set<int64_t> dd = shifted(drop, off, 1);
    Node& n = g.n(d);
    n.inputs[1] = sliced(g, n.in(1), 0, dd);
    if (n.in(2) != kNoTensor) g.n(d).inputs[2] = sliced(g, g.n(d).in(2), 0, dd);
    g.n(d).attrs["group"].i = g.t(g.n(d).in(1)).type.shape[0];
  }
  for (const auto& [b, k, off] : G.consts) {
    const TensorType& ct = g.t(g.n(b).in(k)).type;
    const int64_t R = g.t(g.n(b).out(0)).type.rank();
    g.n(b).inputs[k] = sliced(g, g.n(b).in(k), 1 - (R - ct.rank()), shifted(drop, off, 1));
  }
  for (const auto& [s, block, off] : G.sinks) {
    Node& n = g.n(s);
    const int64_t axis = n.op_type == "Conv" ? 1 : (n.attrInt("transB", 0) ? 1 : 0);
    n.inputs[1] = sliced(g, n.in(1), axis, shifted(drop, off, block));
  }
  // Shapes downstream change: re-infer every node in order.
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!g.nodes[i].dead) EMLC_TRY(inferNode(g, static_cast<NodeId>(i)));
  return Status::ok();
}

}  // namespace

Status pruneStructured(Graph& g, NodeId id, double fraction, int norm, LayerPrune* lp,
                       std::map<NodeId, LayerPrune>* done) {
  const Node& n = g.n(id);
  lp->weights = g.inType(n, 1).numel();
  lp->bytes_before = static_cast<int64_t>(g.inType(n, 1).bytes());
  lp->bytes_after = lp->bytes_before;
  if (auto it = done->find(id); it != done->end()) {
    const std::string how = lp->how;
    *lp = it->second;
    lp->how = how + " (pruned with its group)";
    lp->bytes_after = static_cast<int64_t>(g.inType(g.n(id), 1).bytes());
    lp->weights = g.inType(g.n(id), 1).numel();
    return Status::ok();
  }
  if (isDepthwise(g, n)) {
    lp->how += " (skipped: depthwise layers follow their input's channels)";
    return Status::ok();
  }
  if (n.op_type == "Conv" && convGroup(n) != 1) {
    lp->how += " (skipped: grouped convolution)";
    return Status::ok();
  }
  const Group G = discover(g, id);
  lp->channels_before = lp->channels_after = G.channels;
  if (!G.frozen.empty()) {
    lp->how += " (skipped: " + G.frozen + ")";
    return Status::ok();
  }
  std::vector<double> score(static_cast<size_t>(G.channels), 0.0);
  for (NodeId s : G.sources) {
    const std::vector<double> r = rowNorms(g, g.n(s), norm);
    if (static_cast<int64_t>(r.size()) != G.channels)
      return internal(fmt::format("{}: {} rows for {} channels", g.label(s), r.size(), G.channels));
    for (size_t c = 0; c < r.size(); ++c) score[c] += r[c];
  }
  std::map<NodeId, LayerPrune> partners;
  for (NodeId s : G.sources)
    if (s != id) {
      LayerPrune& d = partners[s];
      d.node = g.n(s).name;
      d.op_type = g.n(s).op_type;
      d.bytes_before = static_cast<int64_t>(g.inType(g.n(s), 1).bytes());
      d.channels_before = G.channels;
    }
  int64_t k = static_cast<int64_t>(std::floor(fraction * static_cast<double>(G.channels) + 0.5));
  k = std::min(k, G.channels - 1);
  std::vector<int64_t> order(static_cast<size_t>(G.channels));
  for (int64_t c = 0; c < G.channels; ++c) order[static_cast<size_t>(c)] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return score[static_cast<size_t>(a)] < score[static_cast<size_t>(b)]; });
  const std::set<int64_t> drop(order.begin(), order.begin() + k);
  if (drop.empty()) return Status::ok();
  Graph trial = g;
  bool compensated = false;
  Status st = apply(trial, G, drop, &compensated);
  if (!st) {
    lp->how += " (skipped: " + st.error().message + ")";
    return Status::ok();
  }
  g = std::move(trial);
  lp->channels_after = G.channels - k;
  lp->removed.assign(drop.begin(), drop.end());
  for (auto& [s, d] : partners) {
    d.channels_after = lp->channels_after;
    d.removed = lp->removed;
    (*done)[s] = d;
  }
  lp->bytes_after = static_cast<int64_t>(g.inType(g.n(id), 1).bytes());
  if (G.sources.size() > 1 || !G.depthwise.empty()) {
    std::string with;
    for (NodeId s : G.sources)
      if (s != id) with += (with.empty() ? "" : ", ") + g.n(s).name;
    for (const auto& d : G.depthwise) with += (with.empty() ? "" : ", ") + g.n(d.first).name;
    lp->how += " with " + with;
  }
  if (!compensated) lp->how += " (no bias compensation)";
  return Status::ok();
}

}  // namespace emlc
