// int8 convolutions and matrix products: emlc's internal QConv and QGemm
// (created by the int8 lowering) and ONNX's QLinearConv and QLinearMatMul,
// all on the reference kernels of runtime/emlc/int8_conv.h.
//
// Requantisation multipliers, per output channel, follow TFLite:
//   convolutions and per-channel matrix weights: double(s_x) * double(s_w[c]) / double(s_y)
//   per-tensor matrix weights (FULLY_CONNECTED): double(float(s_x * s_w)) / double(s_y)
// The output clamp is the element type's range narrowed by the node's
// act_min/act_max attributes (fused Relu/Clip).
//
// emlc.QConv   inputs X (int8/uint8, per tensor), W (constant, per tensor or
//              per output channel), B (int32, optional); Conv's attributes and
//              y_scale, y_zero_point, act_min, act_max.
// emlc.QGemm   inputs A [..., K], B (constant [N,K] if trans_b else [K,N],
//              per tensor or per column), bias (int32 [N], optional);
//              attributes trans_b, y_scale, y_zero_point, act_min, act_max.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "emlc/int8_conv.h"
#include "emlc/int8_dsp.h"
#include "emlc/int8_dsp_depthwise.h"
#include "ops/conv_geometry.h"
#include "ops/qconv.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"
#include "passes/target_kernels.h"

