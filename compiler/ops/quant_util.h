// Compile-time side of emlc's int8 arithmetic (runtime/emlc/int8_common.h):
// quantized multipliers, activation clamp ranges and the checks the int8 ops
// share. Everything TFLite computes in a kernel's Prepare is computed here,
// so the generated code only runs the arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

// A real multiplier M as M = multiplier * 2^(shift - 31), multiplier in
// [2^30, 2^31) or 0, computed like TFLite's QuantizeMultiplier: frexp, round
// half away from zero to 31 bits, a mantissa of exactly 2^31 halved with the
// shift bumped, and multipliers below 2^-31 flushed to 0.
struct QuantMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};
QuantMultiplier quantizeMultiplier(double m);

// Per-tensor quantization of an int8/uint8 tensor.
struct QuantScalar {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Lowest and highest code of an integer element type (int8: -128..127).
struct CodeRange {
  int32_t lo = 0, hi = 0;
};
CodeRange codeRange(DType t);

// zero_point + round(real / scale) in float with ties away from zero, as
// TFLite quantizes activation bounds (not clamped).
int32_t quantizeBound(float real, QuantScalar q);

// The output clamp of an op with a fused activation, TFLite style: the type's
// range, narrowed by Relu to [q(0), hi] and by Clip to [q(min), q(max)].
// Reads the node attributes `act_min`/`act_max` (codes) if present.
CodeRange nodeClamp(const Node& n, DType t);

// Checks that a tensor is int8 or uint8 and quantized per tensor.
Expected<QuantScalar> perTensorQuant(const TensorType& t, const char* what);

// Output type of an internal int8 op from its `y_scale`/`y_zero_point`
// attributes (checked: positive finite scale, zero point in the type's range).
Expected<TensorType> quantOutType(const Node& n, DType dtype, const Shape& shape);
// A per-tensor quantized type: dtype, shape, q's scale and zero point.
TensorType quantizedType(DType dtype, const Shape& shape, const QuantScalar& q);

// Attribute helpers for building internal nodes.
Attribute attrInt(int64_t v);
Attribute attrFloat(float v);
Attribute attrInts(std::vector<int64_t> v);
Attribute attrString(std::string v);

}  // namespace emlc
