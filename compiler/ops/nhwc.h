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

#include <cstdint>
#include <vector>

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

// Transpose perms between the ONNX order (N, C, spatial...) and NHWC order
// (N, spatial..., C) of a rank-`rank` tensor.
inline std::vector<int64_t> permToNhwc(size_t rank) {
  std::vector<int64_t> p{0};
  for (size_t i = 2; i < rank; ++i) p.push_back(static_cast<int64_t>(i));
  p.push_back(1);
  return p;
}
inline std::vector<int64_t> permFromNhwc(size_t rank) {
  std::vector<int64_t> p{0, static_cast<int64_t>(rank) - 1};
  for (size_t i = 1; i + 1 < rank; ++i) p.push_back(static_cast<int64_t>(i));
  return p;
}

}  // namespace emlc