namespace emlc {
namespace {

// The quantization of one int8 matrix/conv node, gathered from tensor types
// (internal ops) or from constant scale/zero point inputs (QLinear ops).
struct QSpec {
  size_t x = 0, w = 1, b = 2;  // input indices of X, W and the bias
  QuantScalar xq, yq;
  std::vector<float> w_scales;  // 1 or one per output channel
  int32_t w_zero_point = 0;
  bool fc_rule = false;         // per-tensor FULLY_CONNECTED multiplier
  CodeRange clamp;
};

// Requantisation multipliers and shifts, one per output channel.
Status multipliers(const QSpec& s, int64_t channels, std::vector<int32_t>* mult, std::vector<int32_t>* shift) {
  for (int64_t c = 0; c < channels; ++c) {
    const float sw = s.w_scales[s.w_scales.size() == 1 ? 0 : static_cast<size_t>(c)];
    double real;
    if (s.fc_rule && s.w_scales.size() == 1)
      real = static_cast<double>(s.xq.scale * sw) / static_cast<double>(s.yq.scale);
    else
      real = static_cast<double>(s.xq.scale) * static_cast<double>(sw) / static_cast<double>(s.yq.scale);
    if (!std::isfinite(real) || real <= 0.0 || real >= 1e9)
      return unsupported(fmt::format("requantisation multiplier {} (s_x * s_w / s_y) is out of range", real));
    const QuantMultiplier m = quantizeMultiplier(real);
    mult->push_back(m.multiplier);
    shift->push_back(m.shift);
  }
  return Status::ok();
}

rt::QuantConvParams convQuant(const QSpec& s) {
  return rt::QuantConvParams{-s.xq.zero_point, -s.w_zero_point, s.yq.zero_point, s.clamp.lo, s.clamp.hi};
}

template <class F>
Status dispatch8(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

// Weight quantization from W's type (internal ops): per tensor, or per
// channel along `axis` with `channels` scales; one common zero point.
Status weightQuant(const TensorType& w, int64_t axis, int64_t channels, QSpec* s) {
  if (w.dtype != DType::I8 && w.dtype != DType::U8)
    return unsupported(fmt::format("weights {} must be int8 or uint8", w.str()));
  if (!w.quant.quantized()) return invalid(fmt::format("weights {} have no quantization parameters", w.str()));
  if (w.quant.perChannel() && (w.quant.axis != axis || static_cast<int64_t>(w.quant.scale.size()) != channels))
    return invalid(fmt::format("weights {} must be quantized per tensor or along axis {} ({} scales)", w.str(), axis,
                               channels));
  s->w_scales = w.quant.scale;
  s->w_zero_point = w.quant.zero_point.empty() ? 0 : w.quant.zero_point[0];
  for (int32_t z : w.quant.zero_point)
    if (z != s->w_zero_point) return unsupported("per-channel weight zero points that differ");
  for (float v : s->w_scales)
    if (!(v > 0.0f) || !std::isfinite(v)) return invalid(fmt::format("weight scale {} is not positive and finite", v));
  return Status::ok();
}

// Scale and zero point from constant inputs (QLinear ops): per tensor, or
// 1-D along `channels` when allowed.
Expected<std::pair<std::vector<float>, std::vector<int32_t>>> constScales(const Node& n, const Graph& g, size_t si,
                                                                         size_t zi, int64_t channels) {
  EMLC_TRY(requireConst(g, n, si, "scale"));
  EMLC_TRY(requireConst(g, n, zi, "zero point"));
  EMLC_TRY(requireDType(g.inType(n, si), {DType::F32}, "scale"));
  EMLC_ASSIGN(std::vector<double> sv, constDoubles(g, n.in(si)));
  EMLC_ASSIGN(std::vector<double> zv, constDoubles(g, n.in(zi)));
  const int64_t cnt = static_cast<int64_t>(sv.size());
  if (g.inType(n, si).rank() > 1 || (cnt != 1 && cnt != channels) || zv.size() != sv.size())
    return invalid(fmt::format("scale {} and zero point {} must be scalars{}", g.inType(n, si).str(),
                               g.inType(n, zi).str(), channels > 1 ? " or have one value per output channel" : ""));
  std::pair<std::vector<float>, std::vector<int32_t>> r;
  for (size_t i = 0; i < sv.size(); ++i) {
    const float s = static_cast<float>(sv[i]);
    if (!(s > 0.0f) || !std::isfinite(s)) return invalid(fmt::format("scale {} is not positive and finite", s));
    r.first.push_back(s);
    r.second.push_back(static_cast<int32_t>(zv[i]));
  }
  return r;
}

Expected<QuantScalar> scalarQuant(const Node& n, const Graph& g, size_t si, size_t zi, DType t, const char* what) {
  EMLC_ASSIGN(auto sz, constScales(n, g, si, zi, 1));
  TensorType tt{t, {}};
  tt.quant.scale = sz.first;
  tt.quant.zero_point = sz.second;
  return perTensorQuant(tt, what);
}

// ---- convolutions ---------------------------------------------------------------

Status checkBias(const Graph& g, const Node& n, size_t b, int64_t channels) {
  if (n.in(b) == kNoTensor) return Status::ok();
  const TensorType& t = g.inType(n, b);
  if (t.dtype != DType::I32 || t.shape != Shape{channels})
    return invalid(fmt::format("bias {} must be int32[{}]", t.str(), channels));
  return Status::ok();
}

// ---- Arm DSP kernels (--target cortex-m4/m7/m33) --------------------------------

// Weights as a rows x K matrix `at(row, k)`, packed for runtime/emlc/int8_dsp.h:
// rows of K rounded up to 8, zero padded, each group of four in the order
// (k, k+2, k+1, k+3); rows in pairs interleaved group by group, an odd last
// row alone.
template <class At>
ConstArray<int8_t> packDsp(int64_t rows, int64_t K, At at) {
  const int64_t k8 = rt::dsp_k8(static_cast<int32_t>(K));
  ConstArray<int8_t> out{std::vector<int8_t>(static_cast<size_t>(rows * k8), 0)};
  static const int64_t kSlot[4] = {0, 2, 1, 3};
  const int64_t paired = rows / 2 * 2;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < k8; k += 4) {
      const int64_t base = r < paired ? (r / 2) * 2 * k8 + 2 * k + (r % 2) * 4 : r * k8 + k;
      for (int64_t j = 0; j < 4; ++j)
        if (k + kSlot[j] < K) out.values[static_cast<size_t>(base + j)] = at(r, k + kSlot[j]);
    }
  return out;
}

// Requantisation of one DSP layer: the kernels' policy (int8_dsp.h) and its
// table, four int32 per channel.
enum class DspPolicy { Full, Short, ShortSat8 };
struct DspRequant {
  DspPolicy policy = DspPolicy::Full;
  ConstArray<int32_t> table;
};

// The range [lo, hi] of each output channel's accumulator, bias + the dot
// product of its K weights `at(row, k)` with inputs x + input_offset, x any
// int8: bias +- sum |w| * max |x + input_offset|.
struct AccRange {
  int64_t lo, hi;
};
template <class At>
std::vector<AccRange> accRanges(int64_t rows, int64_t K, At at, const int32_t* bias, int32_t inputOffset) {
  const int64_t xmax = std::max(std::abs(int64_t{-128} + inputOffset), std::abs(int64_t{127} + inputOffset));
  std::vector<AccRange> out(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t d = 0;
    for (int64_t k = 0; k < K; ++k) d += std::abs(int64_t{at(r, k)}) * xmax;
    const int64_t b = bias ? bias[r] : 0;
    out[static_cast<size_t>(r)] = AccRange{b - d, b + d};
  }
  return out;
}

// RequantShort when every channel allows it (a right shift r >= 1, |acc| <
// 2^30, no overflow in h + (h >> 31) + add; see int8_dsp.h), with the SSAT
// clamp when the clamp is the whole int8 range; else RequantFull.
// A channel whose output is the same for every possible accumulator (the
// reference requantisation is monotone in acc, so equal at both ends of
// the range means constant; this is what tiny per-channel weight scales
// with their huge biases and shifts up to 31 come to) gets the entry
// {0, 1 + 2 * value, 1}, which gives that value.
DspRequant dspRequant(const std::vector<int32_t>& mult, const std::vector<int32_t>& shift,
                      const std::vector<AccRange>& acc, const rt::QuantConvParams& q) {
  DspRequant r;
  std::vector<int32_t> shortTable;
  bool shortOk = acc.size() == mult.size();
  constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min(), kI32Max = std::numeric_limits<int32_t>::max();
  for (size_t c = 0; c < mult.size() && shortOk; ++c) {
    const AccRange a = acc[c];
    const int64_t amax = std::max(std::abs(a.lo), std::abs(a.hi));
    const int64_t right = -int64_t{shift[c]};
    // Constant? (no wrapping: the int32 sums and the left shift stay in range)
    if (a.lo >= kI32Min && a.hi <= kI32Max && (shift[c] <= 0 || (amax << shift[c]) <= kI32Max)) {
      auto ref = [&](int64_t v) {
        const int32_t y = rt::multiply_by_quantized_multiplier(static_cast<int32_t>(v), mult[c], shift[c]);
        return rt::clamp_i32(y + q.output_offset, q.act_min, q.act_max);
      };
      const int32_t vlo = ref(a.lo);
      if (vlo == ref(a.hi)) {
        shortTable.insert(shortTable.end(), {0, 1 + 2 * vlo, 1, 0});
        continue;
      }
    }
    if (right < 1 || right > 30 || amax >= (int64_t{1} << 30)) {
      shortOk = false;
      break;
    }
    // |h| <= |acc| + 1 (M < 2^31); the sum must stay inside int32.
    const int64_t add = (int64_t{1} << (right - 1)) + int64_t{q.output_offset} * (int64_t{1} << right);
    if (amax + 2 + std::abs(add) > kI32Max) {
      shortOk = false;
      break;
    }
    shortTable.insert(shortTable.end(), {mult[c], static_cast<int32_t>(add), static_cast<int32_t>(right), 0});
  }
  if (shortOk) {
    r.policy = q.act_min == -128 && q.act_max == 127 ? DspPolicy::ShortSat8 : DspPolicy::Short;
    r.table.values = std::move(shortTable);
    return r;
  }
  for (size_t c = 0; c < mult.size(); ++c) {
    const int32_t left = shift[c] > 0 ? shift[c] : 0, right = shift[c] > 0 ? 0 : -shift[c];
    r.table.values.insert(r.table.values.end(), {mult[c], left, right, static_cast<int32_t>((int64_t{1} << right) - 1)});
  }
  return r;
}

// Calls f(policy type) for the layer's policy.
template <class F>
Status withPolicy(DspPolicy p, F f) {
  switch (p) {
    case DspPolicy::Short: return f(rt::dsp::RequantShort<false>{});
    case DspPolicy::ShortSat8: return f(rt::dsp::RequantShort<true>{});
    case DspPolicy::Full: break;
  }
  return f(rt::dsp::RequantFull{});
}

// The bias values of node n's input b, or null; *known is false when the
// bias is not a constant (then no range, and the full requantisation).
const int32_t* constBias(const Lowering& l, size_t b, bool* known) {
  const TensorId id = l.node().in(b);
  *known = id == kNoTensor || l.graph().t(id).isConstant();
  return id != kNoTensor && l.graph().t(id).isConstant() ? l.graph().t(id).as<int32_t>() : nullptr;
}

bool dspMarked(const Node& n) { return n.attrString(kKernelAttr, "") == kArmDsp; }

// The DSP conv kernel covers int8 X and W with weight zero point 0, group 1,
// 2-D (leading size-1 axis); anything else keeps the reference kernel.
// The DSP depthwise kernels: one output channel per input channel, dilation 1 (3x3 has its own).
bool dspDepthwise(const rt::ConvParams& geo) {
  return geo.group == geo.in_channels && geo.out_channels == geo.in_channels && geo.dilations[1] == 1 &&
         geo.dilations[2] == 1;
}
bool dspDepthwise3x3(const rt::ConvParams& geo) {
  return dspDepthwise(geo) && geo.kernel[1] == 3 && geo.kernel[2] == 3;
}
bool dspConv(const Node& n, const Graph& g, const rt::ConvParams& geo, const QSpec& s) {
  return dspMarked(n) && g.inType(n, s.x).dtype == DType::I8 && g.inType(n, s.w).dtype == DType::I8 &&
         s.w_zero_point == 0 && (geo.group == 1 || dspDepthwise(geo)) && geo.in_dims[0] == 1 &&
         geo.out_dims[0] == 1 && geo.kernel[0] == 1 && geo.pads[0] == 0;
}
int64_t dspConvK(const rt::ConvParams& geo) { return int64_t{geo.in_channels} * geo.kernel[1] * geo.kernel[2]; }
size_t dspConvScratch(const rt::ConvParams& geo) {
  if (geo.group != 1)
    return static_cast<size_t>(dspDepthwise3x3(geo) ? rt::dsp_dw_scratch(geo) : rt::dsp_dwg_scratch(geo)) *
           sizeof(int16_t);
  return static_cast<size_t>(2 * rt::dsp_k8(static_cast<int32_t>(dspConvK(geo)))) * sizeof(int16_t);
}

Status callQConvDsp(Lowering& l, const rt::ConvParams& geo, const QSpec& s, const std::vector<int32_t>& mult,
                    const std::vector<int32_t>& shift) {
  const int8_t* w = l.graph().t(l.node().inputs[s.w]).as<int8_t>();
  const rt::QuantConvParams q = convQuant(s);
  bool biasKnown = false;
  const int32_t* bias = constBias(l, s.b, &biasKnown);
  const int64_t K = geo.group != 1 ? int64_t{geo.kernel[1]} * geo.kernel[2] : dspConvK(geo);  // per output channel
  std::vector<AccRange> range;
  if (biasKnown)
    range = accRanges(geo.out_channels, K, [&](int64_t m, int64_t k) { return w[m * K + k]; }, bias, q.input_offset);
  const DspRequant rq = dspRequant(mult, shift, range, q);
  if (geo.group != 1 && !dspDepthwise3x3(geo)) {
    // Per channel and kernel row: the taps as int16 pairs, an odd last one with 0.
    const int64_t KH = geo.kernel[1], KW = geo.kernel[2], KP = rt::dsp_dwg_pairs(geo);
    ConstArray<int32_t> packed;
    for (int64_t c = 0; c < geo.out_channels; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t j = 0; j < KP; ++j) {
          const int8_t* row = w + (c * KH + kh) * KW;
          const uint32_t w0 = static_cast<uint16_t>(static_cast<int16_t>(row[2 * j]));
          const uint32_t w1 = 2 * j + 1 < KW ? static_cast<uint16_t>(static_cast<int16_t>(row[2 * j + 1])) : 0u;
          packed.values.push_back(static_cast<int32_t>(w0 | (w1 << 16)));
        }
    return withPolicy(rq.policy, [&](auto policy) {
      using RQ = decltype(policy);
      return l.call(fmt::format("emlc::rt::qdepthwise_dsp<{}>", RQ::kName), &rt::qdepthwise_dsp<RQ>, geo, q,
                    l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0),
                    l.scratch<int16_t>(dspConvScratch(geo) / sizeof(int16_t)));
    });
  }
  if (geo.group != 1) {
    // Per channel and kernel row: (w0, w1) as an int16 pair, then w2.
    ConstArray<int32_t> packed{std::vector<int32_t>(static_cast<size_t>(6 * geo.out_channels))};
    for (size_t i = 0; i < static_cast<size_t>(3 * geo.out_channels); ++i) {
      const uint32_t w0 = static_cast<uint16_t>(static_cast<int16_t>(w[3 * i]));
      const uint32_t w1 = static_cast<uint16_t>(static_cast<int16_t>(w[3 * i + 1]));
      packed.values[2 * i] = static_cast<int32_t>(w0 | (w1 << 16));
      packed.values[2 * i + 1] = w[3 * i + 2];
    }
    return withPolicy(rq.policy, [&](auto policy) {
      using RQ = decltype(policy);
      return l.call(fmt::format("emlc::rt::qdepthwise3x3_dsp<{}>", RQ::kName), &rt::qdepthwise3x3_dsp<RQ>, geo,
                    q, l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0),
                    l.scratch<int16_t>(dspConvScratch(geo) / sizeof(int16_t)));
    });
  }
  ConstArray<int8_t> packed = packDsp(geo.out_channels, K, [&](int64_t m, int64_t k) { return w[m * K + k]; });
  return withPolicy(rq.policy, [&](auto policy) {
    using RQ = decltype(policy);
    if (rt::dsp::pair3x3_kernel(geo))
      return l.call(fmt::format("emlc::rt::qconv_dsp<{}, true>", RQ::kName), &rt::qconv_dsp<RQ, true>, geo, q,
                    l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0),
                    l.scratch<int16_t>(dspConvScratch(geo) / sizeof(int16_t)));
    return l.call(fmt::format("emlc::rt::qconv_dsp<{}, false>", RQ::kName), &rt::qconv_dsp<RQ, false>, geo, q,
                  l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0),
                  l.scratch<int16_t>(dspConvScratch(geo) / sizeof(int16_t)));
  });
}

