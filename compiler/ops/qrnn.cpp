// int8 recurrent layers: emlc.QRNN, emlc.QGRU, emlc.QLSTM, made by the int8
// lowering (quant/lower_qdq.cpp) from a quantized ONNX RNN/GRU/LSTM, on the
// kernel of runtime/emlc/int8_rnn.h (number formats described there).
//
// Inputs, in ONNX order and then two more:
//   0 X int8 (per tensor)      1 W int8 [D, G*H, I]    2 R int8 [D, G*H, H]
//   (W, R constant, symmetric, one scale per tensor or per gate row: axis 1)
//   3 B float constant [D, 2*G*H] (optional; folded into int32 biases here)
//   4 sequence_lens int32       5 initial_h int8        6 initial_c int8
//   7 P: must be omitted (peepholes have no int8 kernel)
//   8 state_h int16 Q0.15       9 state_c int16 Q4.11   (the streaming state,
//     or a constant initial state; they win over 5 and 6)
// Outputs: 0 Y, 1 Y_h, 2 Y_c int8 (scales from the attributes y_*, yh_*,
// yc_*), 3 final h int16 Q0.15, 4 final c int16 Q4.11 (--stateful links 8->3
// and 9->4). Attributes: those of the ONNX op (layout at any opset).
//
// Compile time computes what the kernel needs: the int32 biases (with the
// input zero point folded in), the per-row multipliers and the 257-entry
// tables of the activation functions (clip applied).
#include <cmath>

#include "emlc/int8_rnn.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"
#include "ops/rnn_plan.h"

