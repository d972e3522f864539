// Recurrent ops: RNN, GRU, LSTM (float32/float64), every ONNX variant:
// forward, reverse and bidirectional; initial states; sequence lengths
// (runtime lengths are clamped to [0, seq_length] by the kernel, constant
// ones are checked here); layout 0 and 1 (opset 14); all activation
// functions with their alpha/beta; clip; GRU linear_before_reset; LSTM
// peepholes and input_forget. The kernels are in runtime/emlc/rnn.h.
//
// int8: the int8 lowering turns them into emlc.QRNN/QGRU/QLSTM (qrnn.cpp);
// a quantized tensor reaching these float ops is refused.
#include <algorithm>
#include <cctype>

#include "emlc/rnn.h"
#include "ops/op_util.h"
#include "ops/rnn_plan.h"

namespace emlc {
namespace {

using Kind = RnnKind;

int32_t kindCode(Kind k) {
  return k == Kind::Rnn ? rt::kRnnKindRnn : (k == Kind::Gru ? rt::kRnnKindGru : rt::kRnnKindLstm);
}
int64_t gateCount(Kind k) { return k == Kind::Rnn ? 1 : (k == Kind::Gru ? 3 : 4); }
// Activation slots per direction: RNN f; GRU f, g; LSTM f, g, h.
size_t actCount(Kind k) { return k == Kind::Rnn ? 1 : (k == Kind::Gru ? 2 : 3); }

struct ActInfo {
  const char* name;  // lower case
  int32_t code;
  bool uses_alpha, uses_beta;
  float alpha, beta;  // defaults (those of the ONNX ops of the same name)
};
constexpr ActInfo kActs[] = {
    {"relu", rt::kRnnRelu, false, false, 0.0f, 0.0f},
    {"tanh", rt::kRnnTanh, false, false, 0.0f, 0.0f},
    {"sigmoid", rt::kRnnSigmoid, false, false, 0.0f, 0.0f},
    {"affine", rt::kRnnAffine, true, true, 1.0f, 0.0f},
    {"leakyrelu", rt::kRnnLeakyRelu, true, false, 0.01f, 0.0f},
    {"thresholdedrelu", rt::kRnnThresholdedRelu, true, false, 1.0f, 0.0f},
    {"scaledtanh", rt::kRnnScaledTanh, true, true, 1.0f, 1.0f},
    {"hardsigmoid", rt::kRnnHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", rt::kRnnElu, true, false, 1.0f, 0.0f},
    {"softsign", rt::kRnnSoftsign, false, false, 0.0f, 0.0f},
    {"softplus", rt::kRnnSoftplus, false, false, 0.0f, 0.0f},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Activations: `per` slots per direction; the list covers every direction
// (a bidirectional node may also give one direction's list for both).
// alpha/beta values are consumed in list order by the functions that take them.
Status parseActivations(const Node& n, Kind kind, int64_t dirs, rt::RnnParams& p) {
  const size_t per = actCount(kind);
  std::vector<std::string> names;
  if (n.has("activations")) {
    names = n.attrs.at("activations").strings;
    if (names.size() == per && dirs == 2) names.insert(names.end(), names.begin(), names.end());
    if (names.size() != per * static_cast<size_t>(dirs))
      return invalid(fmt::format("activations lists {} functions; {} expects {} per direction ({} in all)",
                                 names.size(), n.op_type, per, per * static_cast<size_t>(dirs)));
  } else {
    const std::vector<std::string> def = kind == Kind::Rnn   ? std::vector<std::string>{"tanh"}
                                         : kind == Kind::Gru ? std::vector<std::string>{"sigmoid", "tanh"}
                                                             : std::vector<std::string>{"sigmoid", "tanh", "tanh"};
    for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), def.begin(), def.end());
  }
  const std::vector<float> alphas = n.attrFloats("activation_alpha");
  const std::vector<float> betas = n.attrFloats("activation_beta");
  size_t ai = 0, bi = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string name = lower(names[i]);
    const ActInfo* info = nullptr;
    for (const ActInfo& a : kActs)
      if (name == a.name) info = &a;
    if (!info) return unsupported(fmt::format("activation '{}' is not supported", names[i]));
    const size_t slot = (i / per) * 3 + i % per;
    p.act[slot] = info->code;
    p.alpha[slot] = info->uses_alpha && ai < alphas.size() ? alphas[ai++] : info->alpha;
    p.beta[slot] = info->uses_beta && bi < betas.size() ? betas[bi++] : info->beta;
  }
  return Status::ok();
}

Status expectShape(const Graph& g, const Node& n, size_t k, const char* what, const Shape& want) {
  if (n.in(k) == kNoTensor) return Status::ok();
  const TensorType& t = g.inType(n, k);
  if (t.shape != want)
    return invalid(fmt::format("input {} ({}) has shape {}; expected {}", k, what, shapeStr(t.shape), shapeStr(want)));
  return Status::ok();
}

}  // namespace

