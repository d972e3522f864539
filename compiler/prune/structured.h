// Structured pruning (--prune structured:F): removes whole output channels of
// a Conv/Gemm and everything that depends on them, so the graph stays a
// dense, smaller graph.
//
// Channels are coupled across the graph: a residual Add needs the same
// channels on both inputs, so the layers producing both sides lose the same
// channels (chosen on the sum of their norms). The pruner follows the
// layer's output forward and backward through channel-preserving ops
// (activations, pooling, Pad without channel padding), depthwise Convs (which
// lose the same channels, with `group` updated), Add/Sub/Mul (runtime
// partners join the group, constant ones are sliced) and Concat along the
// channels (the channels move by the Concat's offset; nothing after it may
// need a partner), down to the consumers that only lose inputs: Conv input
// channels, Gemm input features (directly or after Flatten: H*W features per
// channel). Anything else (a graph output, a Reshape, a Gather...) freezes
// the group: the layer is left as it is and the report says why.
#pragma once

#include <map>

#include "ir/graph.h"
#include "prune/prune.h"
#include "support/status.h"

namespace emlc {

// True for Conv (float, constant weights, rank >= 3) and Gemm (constant
// float 2-D B): the layers --prune works on.
bool isPrunableLayer(const Graph& g, const Node& n);
// Bytes of all constant node inputs and the MACs of all nodes.
void graphTotals(const Graph& g, int64_t* bytes, int64_t* macs);

// Removes round(fraction * C) output channels of node `id` (and its coupled
// group) by L1 (norm 1) or L2 (norm 2) norm of their weights, and re-infers
// the graph's types. `done` holds the layers already pruned as part of a
// group, with their record (they are not pruned again). On a frozen group,
// leaves the graph unchanged and says why in lp->how.
Status pruneStructured(Graph& g, NodeId id, double fraction, int norm, LayerPrune* lp,
                       std::map<NodeId, LayerPrune>* done);

}  // namespace emlc