namespace emlc {

namespace {

constexpr int64_t kMaxInt8Hidden = 256;  // R h stays inside int32: 127 * 2^15 * 256 < 2^30
constexpr double kSaturation = 1e-3;     // an activation counts as constant beyond +-8 within this

const char* qName(RnnKind k) { return k == RnnKind::Rnn ? "QRNN" : (k == RnnKind::Gru ? "QGRU" : "QLSTM"); }
int32_t kindCode(RnnKind k) {
  return k == RnnKind::Rnn ? rt::kRnnKindRnn : (k == RnnKind::Gru ? rt::kRnnKindGru : rt::kRnnKindLstm);
}
int32_t slotsUsed(RnnKind k) { return k == RnnKind::Rnn ? 1 : (k == RnnKind::Gru ? 2 : 3); }

// Activation slot `slot` of direction d, clip applied, in double.
double activation(const rt::RnnParams& p, int32_t d, int32_t slot, double v) {
  return rt::rnn_detail::act(p, d, slot)(v);
}

// Why the activations of a plan cannot run as int8 tables ("" if they can):
// each used function must be bounded (in [0, 1] for the gates of GRU/LSTM,
// in [-1, 1] otherwise, so its output and the state fit Q0.15) and constant
// beyond the tables' range [-8, 8].
std::string activationBlocker(const rt::RnnParams& p, RnnKind kind) {
  for (int32_t d = 0; d < p.directions; ++d)
    for (int32_t s = 0; s < slotsUsed(kind); ++s) {
      const double lo = kind != RnnKind::Rnn && s == 0 ? 0.0 : -1.0;
      for (int32_t k = 0; k <= 4096; ++k) {
        const double v = activation(p, d, s, -8.0 + k / 256.0);
        if (!(v >= lo - 1e-9 && v <= 1.0 + 1e-9))
          return fmt::format("activation {} of direction {} leaves [{}, 1] (int8 recurrences need bounded "
                             "activations: Sigmoid, Tanh, HardSigmoid)",
                             s, d, lo);
      }
      for (double edge : {-8.0, 8.0})
        if (std::fabs(activation(p, d, s, edge) - activation(p, d, s, edge * 1e3)) > kSaturation)
          return fmt::format("activation {} of direction {} is not saturated at +-8 (the int8 tables' range)", s, d);
    }
  return "";
}

// Tables [D][3][257] in Q0.15.
std::vector<int16_t> tables(const rt::RnnParams& p) {
  std::vector<int16_t> t;
  for (int32_t d = 0; d < p.directions; ++d)
    for (int32_t s = 0; s < 3; ++s)
      for (int32_t k = 0; k < rt::kQRnnTableSize; ++k) {
        const double v = std::round(activation(p, d, s, -8.0 + k / 16.0) * 32768.0);
        t.push_back(static_cast<int16_t>(std::max(-32768.0, std::min(32767.0, v))));
      }
  return t;
}

Expected<TensorType> int8Out(const Node& n, const std::string& prefix, const Shape& shape) {
  TensorType t{DType::I8, shape};
  t.quant.scale = {n.attrFloat(prefix + "_scale", 1.0f)};
  t.quant.zero_point = {static_cast<int32_t>(n.attrInt(prefix + "_zero_point", 0))};
  EMLC_TRY(perTensorQuant(t, prefix.c_str()).status());
  return t;
}

TensorType stateOut(const Shape& shape, int32_t bits) {
  TensorType t{DType::I16, shape};
  t.quant.scale = {std::ldexp(1.0f, -bits)};
  t.quant.zero_point = {0};
  return t;
}

Status checkWeights(const TensorType& w, const char* what, int64_t rows) {
  if (w.dtype != DType::I8) return unsupported(fmt::format("{} {} must be int8", what, w.str()));
  if (!w.quant.quantized()) return invalid(fmt::format("{} {} has no quantization parameters", what, w.str()));
  if (w.quant.scale.size() != 1 && (w.quant.axis != 1 || static_cast<int64_t>(w.quant.scale.size()) != rows))
    return unsupported(fmt::format("{} must be quantized per tensor or per gate row (axis 1)", what));
  for (int32_t z : w.quant.zero_point)
    if (z != 0) return unsupported(fmt::format("{} must be quantized symmetrically (zero point 0)", what));
  return Status::ok();
}

QuantMultiplier multiplier(double m) { return quantizeMultiplier(m); }

int32_t clampBias(double v) { return static_cast<int32_t>(std::max(-1073741824.0, std::min(1073741824.0, std::round(v)))); }

class QRecurrentOp final : public Op {
 public:
  explicit QRecurrentOp(RnnKind k) : kind_(k) {}
  OpDoc doc() const override {
    return {"int8 (int16 state)",
            "made by the int8 lowering from RNN/GRU/LSTM: int8 weights per gate row, int32 accumulators, state in "
            "int16 (h Q0.15, LSTM c Q4.11), activations as interpolated tables; bounded activations only, no "
            "peepholes, hidden size <= 256"};
  }

  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 10));
    EMLC_ASSIGN(RnnPlan plan, planRnn(n, g, kind_, true));
    const TensorType& x = g.inType(n, 0);
    if (x.dtype != DType::I8) return unsupported(fmt::format("input X {} must be int8", x.str()));
    EMLC_TRY(perTensorQuant(x, "X").status());
    const int64_t GH = plan.gates * plan.p.hidden;
    EMLC_TRY(checkWeights(g.inType(n, 1), "W", GH));
    EMLC_TRY(checkWeights(g.inType(n, 2), "R", GH));
    EMLC_TRY(requireConst(g, n, 1, "W"));
    EMLC_TRY(requireConst(g, n, 2, "R"));
    if (n.in(3) != kNoTensor) {
      EMLC_TRY(requireConst(g, n, 3, "B"));
      if (g.inType(n, 3).dtype != DType::F32) return invalid("B must be float32 (it is folded into int32 biases)");
    }
    for (size_t k : {size_t{5}, size_t{6}})
      if (n.in(k) != kNoTensor) {
        if (g.inType(n, k).dtype != DType::I8) return invalid(fmt::format("input {} must be int8", k));
        EMLC_TRY(perTensorQuant(g.inType(n, k), "initial state").status());
      }
    if (n.in(7) != kNoTensor) return unsupported("LSTM peepholes (P) have no int8 kernel");
    for (size_t k : {size_t{8}, size_t{9}})
      if (n.in(k) != kNoTensor && (g.inType(n, k).dtype != DType::I16 || g.inType(n, k).shape != plan.y_h))
        return invalid(fmt::format("input {} (state) must be int16 {}", k, shapeStr(plan.y_h)));
    if (plan.p.hidden > kMaxInt8Hidden)
      return unsupported(fmt::format("hidden size {} > {} (the int32 accumulators could overflow)", plan.p.hidden,
                                     kMaxInt8Hidden));
    const std::string why = activationBlocker(plan.p, kind_);
    if (!why.empty()) return unsupported(why);
    if (n.outputs.size() > 5) return invalid("at most 5 outputs");
    if (n.out(0) != kNoTensor) { EMLC_ASSIGN(TensorType t, int8Out(n, "y", plan.y)); setOut(g, n, 0, t); }
    if (n.out(1) != kNoTensor) { EMLC_ASSIGN(TensorType t, int8Out(n, "yh", plan.y_h)); setOut(g, n, 1, t); }
    if (n.out(2) != kNoTensor) { EMLC_ASSIGN(TensorType t, int8Out(n, "yc", plan.y_h)); setOut(g, n, 2, t); }
    setOut(g, n, 3, stateOut(plan.y_h, rt::kQRnnStateBits));
    setOut(g, n, 4, stateOut(plan.y_h, rt::kQRnnCellBits));
    return Status::ok();
  }

  size_t scratchBytes(const Node& n, const Graph& g) const override {
    auto plan = planRnn(n, g, kind_, true);
    if (!plan) return 0;
    return static_cast<size_t>(rt::qrnn_scratch_elems(kindCode(kind_), plan.value().p.hidden)) * sizeof(int32_t);
  }

  int64_t macs(const Node& n, const Graph& g) const override {
    auto plan = planRnn(n, g, kind_, true);
    if (!plan) return 0;
    const rt::RnnParams& p = plan.value().p;
    return int64_t{p.directions} * p.batch * p.seq_length * plan.value().gates * p.hidden * (p.input + p.hidden);
  }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Graph& g = l.graph();
    EMLC_ASSIGN(RnnPlan plan, planRnn(n, g, kind_, true));
    const rt::RnnParams& rp = plan.p;
    const int32_t D = rp.directions, H = rp.hidden, I = rp.input;
    const int32_t GH = static_cast<int32_t>(plan.gates) * H;
    EMLC_ASSIGN(QuantScalar xq, perTensorQuant(g.inType(n, 0), "X"));
    const TensorType& wt = g.inType(n, 1);
    const TensorType& rtype = g.inType(n, 2);
    const int8_t* W = reinterpret_cast<const int8_t*>(g.t(n.in(1)).data->data());
    std::vector<double> B;
    if (n.in(3) != kNoTensor) {
      EMLC_ASSIGN(B, constDoubles(g, n.in(3)));
    }
    const double gateUnit = std::ldexp(1.0, -rt::kQRnnGateBits), hUnit = std::ldexp(1.0, -rt::kQRnnStateBits);
    const size_t rows = static_cast<size_t>(D * GH);
    std::vector<int32_t> xbias(rows), hbias(rows), xm(rows), xs(rows), hm(rows), hs(rows);
    for (int32_t d = 0; d < D; ++d)
      for (int32_t j = 0; j < GH; ++j) {
        const size_t r = static_cast<size_t>(d * GH + j);
        const double sw = wt.quant.scale[wt.quant.scale.size() == 1 ? 0 : static_cast<size_t>(j)];
        const double sr = rtype.quant.scale[rtype.quant.scale.size() == 1 ? 0 : static_cast<size_t>(j)];
        int64_t rowsum = 0;
        for (int32_t k = 0; k < I; ++k) rowsum += W[r * static_cast<size_t>(I) + static_cast<size_t>(k)];
        const double xacc = static_cast<double>(xq.scale) * sw, hacc = hUnit * sr;
        const double wb = B.empty() ? 0.0 : B[static_cast<size_t>(d * 2 * GH + j)];
        const double rb = B.empty() ? 0.0 : B[static_cast<size_t>(d * 2 * GH + GH + j)];
        xbias[r] = clampBias(wb / xacc - static_cast<double>(xq.zero_point) * static_cast<double>(rowsum));
        hbias[r] = clampBias(rb / hacc);
        const QuantMultiplier mx = multiplier(xacc / gateUnit), mh = multiplier(hacc / gateUnit);
        xm[r] = mx.multiplier;
        xs[r] = mx.shift;
        hm[r] = mh.multiplier;
        hs[r] = mh.shift;
      }
    rt::QuantRnnParams p{};
    p.kind = kindCode(kind_);
    p.seq_length = rp.seq_length;
    p.batch = rp.batch;
    p.input = I;
    p.hidden = H;
    p.directions = D;
    p.reverse = rp.reverse;
    p.layout = rp.layout;
    p.linear_before_reset = rp.linear_before_reset;
    p.input_forget = rp.input_forget;
    auto outMult = [&](size_t k, int32_t bits, int32_t& zp, int32_t& m, int32_t& s) {
      if (n.out(k) == kNoTensor) return;
      const TensorType& t = g.t(n.out(k)).type;
      zp = t.quant.zero_point[0];
      const QuantMultiplier q = multiplier(std::ldexp(1.0, -bits) / static_cast<double>(t.quant.scale[0]));
      m = q.multiplier;
      s = q.shift;
    };
    outMult(0, rt::kQRnnStateBits, p.y_zero_point, p.y_mult, p.y_shift);
    outMult(1, rt::kQRnnStateBits, p.yh_zero_point, p.yh_mult, p.yh_shift);
    outMult(2, rt::kQRnnCellBits, p.yc_zero_point, p.yc_mult, p.yc_shift);
    auto inMult = [&](size_t k, int32_t bits, int32_t& zp, int32_t& m, int32_t& s) {
      if (n.in(k) == kNoTensor) return;
      const TensorType& t = g.inType(n, k);
      zp = t.quant.zero_point[0];
      const QuantMultiplier q = multiplier(static_cast<double>(t.quant.scale[0]) / std::ldexp(1.0, -bits));
      m = q.multiplier;
      s = q.shift;
    };
    inMult(5, rt::kQRnnStateBits, p.h0_zero_point, p.h0_mult, p.h0_shift);
    inMult(6, rt::kQRnnCellBits, p.c0_zero_point, p.c0_mult, p.c0_shift);
    const size_t scratch = static_cast<size_t>(rt::qrnn_scratch_elems(p.kind, H));
    return l.call("emlc::rt::qrecurrent", &rt::qrecurrent, p, l.in<int8_t>(0), l.in<int8_t>(1), l.in<int8_t>(2),
                  ConstArray<int32_t>{xbias}, ConstArray<int32_t>{hbias}, ConstArray<int32_t>{xm},
                  ConstArray<int32_t>{xs}, ConstArray<int32_t>{hm}, ConstArray<int32_t>{hs},
                  ConstArray<int16_t>{tables(rp)}, l.optIn<int32_t>(4), l.optIn<int8_t>(5), l.optIn<int8_t>(6),
                  l.optIn<int16_t>(8), l.optIn<int16_t>(9), l.optOut<int8_t>(0), l.optOut<int8_t>(1),
                  l.optOut<int8_t>(2), l.optOut<int16_t>(3), l.optOut<int16_t>(4), l.scratch<int32_t>(scratch));
  }

 private:
  RnnKind kind_;
};

}  // namespace