Status callQConv(Lowering& l, const rt::ConvParams& geo, const QSpec& s) {
  std::vector<int32_t> mult, shift;
  EMLC_TRY(multipliers(s, geo.out_channels, &mult, &shift));
  if (dspConv(l.node(), l.graph(), geo, s)) return callQConvDsp(l, geo, s, mult, shift);
  const rt::QuantConvParams q = convQuant(s);
  return dispatch8(l.inType(s.x).dtype, [&](auto zx) -> Status {
    return dispatch8(l.inType(s.w).dtype, [&](auto zw) -> Status {
      using X = decltype(zx);
      using W = decltype(zw);
      return l.call(kernelName<X, W>("qconv"), &rt::qconv<X, W>, geo, q, l.in<X>(s.x), l.in<W>(s.w),
                    l.optIn<int32_t>(s.b), ConstArray<int32_t>{mult}, ConstArray<int32_t>{shift}, l.out<X>(0));
    });
  });
}

// emlc.QConv
class QConvOp final : public Op {
 public:
  static Expected<QSpec> spec(const Node& n, const Graph& g, const ConvGeometry& geo) {
    QSpec s;
    EMLC_ASSIGN(s.xq, perTensorQuant(g.inType(n, 0), "input X"));
    EMLC_TRY(requireConst(g, n, 1, "weights W"));
    EMLC_TRY(weightQuant(g.inType(n, 1), 0, geo.out[1], &s));
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.out));
    EMLC_ASSIGN(s.yq, perTensorQuant(yt, "output"));
    s.clamp = nodeClamp(n, yt.dtype);
    return s;
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    EMLC_ASSIGN(ConvGeometry geo, integerConvGeometry(n, g));
    EMLC_TRY(checkBias(g, n, 2, geo.out[1]));
    EMLC_TRY(spec(n, g, geo).status());
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.out));
    setOut(g, n, 0, yt);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ConvGeometry geo, integerConvGeometry(l.node(), l.graph()));
    EMLC_ASSIGN(QSpec s, spec(l.node(), l.graph(), geo));
    return callQConv(l, geo.params, s);
  }
  // A per-channel 1x1 map (depthwise, kernel 1, stride 1, no padding: a
  // BatchNormalization quantized on its own) reads each input element only
  // for the output element at the same index.
  bool inPlace(const Node& n, const Graph& g, size_t k) const override {
    if (k != 0) return false;
    auto geo = integerConvGeometry(n, g);
    if (!geo) return false;
    const rt::ConvParams& p = geo->params;
    if (p.group != p.in_channels || p.out_channels != p.in_channels) return false;
    for (int i = 0; i < 3; ++i)
      if (p.kernel[i] != 1 || p.strides[i] != 1 || p.pads[i] != 0 || p.in_dims[i] != p.out_dims[i]) return false;
    return true;
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = integerConvGeometry(n, g);
    return geo ? geo->macs : 0;
  }
  // The DSP kernel's two int16 columns.
  size_t scratchBytes(const Node& n, const Graph& g) const override {
    if (!dspMarked(n)) return 0;
    auto geo = integerConvGeometry(n, g);
    if (!geo) return 0;
    auto s = spec(n, g, *geo);
    if (!s || !dspConv(n, g, geo->params, *s)) return 0;
    return dspConvScratch(geo->params);
  }
};

