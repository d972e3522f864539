// Channels-last (NHWC) nodes, chosen by the layout-nhwc pass.
//
// A tensor with TensorType::layout == Layout::NHWC lists its shape in memory
// order: (N, spatial..., C) for the ONNX tensor (N, C, spatial...). A node
// converted by the pass carries the attribute emlc_layout = "NHWC": its
// layout inputs and outputs (Op::supportsLayout says which) are NHWC
// tensors, and its lower() picks the channels-last kernel. Other inputs
// (weights, biases) keep their ONNX form; kernels that want them packed
// pack them at lowering.
#pragma once

#include "ir/graph.h"

namespace emlc {

inline constexpr const char* kLayoutAttr = "emlc_layout";

inline bool isNhwc(const Node& n) { return n.attrString(kLayoutAttr, "") == "NHWC"; }

// ONNX (logical) shape of a tensor: (N, C, spatial...) whatever its layout.
inline Shape logicalShape(const TensorType& t) {
  if (t.layout != Layout::NHWC || t.shape.size() < 3) return t.shape;
  Shape s{t.shape[0], t.shape.back()};
  s.insert(s.end(), t.shape.begin() + 1, t.shape.end() - 1);
  return s;
}

// Memory-order shape of the logical shape (N, C, spatial...) in NHWC.
inline Shape nhwcShape(const Shape& logical) {
  if (logical.size() < 3) return logical;
  Shape s{logical[0]};
  s.insert(s.end(), logical.begin() + 2, logical.end());
  s.push_back(logical[1]);
  return s;
}

// The type with its shape in NHWC memory order.
inline TensorType nhwcType(const TensorType& t) {
  TensorType r = t;
  r.shape = nhwcShape(t.shape);
  r.layout = Layout::NHWC;
  return r;
}

}  // namespace emlc