std::string int8RecurrentBlocker(const Node& n, const Graph& g) {
  const RnnKind kind = n.op_type == "RNN" ? RnnKind::Rnn : (n.op_type == "GRU" ? RnnKind::Gru : RnnKind::Lstm);
  auto plan = planRnn(n, g, kind);
  if (!plan) return plan.error().message;
  for (size_t k : {size_t{1}, size_t{2}, size_t{3}})
    if (n.in(k) != kNoTensor && !g.t(n.in(k)).isConstant()) return "W, R or B is not constant";
  if (n.in(7) != kNoTensor) return "LSTM peepholes (P) have no int8 kernel";
  if (plan.value().p.hidden > kMaxInt8Hidden)
    return fmt::format("hidden size {} > {} (int32 accumulators)", plan.value().p.hidden, kMaxInt8Hidden);
  return activationBlocker(plan.value().p, kind);
}

const char* int8RecurrentOpType(const std::string& onnx_op) {
  return onnx_op == "RNN" ? qName(RnnKind::Rnn) : (onnx_op == "GRU" ? qName(RnnKind::Gru) : qName(RnnKind::Lstm));
}

const Op& op_emlc_QRNN() { static const QRecurrentOp op(RnnKind::Rnn); return op; }
const Op& op_emlc_QGRU() { static const QRecurrentOp op(RnnKind::Gru); return op; }
const Op& op_emlc_QLSTM() { static const QRecurrentOp op(RnnKind::Lstm); return op; }

}  // namespace emlc