// ONNX QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point,
// y_scale, y_zero_point, B.
class QLinearConvOp final : public Op {
 public:
  OpDoc doc() const override { return {"int8, uint8", "scales and zero points compile-time constants; per-channel weight scales with one weight zero point; lowered to the int8 conv kernel (TFLite requantisation)"}; }

 private:
  static Expected<ConvGeometry> geometry(const Node& n, const Graph& g) {
    Node xw = n;
    xw.inputs = {n.in(0), n.in(3)};
    return integerConvGeometry(xw, g);
  }
  static Expected<QSpec> spec(const Node& n, const Graph& g, const ConvGeometry& geo) {
    QSpec s;
    s.x = 0;
    s.w = 3;
    s.b = 8;
    const DType xt = g.inType(n, 0).dtype;
    if (g.inType(n, 2).dtype != xt || g.inType(n, 7).dtype != xt)
      return invalid("x, x_zero_point and y_zero_point must have the same element type");
    if (g.inType(n, 5).dtype != g.inType(n, 3).dtype) return invalid("w_zero_point must have w's element type");
    EMLC_ASSIGN(s.xq, scalarQuant(n, g, 1, 2, xt, "x"));
    EMLC_ASSIGN(s.yq, scalarQuant(n, g, 6, 7, xt, "y"));
    EMLC_ASSIGN(auto w, constScales(n, g, 4, 5, geo.out[1]));
    s.w_scales = w.first;
    s.w_zero_point = w.second[0];
    for (int32_t z : w.second)
      if (z != s.w_zero_point) return unsupported("per-channel weight zero points that differ");
    s.clamp = codeRange(xt);
    return s;
  }

 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 8, 9));
    EMLC_ASSIGN(ConvGeometry geo, geometry(n, g));
    EMLC_TRY(checkBias(g, n, 8, geo.out[1]));
    EMLC_ASSIGN(QSpec s, spec(n, g, geo));
    setOut(g, n, 0, quantizedType(g.inType(n, 0).dtype, geo.out, s.yq));
    return Status::ok();
  }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1 || k == 2 || k == 4 || k == 5 || k >= 6; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ConvGeometry geo, geometry(l.node(), l.graph()));
    EMLC_ASSIGN(QSpec s, spec(l.node(), l.graph(), geo));
    return callQConv(l, geo.params, s);
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = geometry(n, g);
    return geo ? geo->macs : 0;
  }
};