Expected<RnnPlan> planRnn(const Node& n, const Graph& g, Kind kind, bool int8) {
  const TensorType& x = g.inType(n, 0);
  if (!int8) {
    EMLC_TRY(requireInputs(n, 3, kind == Kind::Lstm ? 8 : 6));
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (x.quant.quantized() || g.inType(n, 1).quant.quantized())
      return unsupported("quantized inputs reach the float kernel (the int8 lowering makes emlc.QRNN/QGRU/QLSTM)");
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      if (n.in(k) == kNoTensor || k == 4) continue;
      if (g.inType(n, k).dtype != x.dtype)
        return invalid(fmt::format("input {} has element type {}; X has {}", k, dtypeName(g.inType(n, k).dtype),
                                   dtypeName(x.dtype)));
    }
  }
  if (x.rank() != 3) return invalid(fmt::format("input X {} must have rank 3", x.str()));
  const int64_t layout = n.opset >= 14 || int8 ? n.attrInt("layout", 0) : 0;
  if (layout != 0 && layout != 1) return invalid(fmt::format("layout must be 0 or 1, is {}", layout));
  const std::string dir = n.attrString("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
    return invalid(fmt::format("direction must be forward, reverse or bidirectional, is '{}'", dir));
  const int64_t D = dir == "bidirectional" ? 2 : 1;
  const int64_t S = layout ? x.shape[1] : x.shape[0], N = layout ? x.shape[0] : x.shape[1], I = x.shape[2];
  const int64_t G = gateCount(kind);
  const TensorType& w = g.inType(n, 1);
  if (w.rank() != 3 || w.shape[0] != D || w.shape[1] % G != 0 || w.shape[1] == 0)
    return invalid(fmt::format("input W {} must have shape [{}, {}*hidden_size, {}]", w.str(), D, G, I));
  int64_t H = w.shape[1] / G;
  if (n.has("hidden_size")) {
    const int64_t hs = n.attrInt("hidden_size", 0);
    if (hs <= 0) return invalid(fmt::format("hidden_size must be positive, is {}", hs));
    if (hs != H) return invalid(fmt::format("hidden_size {} does not match W {} ({} gates)", hs, w.str(), G));
  }
  EMLC_TRY(expectShape(g, n, 1, "W", {D, G * H, I}));
  EMLC_TRY(expectShape(g, n, 2, "R", {D, G * H, H}));
  EMLC_TRY(expectShape(g, n, 3, "B", {D, 2 * G * H}));
  EMLC_TRY(expectShape(g, n, 4, "sequence_lens", {N}));
  const Shape state = layout ? Shape{N, D, H} : Shape{D, N, H};
  EMLC_TRY(expectShape(g, n, 5, "initial_h", state));
  if (kind == Kind::Lstm) {
    EMLC_TRY(expectShape(g, n, 6, "initial_c", state));
    EMLC_TRY(expectShape(g, n, 7, "P", {D, 3 * H}));
  }
  if (n.in(4) != kNoTensor) {
    if (g.inType(n, 4).dtype != DType::I32) return invalid("sequence_lens must be int32");
    if (g.t(n.in(4)).isConstant()) {
      EMLC_ASSIGN(std::vector<int64_t> lens, constInts(g, n.in(4)));
      for (int64_t v : lens)
        if (v < 0 || v > S)
          return invalid(fmt::format("sequence_lens holds {}, outside [0, seq_length {}]", v, S));
    }
  }
  const float clip = n.attrFloat("clip", 0.0f);
  if (n.has("clip") && !(clip > 0.0f)) return invalid(fmt::format("clip must be positive, is {}", clip));
  const int64_t lbr = kind == Kind::Gru ? n.attrInt("linear_before_reset", 0) : 0;
  const int64_t forget = kind == Kind::Lstm ? n.attrInt("input_forget", 0) : 0;
  if ((lbr != 0 && lbr != 1) || (forget != 0 && forget != 1))
    return invalid("linear_before_reset and input_forget must be 0 or 1");

  RnnPlan plan;
  plan.gates = G;
  plan.y = layout ? Shape{N, S, D, H} : Shape{S, D, N, H};
  plan.y_h = state;
  EMLC_TRY(checkShape(x.shape, "X"));
  EMLC_TRY(checkShape(plan.y, "Y"));
  EMLC_TRY(checkShape({D, G * H, std::max(I, H)}, "weights"));
  rt::RnnParams& p = plan.p;
  p.seq_length = static_cast<int32_t>(S);
  p.batch = static_cast<int32_t>(N);
  p.input = static_cast<int32_t>(I);
  p.hidden = static_cast<int32_t>(H);
  p.directions = static_cast<int32_t>(D);
  p.reverse = dir == "reverse";
  p.layout = static_cast<int32_t>(layout);
  p.linear_before_reset = static_cast<int32_t>(lbr);
  p.input_forget = static_cast<int32_t>(forget);
  p.clip = n.has("clip") ? clip : 0.0f;
  EMLC_TRY(parseActivations(n, kind, D, p));
  return plan;
}

