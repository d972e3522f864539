// Helpers for passes that recognise exporter patterns (an op that older
// opsets lack, written out as a chain of primitive ops) and replace them by
// one node. Shared contract of those passes:
//  - a pattern matches only when every intermediate tensor is read inside
//    the pattern alone and is no graph output or state, so removing the
//    chain changes nothing else;
//  - the fused node takes the place (and the output tensor) of the chain's
//    last node, which keeps the node order topological;
//  - constants match by value (scalars, or tensors whose elements are all
//    equal) within a relative tolerance of 1e-5, since exporters print them
//    with different precision.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"

namespace emlc {

class PatternView {
 public:
  explicit PatternView(const Graph& g) : g_(g), cons_(g.consumers()) {}

  // The live node producing `t`, if it is of default-domain type `op`.
  const Node* producer(TensorId t, const char* op) const;
  NodeId producerId(TensorId t) const { return t == kNoTensor ? -1 : g_.t(t).producer; }
  // The only live node reading `t`, if `t` is read by exactly one node, once,
  // and is neither a graph output nor a state; and of type `op`.
  const Node* soleConsumer(TensorId t, const char* op) const;
  // Value of a float constant whose elements are all equal.
  std::optional<double> constValue(TensorId t) const;
  // `t` is a constant equal to `v` (relative tolerance 1e-5).
  bool isConst(TensorId t, double v) const;
  // For a binary node (Add, Mul...): the input that is not `x`, if the other
  // one is `x`; kNoTensor otherwise.
  TensorId other(const Node& n, TensorId x) const;
  bool internal(TensorId t) const;  // read only once, not an output/state
  const std::vector<std::vector<NodeId>>& consumers() const { return cons_; }

 private:
  const Graph& g_;
  std::vector<std::vector<NodeId>> cons_;
};

// Default-domain op test.
bool isOp(const Node& n, const char* op);

}  // namespace emlc