// ---- matrix products ------------------------------------------------------------

struct GemmGeometry {
  rt::QuantGemmParams params{};
  Shape out;
};

// The DSP gemm kernel: int8 A and B with zero point 0, one product.
bool dspGemm(const Node& n, const Graph& g, const rt::QuantGemmParams& geo, const QSpec& s) {
  return dspMarked(n) && g.inType(n, s.x).dtype == DType::I8 && g.inType(n, s.w).dtype == DType::I8 &&
         s.w_zero_point == 0 && geo.batch == 1;
}
// Columns of K8 int16 the DSP gemm kernel needs: one contiguous (a vector with four or more channels), else two interleaved.
int64_t dspGemmRows(const rt::QuantGemmParams& geo) { return rt::dsp_gemm_four(geo) ? 1 : 2; }

Status callQGemm(Lowering& l, const rt::QuantGemmParams& geo, const QSpec& s) {
  std::vector<int32_t> mult, shift;
  EMLC_TRY(multipliers(s, geo.N, &mult, &shift));
  if (dspGemm(l.node(), l.graph(), geo, s)) {
    const int64_t K = geo.K, N = geo.N;
    const int8_t* b = l.graph().t(l.node().inputs[s.w]).as<int8_t>();
    auto at = [&](int64_t n, int64_t k) { return geo.b_trans ? b[n * K + k] : b[k * N + n]; };
    ConstArray<int8_t> packed = packDsp(N, K, at);
    const rt::QuantConvParams q = convQuant(s);
    bool biasKnown = false;
    const int32_t* bias = constBias(l, s.b, &biasKnown);
    const DspRequant rq =
        dspRequant(mult, shift, biasKnown ? accRanges(N, K, at, bias, q.input_offset) : std::vector<AccRange>{}, q);
    return withPolicy(rq.policy, [&](auto policy) {
      using RQ = decltype(policy);
      const auto scratch = l.scratch<int16_t>(static_cast<size_t>(dspGemmRows(geo) * rt::dsp_k8(geo.K)));
      if (rt::dsp_gemm_four(geo))
        return l.call(fmt::format("emlc::rt::qgemm_dsp<{}, true>", RQ::kName), &rt::qgemm_dsp<RQ, true>, geo, q,
                      l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0), scratch);
      return l.call(fmt::format("emlc::rt::qgemm_dsp<{}, false>", RQ::kName), &rt::qgemm_dsp<RQ, false>, geo, q,
                    l.in<int8_t>(s.x), packed, l.optIn<int32_t>(s.b), rq.table, l.out<int8_t>(0), scratch);
    });
  }
  const rt::QuantConvParams q = convQuant(s);
  return dispatch8(l.inType(s.x).dtype, [&](auto zx) -> Status {
    return dispatch8(l.inType(s.w).dtype, [&](auto zw) -> Status {
      using X = decltype(zx);
      using W = decltype(zw);
      return l.call(kernelName<X, W>("qgemm"), &rt::qgemm<X, W>, geo, q, l.in<X>(s.x), l.in<W>(s.w),
                    l.optIn<int32_t>(s.b), ConstArray<int32_t>{mult}, ConstArray<int32_t>{shift}, l.out<X>(0));
    });
  });
}

