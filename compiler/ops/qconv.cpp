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
#include <cmath>

#include "emlc/int8_conv.h"
#include "ops/conv_geometry.h"
#include "ops/qconv.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

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

Status callQConv(Lowering& l, const rt::ConvParams& geo, const QSpec& s) {
  std::vector<int32_t> mult, shift;
  EMLC_TRY(multipliers(s, geo.out_channels, &mult, &shift));
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
    TensorType t{g.inType(n, 0).dtype, geo.out};
    t.quant.scale = {s.yq.scale};
    t.quant.zero_point = {s.yq.zero_point};
    setOut(g, n, 0, t);
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

Status callQGemm(Lowering& l, const rt::QuantGemmParams& geo, const QSpec& s) {
  std::vector<int32_t> mult, shift;
  EMLC_TRY(multipliers(s, geo.N, &mult, &shift));
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
    TensorType t{g.inType(n, 0).dtype, geo.out};
    t.quant.scale = {s.yq.scale};
    t.quant.zero_point = {s.yq.zero_point};
    setOut(g, n, 0, t);
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
