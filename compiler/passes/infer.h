// Type inference with constant folding, run once right after import.
//
// Walks the nodes in order: each node's op checks its attributes and input
// types and sets its output types; a node whose inputs are all constant (or
// whose outputs depend on shapes only, like Shape) is evaluated at once
// through the runtime kernels and replaced by constants, which is what turns
// PyTorch's shape subgraphs into static shapes. Every node that cannot be
// compiled is collected, so the error lists all of them, not just the first.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct InferOptions {
  // Fold a node only if its outputs take at most this many bytes, or no more
  // than its inputs (so folding never bloats the weights much).
  size_t fold_limit_bytes = 64 * 1024;
  // ONNX's own inferred shapes by tensor name, to cross-check against.
  const std::map<std::string, Shape>* onnx_shapes = nullptr;
  // Fold at all (tests of the constant-fold pass type a graph without it).
  bool fold = true;
};

Status inferAndFold(Graph& g, const InferOptions& opt);

// Folding one inferred node: worth it (all inputs constant, or the op is
// shape-only, and the outputs stay within the limit), and doing it (the node
// is evaluated through the runtime kernels, its outputs become constants and
// it is marked dead).
bool foldable(const Graph& g, const Node& n, size_t limit_bytes);
Status foldNode(Graph& g, Node& n);

}  // namespace emlc
