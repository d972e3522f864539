// Fusion passes: fold training-time structure into the ops that compute.
//
//   pad-fold           Pad (constant) -> Conv / AveragePool / MaxPool pads
//   matmul-to-gemm     MatMul(A, constant B) [+ Add(constant)] -> Gemm
//   batchnorm-fold     Conv/ConvTranspose/Gemm -> BatchNormalization: into
//                      the weights and bias; a standalone BatchNormalization
//                      with constant statistics -> Mul + Add per channel
//   affine-fold        Conv/ConvTranspose/Gemm -> Mul/Add/Sub/Div by a
//                      per-channel constant: into the weights and bias
//   activation-fusion  Conv/ConvTranspose/Gemm/MatMul/Add -> Relu, Clip,
//                      LeakyRelu, HardSwish, Sigmoid, Tanh: into the
//                      producer's emlc_activation attributes (see
//                      ops/fused_activation.h for the representation)
//
// Every fold requires the intermediate tensor to be read by the folded node
// only and not to be a graph output; new weights are new constants.
#pragma once
#include "passes/pass.h"

namespace emlc {

class PadFoldPass final : public Pass {
 public:
  const char* name() const override { return "pad-fold"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class MatMulToGemmPass final : public Pass {
 public:
  const char* name() const override { return "matmul-to-gemm"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class BatchNormFoldPass final : public Pass {
 public:
  const char* name() const override { return "batchnorm-fold"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class AffineFoldPass final : public Pass {
 public:
  const char* name() const override { return "affine-fold"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class ActivationFusionPass final : public Pass {
 public:
  const char* name() const override { return "activation-fusion"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
