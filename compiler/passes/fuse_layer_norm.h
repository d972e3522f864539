// Recognises layer normalisation written out by exporters for opsets before
// 17 (torch.nn.LayerNorm, Keras LayerNormalization):
//   m = ReduceMean(x, axes = trailing axes k..r-1, keepdims = 1)
//   d = x - m
//   v = ReduceMean(Pow(d, 2) or d * d, same axes)
//   y = d / Sqrt(v + eps)      [then * gamma]  [then + beta]
// and replaces it by one LayerNormalization(x, gamma, beta; axis = k,
// epsilon = eps) node: one kernel instead of seven to nine, and no
// intermediate tensors of x's size. gamma and beta must be constants with
// the normalised axes' shape (leading 1s allowed); a missing gamma becomes
// ones. Matching rules are in passes/export_patterns.h.
#pragma once
#include "passes/pass.h"

namespace emlc {

class FuseLayerNormPass final : public Pass {
 public:
  const char* name() const override { return "fuse-layer-norm"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
