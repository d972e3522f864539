// Small graph-rewriting helpers shared by the passes.
//
// Contracts: helpers keep Graph::nodes in topological order and tensor ids
// stable (they never compact); a pass calls g.compact() and verifyGraph()
// once at the end. New constants are fresh tensors: a pass never edits a
// constant in place, since other nodes may read it.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

// Live nodes reading tensor t (each once, in node order).
std::vector<NodeId> readers(const Graph& g, TensorId t);
bool isGraphOutput(const Graph& g, TensorId t);
bool isGraphInput(const Graph& g, TensorId t);
// t is read by node `n` only (in any number of its input slots) and is not a
// graph output: a rewrite of n may drop or change t.
bool onlyReader(const Graph& g, TensorId t, NodeId n);
// The single live reader of t, or -1 (several readers, none, or t is a graph output).
NodeId soleReader(const Graph& g, TensorId t);

// Every live node input reading `from` reads `to` instead.
void replaceReads(Graph& g, TensorId from, TensorId to);

// Marks node `id` dead and clears its inputs and outputs (so producer
// links and reader lists ignore it before the pass compacts).
void killNode(Graph& g, NodeId id);

// Node `producer` (output slot 0) absorbs node `consumer`, which reads the
// producer's output 0 only and produces a tensor of the same type:
// the producer writes the consumer's output 0 directly, the consumer dies.
// Requires onlyReader(producer output, consumer).
void absorbNext(Graph& g, NodeId producer, NodeId consumer);

// Removes node `n` whose output `out` equals its input `in` (Identity-like).
// Readers of `out` read `in`; when `out` is a graph output, `in`'s producer
// writes `out` instead (if `in` is an intermediate tensor nothing else
// forbids renaming). Returns false (graph unchanged) when neither works.
bool bypassNode(Graph& g, NodeId n, TensorId in, TensorId out);

// Adds a constant tensor of `type` with `bytes` (type.bytes() of them).
TensorId addConstant(Graph& g, const std::string& base_name, TensorType type, std::vector<uint8_t> bytes);
// Adds a float constant of element type dt (F32 or F64) from doubles.
TensorId addFloatConstant(Graph& g, const std::string& base_name, DType dt, Shape shape,
                          const std::vector<double>& values);
// Values of a constant float/double/integer tensor, as doubles.
std::vector<double> constValues(const Graph& g, TensorId t);
// A fresh intermediate tensor of `type` named after `base_name`.
TensorId addTensorOfType(Graph& g, const std::string& base_name, TensorType type);

// A Transpose node (opset 13) from `in` to `out` (not added to the graph).
Node transposeNode(const std::string& name, TensorId in, TensorId out, std::vector<int64_t> perm);

// Inserts node `n` before position `pos` of Graph::nodes (keeping the
// topological order is the caller's job) and relinks producers.
NodeId insertNode(Graph& g, size_t pos, Node n);

// "'conv1'" or "#3 (Conv)" for notes.
std::string nodeRef(const Graph& g, NodeId n);

// Finishes a pass: compacts and verifies.
Status finishPass(Graph& g);

}  // namespace emlc
