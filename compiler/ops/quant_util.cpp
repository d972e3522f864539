#include "ops/quant_util.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace emlc {

QuantMultiplier quantizeMultiplier(double m) {
  QuantMultiplier r;
  if (m == 0.0 || !std::isfinite(m)) return r;
  int exp = 0;
  const double q = std::frexp(m, &exp);  // m = q * 2^exp, |q| in [0.5, 1)
  int64_t fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  if (fixed == (int64_t{1} << 31)) {
    fixed /= 2;
    ++exp;
  }
  if (exp < -31) {  // every product would round to 0
    exp = 0;
    fixed = 0;
  }
  r.multiplier = static_cast<int32_t>(fixed);
  r.shift = exp;
  return r;
}

CodeRange codeRange(DType t) {
  switch (t) {
    case DType::I8: return {-128, 127};
    case DType::U8: return {0, 255};
    case DType::I16: return {-32768, 32767};
    case DType::U16: return {0, 65535};
    default: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  }
}

int32_t quantizeBound(float real, QuantScalar q) {
  const float v = std::round(real / q.scale);
  if (!(v > -1e9f)) return std::numeric_limits<int32_t>::min() / 2;
  if (!(v < 1e9f)) return std::numeric_limits<int32_t>::max() / 2;
  return q.zero_point + static_cast<int32_t>(v);
}

CodeRange nodeClamp(const Node& n, DType t) {
  CodeRange r = codeRange(t);
  if (n.has("act_min")) r.lo = std::max<int32_t>(r.lo, static_cast<int32_t>(n.attrInt("act_min", r.lo)));
  if (n.has("act_max")) r.hi = std::min<int32_t>(r.hi, static_cast<int32_t>(n.attrInt("act_max", r.hi)));
  return r;
}

Expected<QuantScalar> perTensorQuant(const TensorType& t, const char* what) {
  if (t.dtype != DType::I8 && t.dtype != DType::U8)
    return unsupported(fmt::format("{} has element type {}; int8 kernels take int8 or uint8", what, dtypeName(t.dtype)));
  if (!t.quant.quantized()) return invalid(fmt::format("{} {} has no quantization parameters", what, t.str()));
  if (t.quant.perChannel())
    return unsupported(fmt::format("{} is quantized per channel; this int8 op needs one scale", what));
  QuantScalar q;
  q.scale = t.quant.scale[0];
  q.zero_point = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
  if (!(q.scale > 0.0f) || !std::isfinite(q.scale))
    return invalid(fmt::format("{} has scale {}; scales must be positive and finite", what, q.scale));
  CodeRange cr = codeRange(t.dtype);
  if (q.zero_point < cr.lo || q.zero_point > cr.hi)
    return invalid(fmt::format("{} has zero point {} outside its type's range", what, q.zero_point));
  return q;
}

TensorType quantizedType(DType dtype, const Shape& shape, const QuantScalar& q) {
  TensorType t;
  t.dtype = dtype;
  t.shape = shape;
  t.quant.scale = {q.scale};
  t.quant.zero_point = {q.zero_point};
  return t;
}

Expected<TensorType> quantOutType(const Node& n, DType dtype, const Shape& shape) {
  if (!n.has("y_scale") || !n.has("y_zero_point"))
    return invalid("internal int8 op without y_scale/y_zero_point attributes");
  QuantScalar q;
  q.scale = n.attrFloat("y_scale", 1.0f);
  q.zero_point = static_cast<int32_t>(n.attrInt("y_zero_point", 0));
  TensorType t = quantizedType(dtype, shape, q);
  EMLC_TRY(perTensorQuant(t, "output").status());
  return t;
}

Attribute attrInt(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
Attribute attrFloat(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}
Attribute attrInts(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute attrString(std::string v) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = std::move(v);
  return a;
}

}  // namespace emlc
