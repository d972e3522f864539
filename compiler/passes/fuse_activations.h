// Recognises activation functions that exporters write out as chains of
// primitive ops, because the opsets they target lack them, and replaces each
// chain by one node (one kernel, one pass over memory, no intermediates):
//  - Gelu, erf form (torch.nn.GELU() for opset < 20):
//      0.5 * x * (1 + Erf(x / sqrt(2)))   (or x * 0.70710678; any operand
//      order and any association of the three-way product);
//  - Gelu, tanh form (GELU(approximate='tanh')):
//      0.5 * x * (1 + Tanh(0.7978845608 * (x + 0.044715 * x^3))), the cube
//      as Pow(x, 3), x * (x * x) or (x * x) * x;
//  - Mish (torch.nn.Mish() for opset < 18): x * Tanh(Softplus(x)).
// Matching rules are in passes/export_patterns.h.
#pragma once
#include "passes/pass.h"

namespace emlc {

class FuseActivationsPass final : public Pass {
 public:
  const char* name() const override { return "fuse-gelu-mish"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
