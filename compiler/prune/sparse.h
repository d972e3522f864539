// The sparse-weights pass: Conv/Gemm layers whose constant weights have
// zeros (from --prune magnitude, or pruned during training) are rewritten to
// zero-skipping kernels (ops/sparse.cpp, runtime/emlc/sparse.h) where a cost
// model says the encoding saves both flash and time:
//
//   flash   dense: rows * K * sizeof(w)
//           sparse: rows * ceil(K/8) (bitmask) + nnz * sizeof(w)
//   time    per output element, in units of one dense multiply-accumulate
//           of the reference kernels (int8_conv.h, conv.h):
//             dense conv/gemm          K
//             sparse conv              kSparseConvNnz * nnz_row
//             sparse gemm              kSparseGemmNnz * nnz_row + kSparseMaskByte * ceil(K/8)
//           (constants from Cortex-M4 instruction counts under QEMU, see
//           benchmarks/prune.sh and README).
//
// int8: emlc.QConv/emlc.QGemm with symmetric int8 weights (zero point 0),
// bit-exact with the dense kernels. float: Conv (in the model's layout) and
// Gemm (transA 0, alpha = beta = 1) only with --optimize size: with
// --optimize speed the packed float kernels are faster than zero skipping at
// the sparsities magnitude pruning gives without retraining.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "prune/prune.h"
#include "support/status.h"

namespace emlc {

inline constexpr double kSparseConvNnz = 0.8;
inline constexpr double kSparseGemmNnz = 1.1;
inline constexpr double kSparseMaskByte = 0.5;

// Rewrites the layers the cost model picks; `report` (optional) receives one
// entry per layer with zero weights, chosen or not and why.
Expected<bool> sparsifyWeights(Graph& g, bool float_layers, std::vector<SparseLayer>* report);

}  // namespace emlc
