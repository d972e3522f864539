// Activations fused into their producer (written by the activation-fusion
// pass, read by the producer's lower() and by later passes such as the int8
// quantizer).
//
// Representation: the fused node keeps its op_type (Conv, ConvTranspose,
// Gemm, MatMul, Add) and gets
//   emlc_activation  string: "Relu", "Clip", "LeakyRelu", "HardSwish",
//                    "Sigmoid" or "Tanh"
//   emlc_act_min     float, Relu and Clip: lower bound (Relu: 0)
//   emlc_act_max     float, Relu and Clip: upper bound (Relu: +inf)
//   emlc_act_alpha   float, LeakyRelu: slope for x < 0
// The node's output is the activation's output: y = act(op(x...)). Only ops
// whose Op::fusesActivation() says so carry these attributes; their lower()
// applies the activation (runtime/emlc/activation.h) with the standalone
// op's exact formula.
#pragma once

#include <string>

#include "emlc/activation.h"
#include "ir/graph.h"
#include "ops/lowering.h"
#include "support/status.h"

namespace emlc {

inline constexpr const char* kActAttr = "emlc_activation";
inline constexpr const char* kActMinAttr = "emlc_act_min";
inline constexpr const char* kActMaxAttr = "emlc_act_max";
inline constexpr const char* kActAlphaAttr = "emlc_act_alpha";

// The node's fused activation (kind kActNone when it has none). Invalid for
// an unknown name or missing bounds.
Expected<rt::Activation> fusedActivation(const Node& n);
bool hasFusedActivation(const Node& n);

// Writes the attributes above. `name` is one of the six names; lo/hi are
// used by Relu/Clip, alpha by LeakyRelu.
void setFusedActivation(Node& n, const std::string& name, float lo, float hi, float alpha);

// Emits (or runs) the in-place activation over output `k` when the node has
// one; a no-op otherwise. For float32/float64 outputs.
Status lowerFusedActivation(Lowering& l, size_t k = 0);

}  // namespace emlc