// A [..., K] times a 2-D B ([N,K] transposed or [K,N]): the leading dims of A
// are rows of one product.
Expected<GemmGeometry> flatGemm(const TensorType& a, const TensorType& b, bool trans_b) {
  EMLC_TRY(checkShape(a.shape, "A"));
  if (a.rank() < 1 || b.rank() != 2)
    return invalid(fmt::format("A {} must have rank >= 1 and B {} rank 2", a.str(), b.str()));
  const int64_t K = a.shape.back();
  const int64_t N = trans_b ? b.shape[0] : b.shape[1];
  if ((trans_b ? b.shape[1] : b.shape[0]) != K)
    return invalid(fmt::format("inner dimensions of A {} and B {} differ", a.str(), b.str()));
  GemmGeometry geo;
  geo.out = a.shape;
  geo.out.back() = N;
  EMLC_TRY(checkShape(geo.out, "output"));
  rt::QuantGemmParams& p = geo.params;
  p.batch = 1;
  p.M = static_cast<int32_t>(a.numel() / std::max<int64_t>(K, 1));
  p.N = static_cast<int32_t>(N);
  p.K = static_cast<int32_t>(K);
  p.b_trans = trans_b ? 1 : 0;
  if (K == 0) p.M = static_cast<int32_t>(shapeNumel(Shape(a.shape.begin(), a.shape.end() - 1)));
  return geo;
}

