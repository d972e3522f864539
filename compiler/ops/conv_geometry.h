// Convolution geometry shared with the int8 convolutions (ops/qconv.cpp):
// the same attribute checks and output shape as Conv/ConvInteger, so the
// float and int8 forms of a convolution cannot disagree.
#pragma once

#include "emlc/conv.h"
#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct ConvGeometry {
  rt::ConvParams params{};
  Shape out;  // N, M, spatial...
  int64_t macs = 0;
};

// Geometry of a convolution node from its attributes and the shapes of
// inputs 0 (X) and 1 (W) only; the element types must be int8/uint8 (the
// ConvInteger checks). Defined in conv.cpp.
Expected<ConvGeometry> integerConvGeometry(const Node& n, const Graph& g);

}  // namespace emlc
