// What the int8 conv/matrix kernels need besides the tensors, computed from an
// emlc.QConv or emlc.QGemm node (ops/qconv.cpp): offsets, clamp and the
// per-output-channel requantisation multipliers and shifts. The sparse-weights
// pass (prune/sparse.h) stores them on the sparse node it makes, so the
// sparse kernel requantises exactly as the dense one.
#pragma once

#include <vector>

#include "emlc/int8_conv.h"
#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct QKernelArgs {
  rt::QuantConvParams q{};
  std::vector<int32_t> multiplier, shift;
};

Expected<QKernelArgs> qkernelArgs(const Node& n, const Graph& g);

}  // namespace emlc
