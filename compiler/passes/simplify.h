// Clean-up passes: constant folding, Identity-like node removal, and
// Transpose/Reshape chain cancelling. Each is small; they share this header.
#pragma once
#include "passes/pass.h"

namespace emlc {

// Evaluates nodes whose inputs are all constants (or whose outputs depend on
// shapes only: Shape, Size, so PyTorch's Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape subgraphs become one constant shape) through the runtime
// kernels, within the import's size limit. Import already folds while it
// infers types; this pass folds what other rewrites expose.
class ConstantFoldPass final : public Pass {
 public:
  const char* name() const override { return "constant-fold"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

// Removes nodes whose output is their input: Identity, inference Dropout
// (mask unused), Reshape/Flatten/Squeeze/Unsqueeze/Expand to the same shape,
// Cast to the same type, Pad with all pads zero, Transpose by the identity
// permutation.
class IdentityRemovalPass final : public Pass {
 public:
  const char* name() const override { return "identity-removal"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

// Transpose(Transpose(x)) becomes one Transpose (none if the permutations
// cancel); a Transpose that moves only size-1 axes becomes a Reshape (a
// view, free); chains of views (Reshape, Flatten, Squeeze, Unsqueeze) become
// one Reshape, or nothing when the shape comes back to the input's.
class TransposeCancelPass final : public Pass {
 public:
  const char* name() const override { return "transpose-cancel"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
