// Conversions between float and int8: ONNX QuantizeLinear and
// DequantizeLinear (per tensor or per axis, int8/uint8, and int32 for
// DequantizeLinear), DynamicQuantizeLinear, and emlc's internal Requantize (int8/uint8 to
// int8/uint8 with another scale, TFLite's int8 QUANTIZE).
//
// QuantizeLinear's output type carries its scale and zero point when they are
// constants, so the int8 lowering (quant/lower_qdq.cpp) and the IR printer see
// them. DequantizeLinear is never constant-folded at import (Op::foldable):
// the lowering needs the integer weights behind it.
#include "emlc/int8_elementwise.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

namespace emlc {
namespace {

// Blocks of a per-axis (or per-tensor) conversion: outer x channels x inner.
struct AxisLayout {
  int32_t outer = 1, channels = 1, inner = 1;
};

// Checks scale/zero point shapes against X for opsets with `axis` (13+) or
// without (10: scalars only) and returns the block layout.
Expected<AxisLayout> axisLayout(const Node& n, const Graph& g, size_t scaleIn, size_t zpIn) {
  const TensorType& x = g.inType(n, 0);
  const TensorType& s = g.inType(n, scaleIn);
  EMLC_TRY(requireDType(s, {DType::F32}, "scale"));
  const bool hasZp = n.in(zpIn) != kNoTensor;
  if (hasZp && g.inType(n, zpIn).shape != s.shape)
    return invalid(fmt::format("zero point {} must have the scale's shape {}", g.inType(n, zpIn).str(), s.str()));
  AxisLayout L;
  L.inner = static_cast<int32_t>(x.numel());
  if (s.numel() == 1 && s.rank() <= 1) return L;
  if (n.opset < 13 || s.rank() != 1)
    return invalid(fmt::format("scale {} must be a scalar{}", s.str(), n.opset < 13 ? "" : " or a 1-D tensor"));
  if (n.has("block_size") && n.attrInt("block_size", 0) != 0) return unsupported("blocked quantization (block_size)");
  EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 1), x.rank()));
  if (x.shape[static_cast<size_t>(axis)] != s.shape[0])
    return invalid(fmt::format("scale {} must have one value per slice of axis {} of X {}", s.str(), axis, x.str()));
  L.outer = 1;
  L.inner = 1;
  for (int64_t a = 0; a < axis; ++a) L.outer *= static_cast<int32_t>(x.shape[static_cast<size_t>(a)]);
  for (int64_t a = axis + 1; a < x.rank(); ++a) L.inner *= static_cast<int32_t>(x.shape[static_cast<size_t>(a)]);
  L.channels = static_cast<int32_t>(s.shape[0]);
  return L;
}

// Quantization parameters of a constant scale/zero point pair, if constant.
QuantParams constQuant(const Node& n, const Graph& g, size_t scaleIn, size_t zpIn) {
  QuantParams q;
  const TensorId s = n.in(scaleIn), z = n.in(zpIn);
  if (!g.t(s).isConstant() || (z != kNoTensor && !g.t(z).isConstant())) return q;
  auto sv = constDoubles(g, s);
  if (!sv) return q;
  std::vector<double> zv(sv->size(), 0.0);
  if (z != kNoTensor) {
    auto zz = constDoubles(g, z);
    if (!zz) return q;
    zv = *zz;
  }
  for (size_t i = 0; i < sv->size(); ++i) {
    q.scale.push_back(static_cast<float>((*sv)[i]));
    q.zero_point.push_back(static_cast<int32_t>(zv[i]));
  }
  if (sv->size() > 1) {
    auto axis = normAxis(n.attrInt("axis", 1), g.inType(n, 0).rank());
    q.axis = axis ? static_cast<int32_t>(*axis) : 1;
  }
  return q;
}

template <class F>
Status dispatchQuantType(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

class QuantizeLinearOp final : public Op {
 public:
  OpDoc doc() const override { return {"float32 in; int8, uint8 out", "scale and zero point must be compile-time constants (per tensor or per axis); no output_dtype; Q/DQ pairs around ops become int8 kernels"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    EMLC_TRY(requireDType(g.inType(n, 0), {DType::F32}, "input x"));
    if (n.has("output_dtype") && n.attrInt("output_dtype", 0) != 0) return unsupported("attribute output_dtype");
    const DType out = n.in(2) != kNoTensor ? g.inType(n, 2).dtype : DType::U8;
    EMLC_TRY(requireDType(TensorType{out, {}}, {DType::I8, DType::U8}, "zero point"));
    EMLC_TRY(axisLayout(n, g, 1, 2).status());
    TensorType t{out, g.inType(n, 0).shape};
    t.quant = constQuant(n, g, 1, 2);
    setOut(g, n, 0, t);
    return Status::ok();
  }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1 || k == 2; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(AxisLayout L, axisLayout(l.node(), l.graph(), 1, 2));
    return dispatchQuantType(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("quantize_linear"), &rt::quantize_linear<T>, l.in<float>(0), l.in<float>(1),
                    l.optIn<T>(2), l.out<T>(0), L.outer, L.channels, L.inner);
    });
  }
};

