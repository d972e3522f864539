// Small graph-editing helpers for the quantization passes: new tensors and
// constants, node insertion that keeps the topological order, re-inference
// of one node, and reading DequantizeLinear/QuantizeLinear parameters.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "ops/quant_util.h"
#include "support/status.h"

namespace emlc {

// A fresh runtime tensor named after `base` (typed).
TensorId addTensor(Graph& g, const std::string& base, const TensorType& t);
// A fresh constant tensor holding `data` (t.bytes() bytes).
TensorId addConstant(Graph& g, const std::string& base, const TensorType& t, std::vector<uint8_t> data);
template <class T>
TensorId addConstantOf(Graph& g, const std::string& base, TensorType t, const std::vector<T>& v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return addConstant(g, base, t, std::move(bytes));
}

// Inserts `n` at position `at` (it runs right before the node that was
// there); relinks producers. Returns its id.
NodeId insertNode(Graph& g, NodeId at, Node n);

// Marks a node dead and drops its edges (so no stale producer link remains
// for a tensor another node now produces).
void killNode(Graph& g, NodeId id);

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

// Constant float values of a tensor (float32/float64/integers), or nullopt.
std::optional<std::vector<double>> constValues(const Graph& g, TensorId t);

// Rebuilds the node order topologically (stable: ties keep the current
// order). Needed after passes append nodes.
Status topoSort(Graph& g);

}  // namespace emlc
