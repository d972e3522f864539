// The pruning passes (see pipeline.cpp):
//   prune           --prune: magnitude (zeroes weights), structured (removes
//                   channels) or auto; after BatchNormalization and affine
//                   folding, before int8 calibration (prune/prune.h);
//   sparse-weights  Conv/Gemm weights with zeros become zero-skipping sparse
//                   kernels where the cost model says so (prune/sparse.h);
//                   runs on every model (weights pruned during training
//                   count too).
#pragma once

#include "passes/pass.h"

namespace emlc {

class PrunePass final : public Pass {
 public:
  const char* name() const override { return "prune"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class SparseWeightsPass final : public Pass {
 public:
  const char* name() const override { return "sparse-weights"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