// emlc.QGemm
class QGemmOp final : public Op {
 public:
  static Expected<GemmGeometry> geometry(const Node& n, const Graph& g) {
    return flatGemm(g.inType(n, 0), g.inType(n, 1), n.attrInt("trans_b", 1) != 0);
  }
  static Expected<QSpec> spec(const Node& n, const Graph& g, const GemmGeometry& geo) {
    QSpec s;
    EMLC_ASSIGN(s.xq, perTensorQuant(g.inType(n, 0), "input A"));
    EMLC_TRY(requireConst(g, n, 1, "weights B"));
    EMLC_TRY(weightQuant(g.inType(n, 1), n.attrInt("trans_b", 1) != 0 ? 0 : 1, geo.params.N, &s));
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.out));
    EMLC_ASSIGN(s.yq, perTensorQuant(yt, "output"));
    s.fc_rule = true;
    s.clamp = nodeClamp(n, yt.dtype);
    return s;
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    EMLC_ASSIGN(GemmGeometry geo, geometry(n, g));
    EMLC_TRY(checkBias(g, n, 2, geo.params.N));
    EMLC_TRY(spec(n, g, geo).status());
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.out));
    setOut(g, n, 0, yt);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(GemmGeometry geo, geometry(l.node(), l.graph()));
    EMLC_ASSIGN(QSpec s, spec(l.node(), l.graph(), geo));
    return callQGemm(l, geo.params, s);
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = geometry(n, g);
    return geo ? int64_t{geo->params.M} * geo->params.N * geo->params.K : 0;
  }
  // The DSP kernel's int16 rows of A.
  size_t scratchBytes(const Node& n, const Graph& g) const override {
    if (!dspMarked(n)) return 0;
    auto geo = geometry(n, g);
    if (!geo) return 0;
    auto s = spec(n, g, *geo);
    if (!s || !dspGemm(n, g, geo->params, *s)) return 0;
    return static_cast<size_t>(dspGemmRows(geo->params) * rt::dsp_k8(geo->params.K)) * sizeof(int16_t);
  }
};

// ONNX QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point,
// y_scale, y_zero_point. B 2-D (any A), or A and B of the same rank >= 3
// with equal batch dims.
class QLinearMatMulOp final : public Op {
 public:
  OpDoc doc() const override { return {"int8, uint8", "B 2-D or equal batch dimensions; scales and zero points compile-time constants; lowered to the int8 gemm kernel"}; }

