// The sparse-weights pass: Conv/Gemm layers whose constant weights have
// zeros (from --prune magnitude, or pruned during training) are rewritten to
// zero-skipping kernels (ops/sparse.cpp, runtime/emlc/sparse.h) where a cost
// model says the encoding saves both flash and time:
//
//   flash   dense: rows * K * sizeof(w)
//           sparse: rows * ceil(K/8) (bitmask) + nnz * sizeof(w)
//   time    Cortex-M4 instructions per output position, over all rows
//           (output channels), fitted to the counts of
//           benchmarks/sparse_kernels_m4.sh (QEMU, a 16->32 3x3 conv on
//           8x8 and a 512->64 fully connected layer at densities 0.75, 0.5
//           and 0.25):
//             dense               kDense * K * rows
//             sparse conv         kNonzero * nnz + kRow * rows
//             sparse gemm         kNonzero * nnz + kMaskByte * rows * ceil(K/8)
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

struct SparseCost {
  double dense;     // per dense multiply-accumulate
  double nonzero;   // per nonzero weight
  double row;       // per row and output position (conv: requantisation, borders)
  double mask_byte; // per mask byte and output position (gemm)
};
inline constexpr SparseCost kSparseCostQConv{17.4, 9.4, 270.0, 0.0};
inline constexpr SparseCost kSparseCostConv{7.3, 8.9, 180.0, 0.0};
inline constexpr SparseCost kSparseCostQGemm{10.1, 13.0, 0.0, 7.6};
inline constexpr SparseCost kSparseCostGemm{6.0, 12.0, 0.0, 7.1};

// Rewrites the layers the cost model picks; `report` (optional) receives one
// entry per layer with zero weights, chosen or not and why. int8 layers are
// considered only with `int8_layers` (the generic target: the cost model
// compares with the reference int8 kernels, not the Arm DSP ones), float
// layers only with `float_layers`.
Expected<bool> sparsifyWeights(Graph& g, bool int8_layers, bool float_layers, std::vector<SparseLayer>* report);

}  // namespace emlc
