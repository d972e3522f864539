// Graph-editing helpers of the quantization passes (besides the passes'
// shared ones in passes/rewrite.h: killNode, insertNode, ...): typed new
// tensors and constants, re-inference of one node that keeps quantization,
// reading DequantizeLinear/QuantizeLinear parameters, a topological sort.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ops/quant_util.h"
#include "passes/rewrite.h"
#include "support/status.h"

namespace emlc {

// A fresh constant tensor holding the values `v` (passes/rewrite.h's
// addConstant with typed values).
template <class T>
TensorId addConstantOf(Graph& g, const std::string& base, TensorType t, const std::vector<T>& v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return addConstant(g, base, t, std::move(bytes));
}

// Runs the op's infer() on node `id`. Output tensors that already carry
// quantization keep it when the op's inference drops it (standard ops running
// on int8 codes: Reshape, MaxPool, Concat...).
Status inferNode(Graph& g, NodeId id);

// Nodes of domain "" with this op type and a live producer link.
bool isOp(const Graph& g, NodeId id, const char* op_type);

// The integer side of a DequantizeLinear whose output is `f`: the node, its
// integer input and the quantization its constant scale/zero point give.
struct DqSource {
  NodeId node = -1;
  TensorId q = kNoTensor;
  QuantParams params;  // axis normalised when per axis
};
std::optional<DqSource> dequantSource(const Graph& g, TensorId f);

// Quantization parameters of a QuantizeLinear node (constant scale/zero
// point), with its output's element type.
std::optional<QuantParams> quantizeParams(const Graph& g, const Node& q);

// Per-tensor view of QuantParams (nullopt when per channel or absent).
std::optional<QuantScalar> scalarOf(const QuantParams& p);

// Gives the tensor the quantization `p` if it has none; false if it has a
// different one.
bool attachQuant(Graph& g, TensorId t, const QuantParams& p);

// Constant values of a tensor (float32/float64/integers) as doubles, or
// nullopt when it is not a readable constant.
std::optional<std::vector<double>> constantValues(const Graph& g, TensorId t);

// Rebuilds the node order topologically (stable: ties keep the current
// order). Needed after passes append nodes.
Status topoSort(Graph& g);

}  // namespace emlc