 private:
  static Expected<GemmGeometry> geometry(const Node& n, const Graph& g) {
    const TensorType& a = g.inType(n, 0);
    const TensorType& b = g.inType(n, 3);
    if (b.rank() == 2 && a.rank() >= 1) return flatGemm(a, b, false);
    if (a.rank() != b.rank() || a.rank() < 3 ||
        !std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()))
      return unsupported(fmt::format("A {} and B {}: emlc supports a 2-D B or equal batch dimensions", a.str(),
                                     b.str()));
    EMLC_TRY(checkShape(a.shape, "A"));
    EMLC_TRY(checkShape(b.shape, "B"));
    const int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back(), N = b.shape.back();
    if (b.shape[b.shape.size() - 2] != K)
      return invalid(fmt::format("inner dimensions of A {} and B {} differ", a.str(), b.str()));
    GemmGeometry geo;
    geo.out = a.shape;
    geo.out.back() = N;
    EMLC_TRY(checkShape(geo.out, "output"));
    rt::QuantGemmParams& p = geo.params;
    p.batch = static_cast<int32_t>(shapeNumel(Shape(a.shape.begin(), a.shape.end() - 2)));
    p.M = static_cast<int32_t>(M);
    p.N = static_cast<int32_t>(N);
    p.K = static_cast<int32_t>(K);
    p.b_trans = 0;
    p.a_batch_stride = static_cast<int32_t>(M * K);
    p.b_batch_stride = static_cast<int32_t>(K * N);
    p.y_batch_stride = static_cast<int32_t>(M * N);
    return geo;
  }
  static Expected<QSpec> spec(const Node& n, const Graph& g, const GemmGeometry& geo) {
    QSpec s;
    s.x = 0;
    s.w = 3;
    s.b = 8;  // never present
    const DType at = g.inType(n, 0).dtype;
    if (g.inType(n, 2).dtype != at) return invalid("a_zero_point must have a's element type");
    if (g.inType(n, 5).dtype != g.inType(n, 3).dtype) return invalid("b_zero_point must have b's element type");
    EMLC_ASSIGN(s.xq, scalarQuant(n, g, 1, 2, at, "a"));
    EMLC_ASSIGN(s.yq, scalarQuant(n, g, 6, 7, g.inType(n, 7).dtype, "y"));
    if (g.inType(n, 7).dtype != at) return unsupported("QLinearMatMul with different a and y element types");
    EMLC_ASSIGN(auto w, constScales(n, g, 4, 5, geo.params.N));
    s.w_scales = w.first;
    s.w_zero_point = w.second[0];
    for (int32_t z : w.second)
      if (z != s.w_zero_point) return unsupported("per-column b zero points that differ");
    s.fc_rule = true;
    s.clamp = codeRange(at);
    return s;
  }

 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 8, 8));
    EMLC_ASSIGN(GemmGeometry geo, geometry(n, g));
    EMLC_ASSIGN(QSpec s, spec(n, g, geo));
    setOut(g, n, 0, quantizedType(g.inType(n, 0).dtype, geo.out, s.yq));
    return Status::ok();
  }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1 || k == 2 || k == 4 || k == 5 || k >= 6; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(GemmGeometry geo, geometry(l.node(), l.graph()));
    EMLC_ASSIGN(QSpec s, spec(l.node(), l.graph(), geo));
    return callQGemm(l, geo.params, s);
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = geometry(n, g);
    return geo ? int64_t{geo->params.batch} * geo->params.M * geo->params.N * geo->params.K : 0;
  }
};

}  // namespace

Expected<QKernelArgs> qkernelArgs(const Node& n, const Graph& g) {
  QKernelArgs a;
  QSpec s;
  int64_t channels = 0;
  if (n.domain == "emlc" && n.op_type == "QConv") {
    EMLC_ASSIGN(ConvGeometry geo, integerConvGeometry(n, g));
    EMLC_ASSIGN(s, QConvOp::spec(n, g, geo));
    channels = geo.out[1];
  } else if (n.domain == "emlc" && n.op_type == "QGemm") {
    EMLC_ASSIGN(GemmGeometry geo, QGemmOp::geometry(n, g));
    EMLC_ASSIGN(s, QGemmOp::spec(n, g, geo));
    channels = geo.params.N;
  } else {
    return internal(fmt::format("{}: not an emlc.QConv or emlc.QGemm", g.label(n)));
  }
  EMLC_TRY(multipliers(s, channels, &a.multiplier, &a.shift));
  a.q = convQuant(s);
  return a;
}

const Op& op_emlc_QConv() { static const QConvOp op; return op; }
const Op& op_emlc_QGemm() { static const QGemmOp op; return op; }
const Op& op_QLinearConv() { static const QLinearConvOp op; return op; }
const Op& op_QLinearMatMul() { static const QLinearMatMulOp op; return op; }

}  // namespace emlc