class DequantizeLinearOp final : public Op {
 public:
  OpDoc doc() const override { return {"int8, uint8, int32 in; float32 out", "scale and zero point must be compile-time constants (per tensor or per axis)"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::I8, DType::U8, DType::I32}, "input x"));
    if (n.in(2) != kNoTensor && g.inType(n, 2).dtype != x.dtype)
      return invalid(fmt::format("zero point {} must have x's type {}", g.inType(n, 2).str(), dtypeName(x.dtype)));
    EMLC_TRY(axisLayout(n, g, 1, 2).status());
    setOut(g, n, 0, TensorType{DType::F32, x.shape});
    return Status::ok();
  }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1 || k == 2; }
  bool foldable() const override { return false; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(AxisLayout L, axisLayout(l.node(), l.graph(), 1, 2));
    auto call = [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("dequantize_linear"), &rt::dequantize_linear<T>, l.in<T>(0), l.in<float>(1),
                    l.optIn<T>(2), l.out<float>(0), L.outer, L.channels, L.inner);
    };
    if (l.inType(0).dtype == DType::I32) return call(int32_t{});
    return dispatchQuantType(l.inType(0).dtype, call);
  }
};

// ONNX DynamicQuantizeLinear: x (float32) -> y (uint8), y_scale, y_zero_point.
class DynamicQuantizeLinearOp final : public Op {
 public:
  OpDoc doc() const override { return {"float32 in; uint8 out", "runs as its own kernel (the scale is computed at run time, so no int8 kernel follows it)"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_TRY(requireDType(g.inType(n, 0), {DType::F32}, "input x"));
    EMLC_TRY(checkShape(g.inType(n, 0).shape, "x"));
    setOut(g, n, 0, TensorType{DType::U8, g.inType(n, 0).shape});
    setOut(g, n, 1, TensorType{DType::F32, {}});
    setOut(g, n, 2, TensorType{DType::U8, {}});
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const int32_t count = static_cast<int32_t>(l.inType(0).numel());
    if (!l.hasOut(1) || !l.hasOut(2)) return unsupported("DynamicQuantizeLinear with omitted outputs");
    return l.call("emlc::rt::dynamic_quantize_linear", &rt::dynamic_quantize_linear, l.in<float>(0),
                  l.out<uint8_t>(0), l.out<float>(1), l.out<uint8_t>(2), count);
  }
};

// emlc.Requantize: X (int8/uint8, per tensor) -> Y with y_scale,
// y_zero_point and element type `to` (ONNX type code; default X's), clamped
// to act_min/act_max when given.
class RequantizeOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_TRY(perTensorQuant(g.inType(n, 0), "input X").status());
    const DType to = n.has("to") ? dtypeFromOnnx(static_cast<int32_t>(n.attrInt("to", 0))) : g.inType(n, 0).dtype;
    if (to != DType::I8 && to != DType::U8) return invalid("attribute 'to' must be int8 or uint8");
    EMLC_ASSIGN(TensorType t, quantOutType(n, to, g.inType(n, 0).shape));
    setOut(g, n, 0, t);
    return Status::ok();
  }
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(QuantScalar x, perTensorQuant(l.inType(0), "input X"));
    EMLC_ASSIGN(QuantScalar y, perTensorQuant(l.outType(0), "output"));
    const QuantMultiplier m = quantizeMultiplier(static_cast<double>(x.scale) / static_cast<double>(y.scale));
    const CodeRange c = nodeClamp(l.node(), l.outType(0).dtype);
    const rt::QuantRequant p{-x.zero_point, y.zero_point, m.multiplier, m.shift, c.lo, c.hi};
    const int32_t count = static_cast<int32_t>(l.outType(0).numel());
    return dispatchQuantType(l.inType(0).dtype, [&](auto zx) -> Status {
      return dispatchQuantType(l.outType(0).dtype, [&](auto zy) -> Status {
        using X = decltype(zx);
        using Y = decltype(zy);
        return l.call(kernelName<X, Y>("requantize"), &rt::requantize<X, Y>, p, l.in<X>(0), l.out<Y>(0), count);
      });
    });
  }
};

}  // namespace

const Op& op_QuantizeLinear() { static const QuantizeLinearOp op; return op; }
const Op& op_DequantizeLinear() { static const DequantizeLinearOp op; return op; }
const Op& op_DynamicQuantizeLinear() { static const DynamicQuantizeLinearOp op; return op; }
const Op& op_emlc_Requantize() { static const RequantizeOp op; return op; }

}  // namespace emlc