namespace {

class RecurrentOp final : public Op {
 public:
  OpDoc doc() const override {
    return {"float; int8 with --quantize (int16 state)",
            "every direction, layout, activation and clip; sequence lengths clamped to [0, seq_length]; "
            "--stateful keeps the state across runs (forward only); int8 builds run it as emlc.QRNN/QGRU/QLSTM "
            "(int8 weights per gate row, int16 state) when W/R/B are constant, no peepholes, hidden <= 256 and the "
            "activations are bounded (Sigmoid, Tanh, HardSigmoid), else in float"};
  }
  explicit RecurrentOp(Kind k) : kind_(k) {}

  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(RnnPlan plan, planRnn(n, g, kind_));
    const size_t outs = kind_ == Kind::Lstm ? 3 : 2;
    if (n.outputs.size() > outs) return invalid(fmt::format("{} has at most {} outputs", n.op_type, outs));
    const DType t = g.inType(n, 0).dtype;
    setOut(g, n, 0, TensorType{t, plan.y});
    setOut(g, n, 1, TensorType{t, plan.y_h});
    setOut(g, n, 2, TensorType{t, plan.y_h});
    return Status::ok();
  }

  size_t scratchBytes(const Node& n, const Graph& g) const override {
    auto plan = planRnn(n, g, kind_);
    if (!plan) return 0;
    return static_cast<size_t>(rt::rnn_scratch_elems(kindCode(kind_), plan.value().p.hidden)) *
           dtypeSize(g.inType(n, 0).dtype);
  }

  int64_t macs(const Node& n, const Graph& g) const override {
    auto plan = planRnn(n, g, kind_);
    if (!plan) return 0;
    const rt::RnnParams& p = plan.value().p;
    return int64_t{p.directions} * p.batch * p.seq_length * plan.value().gates * p.hidden * (p.input + p.hidden);
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(RnnPlan plan, planRnn(l.node(), l.graph(), kind_));
    const size_t scratch = static_cast<size_t>(rt::rnn_scratch_elems(kindCode(kind_), plan.p.hidden));
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      switch (kind_) {
        case Kind::Rnn:
          return l.call(kernelName<T>("rnn"), &rt::rnn<T>, plan.p, l.in<T>(0), l.in<T>(1), l.in<T>(2), l.optIn<T>(3),
                        l.optIn<int32_t>(4), l.optIn<T>(5), l.optOut<T>(0), l.optOut<T>(1), l.scratch<T>(scratch));
        case Kind::Gru:
          return l.call(kernelName<T>("gru"), &rt::gru<T>, plan.p, l.in<T>(0), l.in<T>(1), l.in<T>(2), l.optIn<T>(3),
                        l.optIn<int32_t>(4), l.optIn<T>(5), l.optOut<T>(0), l.optOut<T>(1), l.scratch<T>(scratch));
        case Kind::Lstm:
          return l.call(kernelName<T>("lstm"), &rt::lstm<T>, plan.p, l.in<T>(0), l.in<T>(1), l.in<T>(2),
                        l.optIn<T>(3), l.optIn<int32_t>(4), l.optIn<T>(5), l.optIn<T>(6), l.optIn<T>(7),
                        l.optOut<T>(0), l.optOut<T>(1), l.optOut<T>(2), l.scratch<T>(scratch));
      }
      return internal("unknown recurrent kind");
    });
  }

 private:
  Kind kind_;
};

}  // namespace

const Op& op_RNN() { static const RecurrentOp op(Kind::Rnn); return op; }
const Op& op_GRU() { static const RecurrentOp op(Kind::Gru); return op; }
const Op& op_LSTM() { static const RecurrentOp op(Kind::Lstm); return op; }

}  // namespace emlc
